//! Identity certification pages: the work queue (staff) or one's own requests
//! (residents), a request's detail with its history, documents and next steps, the bulk
//! confirmation page, the request form, and the audit log.

mod audit;
mod detail;
mod new;
mod queue;

pub use audit::*;
pub use detail::*;
pub use new::*;
pub use queue::*;

use leptos::prelude::*;

use crate::i18n::{Lang, Texts};
use crate::prefs::use_prefs;

pub fn status_label(t: &Texts, status: &str) -> &'static str {
    match status {
        "submitted" => t.st_submitted,
        "accepted" => t.st_accepted,
        "returned" => t.st_returned,
        "confirmed" => t.st_confirmed,
        "rejected" => t.st_rejected,
        "flagged" => t.st_flagged,
        "withdrawn" => t.st_withdrawn,
        _ => t.st_revoked,
    }
}

pub fn action_label(t: &Texts, action: &str) -> &'static str {
    match action {
        "accept" => t.act_accept,
        "return" => t.act_return,
        "resubmit" => t.act_resubmit,
        "confirm" => t.act_confirm,
        "reject" => t.act_reject,
        "flag" => t.act_flag,
        "withdraw" => t.act_withdraw,
        _ => t.act_revoke,
    }
}

pub(super) fn category_label(code: &str, lang: Lang) -> String {
    domain::policy::Category::from_code(code).map_or_else(
        || code.to_owned(),
        |c| match lang {
            Lang::Zh => c.name_zh().to_owned(),
            Lang::En => c.name_en().to_owned(),
        },
    )
}

pub(super) fn department_label(code: &str, lang: Lang) -> String {
    crate::model::Department::from_code(code).map_or_else(
        || code.to_owned(),
        |d| match lang {
            Lang::Zh => d.name_zh().to_owned(),
            Lang::En => d.name_en().to_owned(),
        },
    )
}

/// The category options, every code of the contract.
#[component]
pub(super) fn CategoryOptions(selected: String, #[prop(optional)] any: Option<&'static str>) -> impl IntoView {
    let lang = use_prefs().lang;
    view! {
        {any.map(|label| view! { <option value="">{label}</option> })}
        {domain::policy::Category::ALL.into_iter().map(|c| {
            let code = c.code();
            view! { <option value=code selected=selected == code>{category_label(code, lang)}</option> }
        }).collect_view()}
    }
}
