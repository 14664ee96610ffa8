//! The staff workbench: what waits for you (counts linking to the work), who you are and
//! the areas you are responsible for.

use leptos::prelude::*;

use crate::api::{my_areas, my_todo};
use crate::components::layout::use_shell;
use crate::i18n::Texts;
use crate::model::TodoItem;
use crate::pages::account::SignInPrompt;
use crate::pages::areas::AreaTable;
use crate::prefs::use_texts;

fn todo_label(t: &Texts, kind: &str) -> &'static str {
    match kind {
        "certifications" => t.todo_certifications,
        "ledger_unpaid" => t.todo_ledger_unpaid,
        "ledger_not_contacted" => t.todo_ledger_not_contacted,
        "list_review" => t.todo_list_review,
        "payment_exceptions" => t.todo_payment_exceptions,
        "policy_drafts" => t.todo_policy_drafts,
        _ => t.todo_adjustments,
    }
}

/// The counts, the non-zero ones first (each a link to where the work is done).
#[component]
fn Todo(items: Vec<TodoItem>) -> impl IntoView {
    let t = use_texts();
    let mut items = items;
    items.sort_by_key(|i| i.count == 0);
    let none = items.iter().all(|i| i.count == 0);
    view! {
        <h2>{t.todo_title}</h2>
        {none.then(|| view! { <p data-testid="todo-none">{t.todo_none}</p> })}
        <ul class="todo" data-testid="todo">
            {items.into_iter().map(|i| {
                let count = if i.more { format!("{}+", i.count) } else { i.count.to_string() };
                view! {
                    <li class:zero=i.count == 0 data-kind=i.kind.clone()>
                        <a href=i.href.clone()><strong class="todo-count">{count}</strong>" "{todo_label(t, &i.kind)}</a>
                    </li>
                }
            }).collect_view()}
        </ul>
    }
}

#[component]
pub fn WorkPage() -> impl IntoView {
    let t = use_texts();
    let shell = use_shell();
    let areas = Resource::new(|| (), |_| my_areas());
    let todo = Resource::new(|| (), |_| my_todo());
    view! {
        <Suspense fallback=move || view! { <p>{t.loading}</p> }>
            {move || Suspend::new(async move {
                match shell.await.ok().and_then(|i| i.user).filter(|u| u.role.is_staff()) {
                    None => view! { <SignInPrompt/> }.into_any(),
                    Some(u) => {
                        let areas = areas.await.unwrap_or_default();
                        let todo = todo.await.unwrap_or_default();
                        view! {
                            <section class="card wide">
                                <h1>{t.work_title}</h1>
                                <p><strong data-testid="work-user">{u.display_name.clone()}</strong>" · "{u.role.label(t)}</p>
                                <p>{t.work_scope}": "{crate::prefs::area_path(&u.area_path, &u.area_path_en)}</p>
                                {(!todo.is_empty()).then(|| view! { <Todo items=todo/> })}
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
