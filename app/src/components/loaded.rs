//! What a page shows when its data is refused, in one place: the sign-in prompt when the
//! reader is signed out, else the refusal's message in the reader's language. Every page
//! that loads data goes through [`loaded`] instead of matching errors by hand.

use leptos::prelude::*;

use crate::error::AppError;
use crate::i18n::Lang;
use crate::pages::account::SignInPrompt;

/// How a page words a refusal: a link back, a test id on the message, whether the message
/// stands alone (a card of its own) or sits inside the page's card, and whether the page
/// answers with the refusal's HTTP status (pages addressed by an id: 404 for a record one
/// may not see, as for one that does not exist).
#[derive(Debug, Clone, Copy)]
pub struct Refusal {
    pub back: Option<(&'static str, &'static str)>,
    pub testid: Option<&'static str>,
    pub own_card: bool,
    pub status: bool,
}

impl Default for Refusal {
    fn default() -> Self {
        Refusal {
            back: None,
            testid: None,
            own_card: true,
            status: false,
        }
    }
}

/// The page's data, or the view that stands in for it.
pub fn loaded<T>(result: Result<T, AppError>, lang: Lang) -> Result<T, AnyView> {
    loaded_with(result, lang, Refusal::default())
}

/// [`loaded`], worded as `refusal` says.
pub fn loaded_with<T>(result: Result<T, AppError>, lang: Lang, refusal: Refusal) -> Result<T, AnyView> {
    result.map_err(|e| refused(e, lang, refusal))
}

/// The view that stands in for a page whose data was refused with `e`.
pub fn refused(e: AppError, lang: Lang, refusal: Refusal) -> AnyView {
    if let AppError::Unauthorized(_) = e {
        return view! { <SignInPrompt/> }.into_any();
    }
    #[cfg(feature = "ssr")]
    if refusal.status {
        if let Some(opts) = use_context::<leptos_axum::ResponseOptions>() {
            opts.set_status(http::StatusCode::from_u16(e.status()).unwrap_or(http::StatusCode::NOT_FOUND));
        }
    }
    let message = view! { <p class="form-error" role="alert" data-testid=refusal.testid>{e.message(lang)}</p> };
    let back = refusal
        .back
        .map(|(href, label)| view! { <p><a href=href>{label}</a></p> });
    if refusal.own_card {
        view! { <section class="card">{message}{back}</section> }.into_any()
    } else {
        view! { {message}{back} }.into_any()
    }
}
