use leptos::prelude::*;

use crate::components::layout::use_shell;
use crate::model::Role;
use crate::prefs::use_texts;

#[component]
pub fn HomePage() -> impl IntoView {
    let t = use_texts();
    let shell = use_shell();
    view! {
        <section class="hero">
            <h1>{t.home_title}</h1>
            <p>{t.home_intro}</p>
        </section>
        <Suspense fallback=move || view! { <p>{t.loading}</p> }>
            {move || Suspend::new(async move {
                let user = shell.await.ok().and_then(|i| i.user);
                match user {
                    Some(u) => {
                        let home = if u.role == Role::Resident { "/coverage" } else { "/work" };
                        let label = if u.role == Role::Resident { t.nav_account } else { t.nav_work };
                        view! {
                            <section class="card">
                                <p>{t.home_signed_in_as}<strong>{u.display_name.clone()}</strong>" · "{u.role.label(t)}</p>
                                <a class="button primary" href=home>{label}</a>
                            </section>
                        }.into_any()
                    }
                    None => view! {
                        <div class="cards">
                            <section class="card">
                                <h2>{t.nav_quote}</h2>
                                <p>{t.quote_intro}</p>
                                <a class="button primary" href="/quote">{t.quote_title}</a>
                            </section>
                            <section class="card">
                                <h2>{t.home_resident_title}</h2>
                                <p>{t.home_resident_body}</p>
                                <a class="button primary" href="/login/resident">{t.home_resident_cta}</a>
                            </section>
                            <section class="card">
                                <h2>{t.home_staff_title}</h2>
                                <p>{t.home_staff_body}</p>
                                <a class="button" href="/login/staff">{t.home_staff_cta}</a>
                            </section>
                        </div>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}
