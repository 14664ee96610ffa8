//! What a price rests on that its notice does not state, marked as such wherever the price
//! is shown (quote, 我的参保, receipt): a resident reads figures as the government's word.

use std::sync::Arc;

use leptos::prelude::*;

use crate::i18n::Lang;
use crate::prefs::{use_prefs, use_texts};

/// The assumptions in the viewer's language; nothing when there are none.
#[component]
pub fn Assumptions(zh: Vec<Arc<str>>, en: Vec<Arc<str>>) -> impl IntoView {
    let t = use_texts();
    let lines = match use_prefs().lang {
        Lang::Zh => zh,
        // An older stored quote has no English lines: the Chinese ones are still shown.
        Lang::En if en.len() == zh.len() => en,
        Lang::En => zh,
    };
    (!lines.is_empty()).then(|| {
        view! {
            <div class="assumptions notice" data-testid="assumptions">
                <p><strong>{t.assumptions_title}</strong></p>
                <ul>{lines.into_iter().map(|s| view! { <li>{s.to_string()}</li> }).collect_view()}</ul>
            </div>
        }
    })
}
