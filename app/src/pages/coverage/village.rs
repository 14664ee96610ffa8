//! The village (community) list, grouped by township and city.

use leptos::prelude::*;

use crate::i18n::Lang;
use crate::model::AreaLevel;
use crate::prefs::{use_prefs, use_texts};

/// Villages (grouped by their parent township) within `scope`, if given.
#[component]
pub fn VillageSelect(
    list: Vec<crate::model::AreaNode>,
    scope: Option<String>,
    /// The village chosen before the form was refused ("" for none).
    #[prop(optional, into)]
    chosen: String,
) -> impl IntoView {
    let lang = use_prefs().lang;
    let name_of = |a: &crate::model::AreaNode| match lang {
        Lang::Zh => a.name.clone(),
        Lang::En => a.name_en.clone(),
    };
    let parents: Vec<crate::model::AreaNode> = list
        .iter()
        .filter(|a| a.level == AreaLevel::Township)
        .filter(|a| {
            list.iter().any(|v| {
                v.parent.as_deref() == Some(a.code.as_str())
                    && v.level == AreaLevel::Village
                    && scope.as_deref().is_none_or(|s| v.code.starts_with(s))
            })
        })
        .cloned()
        .collect();
    // A township's group names its city and district too: five cities' townships share one
    // list, and "滨河街道" alone does not say where it is.
    let group_label = |p: &crate::model::AreaNode| {
        let mut names = vec![name_of(p)];
        let mut up = p.parent.clone();
        while let Some(code) = up {
            match list.iter().find(|a| a.code == code) {
                Some(a) if matches!(a.level, AreaLevel::City | AreaLevel::District) => {
                    names.insert(0, name_of(a));
                    up = a.parent.clone();
                }
                _ => break,
            }
        }
        names.join(" · ")
    };
    let t = use_texts();
    view! {
        // Starts on 请选择 (required): no city is chosen for the resident by the list's order.
        <select id="area_code" name="area_code" required>
            <option value="" selected=chosen.is_empty()>{t.choose_prompt}</option>
            {parents.into_iter().map(|p| {
                let villages: Vec<_> = list.iter()
                    .filter(|v| v.parent.as_deref() == Some(p.code.as_str()) && v.level == AreaLevel::Village)
                    .filter(|v| scope.as_deref().is_none_or(|s| v.code.starts_with(s)))
                    .map(|v| view! { <option value=v.code.clone() selected=v.code == chosen>{name_of(v)}</option> })
                    .collect_view();
                view! { <optgroup label=group_label(&p)>{villages}</optgroup> }
            }).collect_view()}
        </select>
    }
}
