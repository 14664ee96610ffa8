use leptos::prelude::*;

use crate::components::layout::use_shell;
use crate::prefs::{use_prefs, use_texts};

#[component]
pub fn AccountPage() -> impl IntoView {
    let t = use_texts();
    let lang = use_prefs().lang;
    let shell = use_shell();
    view! {
        <Suspense fallback=move || view! { <p>{t.loading}</p> }>
            {move || Suspend::new(async move {
                match shell.await.ok().and_then(|i| i.user) {
                    None => view! { <SignInPrompt/> }.into_any(),
                    Some(u) => view! {
                        <section class="card">
                            <h1>{t.account_title}</h1>
                            <dl class="facts">
                                <dt>{t.account_name}</dt><dd data-testid="account-name">{u.display_name.clone()}</dd>
                                <dt>{t.account_role}</dt><dd data-testid="account-role">{u.role.label(t)}</dd>
                                {u.phone_masked.clone().map(|p| view! { <dt>{t.account_phone}</dt><dd>{p}</dd> })}
                                {(!u.area_path.is_empty()).then(|| view! {
                                    <dt>{t.account_area}</dt><dd>{crate::prefs::area_path(&u.area_path, &u.area_path_en)}</dd>
                                })}
                                {u.department.map(|d| view! {
                                    <dt>{t.account_department}</dt>
                                    <dd>{match lang { crate::i18n::Lang::Zh => d.name_zh(), crate::i18n::Lang::En => d.name_en() }}</dd>
                                })}
                            </dl>
                        </section>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// Shown on pages that need a signed-in user.
#[component]
pub fn SignInPrompt() -> impl IntoView {
    let t = use_texts();
    #[cfg(feature = "ssr")]
    if let Some(opts) = use_context::<leptos_axum::ResponseOptions>() {
        opts.set_status(http::StatusCode::UNAUTHORIZED);
    }
    view! {
        <section class="card narrow">
            <h1>{t.nav_sign_in}</h1>
            <a class="button primary" href="/login/resident">{t.home_resident_cta}</a>
            <a class="button" href="/login/staff">{t.home_staff_cta}</a>
        </section>
    }
}
