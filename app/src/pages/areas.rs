//! The area hierarchy with targets; also used, narrowed to a scope, on the workbench.

use std::collections::HashMap;

use leptos::prelude::*;

use crate::api::list_areas;
use crate::i18n::Lang;
use crate::model::AreaNode;
use crate::prefs::{use_prefs, use_texts};

#[component]
pub fn AreasPage() -> impl IntoView {
    let t = use_texts();
    let lang = use_prefs().lang;
    let areas = Resource::new(|| (), |_| list_areas());
    view! {
        <section class="card wide">
            <h1>{t.areas_title}</h1>
            <p>{t.areas_intro}</p>
            <Suspense fallback=move || view! { <p>{t.loading}</p> }>
                {move || Suspend::new(async move {
                    match areas.await {
                        Ok(list) => view! { <AreaTable areas=list scope=None/> }.into_any(),
                        Err(e) => view! { <p class="form-error">{e.message(lang)}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

/// Orders areas depth-first so each child follows its parent.
fn depth_first(areas: Vec<AreaNode>) -> Vec<(usize, AreaNode)> {
    let codes: std::collections::HashSet<String> = areas.iter().map(|a| a.code.clone()).collect();
    let mut children: HashMap<Option<String>, Vec<AreaNode>> = HashMap::new();
    for a in areas {
        let key = a.parent.clone().filter(|p| codes.contains(p));
        children.entry(key).or_default().push(a);
    }
    let mut out = Vec::new();
    let mut stack: Vec<(usize, AreaNode)> = children
        .remove(&None)
        .unwrap_or_default()
        .into_iter()
        .rev()
        .map(|a| (0, a))
        .collect();
    while let Some((depth, node)) = stack.pop() {
        if let Some(kids) = children.remove(&Some(node.code.clone())) {
            stack.extend(kids.into_iter().rev().map(|k| (depth + 1, k)));
        }
        out.push((depth, node));
    }
    out
}

#[component]
pub fn AreaTable(areas: Vec<AreaNode>, scope: Option<String>) -> impl IntoView {
    let t = use_texts();
    let lang = use_prefs().lang;
    let rows = depth_first(crate::model::within_scope(areas, scope.as_deref()));
    view! {
        <table class="areas">
            <thead><tr><th>{t.account_area}</th><th>{t.target_label}</th></tr></thead>
            <tbody>
                {rows.into_iter().map(|(depth, a)| {
                    let name = match lang { Lang::Zh => a.name.clone(), Lang::En => a.name_en.clone() };
                    let target = a.target.as_ref().map(|tg| format!("{} ({})", tg.count, tg.insurance_year));
                    let cite = a.target.as_ref().map(|tg| format!("{} {}", tg.notice, tg.clause));
                    view! {
                        <tr class=format!("level-{}", a.level.code()) data-code=a.code.clone()>
                            <td style=format!("padding-left:{}rem", 0.5 + depth as f32 * 1.0)>
                                <span class="area-name">{name}</span>
                                <small class="area-meta">{a.level.label(t)}" · "{a.code.clone()}
                                    {a.code_assumed.then(|| format!(" · {}", t.code_assumed))}</small>
                            </td>
                            <td class="num" title=cite>{target}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::AreaLevel;

    fn node(code: &str, parent: Option<&str>, level: AreaLevel) -> AreaNode {
        AreaNode {
            code: code.into(),
            name: code.into(),
            name_en: code.into(),
            level,
            parent: parent.map(Into::into),
            kind: None,
            code_assumed: false,
            target: None,
        }
    }

    #[test]
    fn scope_keeps_only_the_subtree_in_order() {
        let all = vec![
            node("141100", None, AreaLevel::City),
            node("141102", Some("141100"), AreaLevel::District),
            node("141102001", Some("141102"), AreaLevel::Township),
            node("141102001001", Some("141102001"), AreaLevel::Village),
            node("141102002", Some("141102"), AreaLevel::Township),
            node("110000", None, AreaLevel::City),
        ];
        let scoped: Vec<_> = crate::model::within_scope(all.clone(), Some("141102001"))
            .into_iter()
            .map(|a| a.code)
            .collect();
        assert_eq!(scoped, ["141102001", "141102001001"]);
        let ordered: Vec<_> = depth_first(all).into_iter().map(|(d, a)| (d, a.code)).collect();
        assert_eq!(ordered[0], (0, "141100".to_string()));
        assert_eq!(ordered[2], (2, "141102001".to_string()));
        assert_eq!(ordered[3], (3, "141102001001".to_string()));
        assert_eq!(ordered[5], (0, "110000".to_string()));
    }
}
