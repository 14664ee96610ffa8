//! The staff workbench: who you are and the areas you are responsible for.

use leptos::prelude::*;

use crate::api::my_areas;
use crate::components::layout::use_shell;
use crate::pages::account::SignInPrompt;
use crate::pages::areas::AreaTable;
use crate::prefs::use_texts;

#[component]
pub fn WorkPage() -> impl IntoView {
    let t = use_texts();
    let shell = use_shell();
    let areas = Resource::new(|| (), |_| my_areas());
    view! {
        <Suspense fallback=move || view! { <p>{t.loading}</p> }>
            {move || Suspend::new(async move {
                match shell.await.ok().and_then(|i| i.user).filter(|u| u.role.is_staff()) {
                    None => view! { <SignInPrompt/> }.into_any(),
                    Some(u) => {
                        let areas = areas.await.unwrap_or_default();
                        view! {
                            <section class="card wide">
                                <h1>{t.work_title}</h1>
                                <p><strong data-testid="work-user">{u.display_name.clone()}</strong>" · "{u.role.label(t)}</p>
                                <p>{t.work_scope}": "{u.area_path.join(" › ")}</p>
                                <p>{t.work_intro}</p>
                                <AreaTable areas scope=u.area_code.clone()/>
                            </section>
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}
