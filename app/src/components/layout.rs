//! Page chrome: header with role-aware navigation, language and elder-mode switches,
//! the demo-date banner, and the footer.

use leptos::prelude::*;
use leptos_router::hooks::use_location;

use crate::api::get_shell_info;
use crate::error::AppError;
use crate::i18n::fill;
use crate::model::{Role, ShellInfo};
use crate::prefs::{use_prefs, use_texts};

/// The shell resource (signed-in user, today), shared through context.
#[derive(Clone, Copy)]
pub struct ShellResource(pub Resource<Result<ShellInfo, AppError>>);

/// Loads [`ShellInfo`] once per navigation (sign-in and sign-out change the path).
#[component]
pub fn ShellProvider(children: Children) -> impl IntoView {
    let location = use_location();
    let shell = Resource::new_blocking(move || location.pathname.get(), |_| get_shell_info());
    provide_context(ShellResource(shell));
    children()
}

pub fn use_shell() -> Resource<Result<ShellInfo, AppError>> {
    expect_context::<ShellResource>().0
}

#[component]
pub fn Header() -> impl IntoView {
    let t = use_texts();
    let shell = use_shell();
    view! {
        <header class="site-header">
            <div class="bar">
                <a class="brand" href="/">
                    <img src="/favicon.svg" alt="" width="32" height="32"/>
                    <span>{t.app_name}</span>
                </a>
                <PrefSwitches/>
            </div>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    let info = shell.await.ok();
                    view! {
                        {info.clone().filter(|i| i.date_pinned).map(|i| view! {
                            <p class="demo-banner" role="status">{fill(t.demo_banner, &i.today.to_string())}</p>
                        })}
                        <Nav info/>
                    }
                })}
            </Suspense>
        </header>
    }
}

#[component]
fn Nav(info: Option<ShellInfo>) -> impl IntoView {
    let t = use_texts();
    let user = info.and_then(|i| i.user);
    let links: Vec<(&str, &str)> = match user.as_ref().map(|u| u.role) {
        None => vec![
            ("/", t.nav_home),
            ("/quote", t.nav_quote),
            ("/login/resident", t.nav_sign_in),
        ],
        Some(Role::Resident) => vec![
            ("/", t.nav_home),
            ("/coverage", t.nav_coverage),
            ("/certifications", t.nav_certifications),
            ("/quote", t.nav_quote),
            ("/account", t.nav_account),
        ],
        Some(role) => {
            let mut links = vec![("/", t.nav_home), ("/work", t.nav_work)];
            if matches!(
                role,
                Role::Cadre | Role::TownshipOfficer | Role::BureauOfficer | Role::Admin
            ) {
                links.push(("/cadre", t.nav_cadre));
                links.push(("/ledger", t.nav_ledger));
            }
            if role != Role::Admin {
                links.push(("/certifications", t.nav_certifications));
            }
            if matches!(role, Role::DepartmentOfficer | Role::BureauOfficer) {
                links.push(("/lists", t.nav_lists));
            }
            links.push(("/reports", t.nav_reports));
            if matches!(role, Role::BureauOfficer | Role::Admin) {
                links.push(("/targets", t.nav_targets));
                links.push(("/reconcile", t.nav_reconcile));
                links.push(("/payment-exceptions", t.nav_px));
                links.push(("/policies/drafts", t.nav_policies));
            }
            if role != Role::DepartmentOfficer {
                links.push(("/audit", t.nav_audit));
            }
            links.extend([("/areas", t.nav_areas), ("/account", t.nav_account)]);
            links
        }
    };
    let signed_in = user.is_some();
    // Staff have up to fourteen destinations, four lines on a phone: the role's daily ones
    // stay in the bar and the rest open under 更多 (a <details>, so it works without
    // JavaScript); the workbench lists them all too.
    let primary: &[&str] = match user.as_ref().map(|u| u.role) {
        None | Some(Role::Resident) => &[],
        Some(Role::Cadre) => &["/", "/work", "/cadre", "/ledger"],
        Some(Role::TownshipOfficer) => &["/", "/work", "/ledger", "/reports"],
        Some(Role::DepartmentOfficer) => &["/", "/work", "/certifications", "/lists"],
        Some(Role::BureauOfficer) => &["/", "/work", "/reports", "/certifications"],
        Some(Role::Admin) => &["/", "/work", "/reports", "/audit"],
    };
    let (bar, more): (Vec<_>, Vec<_>) = if primary.is_empty() {
        (links, Vec::new())
    } else {
        links.into_iter().partition(|(href, _)| primary.contains(href))
    };
    let staff = !more.is_empty();
    view! {
        <nav class="main-nav" aria-label="main">
            {bar.into_iter().map(|(href, label)| view! { <a href=href>{label}</a> }).collect_view()}
            {staff.then(|| view! {
                <details class="nav-more">
                    <summary>{t.nav_more}</summary>
                    <div class="nav-more-links">
                        {more.into_iter().map(|(href, label)| view! { <a href=href>{label}</a> }).collect_view()}
                        <SignOutButton/>
                    </div>
                </details>
            })}
            {(signed_in && !staff).then(|| view! { <SignOutButton/> })}
        </nav>
    }
}

#[component]
fn SignOutButton() -> impl IntoView {
    let t = use_texts();
    let action = ServerAction::<crate::api::SignOut>::new();
    view! {
        <ActionForm action attr:class="inline-form">
            <button type="submit" class="link-button">{t.nav_sign_out}</button>
        </ActionForm>
    }
}

/// Plain forms (not intercepted by the router): the server sets the cookie and
/// redirects back, so they work the same with and without JavaScript.
#[component]
fn PrefSwitches() -> impl IntoView {
    let prefs = use_prefs();
    let location = use_location();
    let back = move || {
        let search = location.search.get();
        let path = location.pathname.get();
        if search.is_empty() {
            path
        } else {
            format!("{path}?{search}")
        }
    };
    let other = prefs.lang.other();
    let elder_label = if prefs.elder {
        prefs.texts().standard_mode
    } else {
        prefs.texts().elder_mode
    };
    view! {
        <div class="switches">
            <form method="post" action="/prefs">
                <input type="hidden" name="lang" value=other.code()/>
                <input type="hidden" name="back" value=back/>
                <button type="submit" class="switch" lang=other.html_lang()>{other.texts().switch_to_this_lang}</button>
            </form>
            <form method="post" action="/prefs">
                <input type="hidden" name="elder" value=if prefs.elder { "0" } else { "1" }/>
                <input type="hidden" name="back" value=back/>
                <button type="submit" class="switch" aria-pressed=prefs.elder.to_string()>{elder_label}</button>
            </form>
        </div>
    }
}

#[component]
pub fn Footer() -> impl IntoView {
    let t = use_texts();
    view! { <footer class="site-footer">{t.footer}</footer> }
}
