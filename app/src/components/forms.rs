//! Form helpers: field-level error messages in the viewer's language.

use leptos::prelude::*;
use leptos::server_fn::ServerFn;

use crate::error::AppError;
use crate::prefs::use_prefs;

/// The error of a server action's last submission, if any.
pub fn action_error<S>(action: ServerAction<S>) -> Signal<Option<AppError>>
where
    S: ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Send + Sync + 'static,
{
    let value = action.value();
    Signal::derive(move || value.with(|v| v.as_ref().and_then(|r| r.as_ref().err().cloned())))
}

/// The message for `field` (shown under the input, linked by `aria-describedby`).
#[component]
pub fn FieldError(error: Signal<Option<AppError>>, field: &'static str) -> impl IntoView {
    let lang = use_prefs().lang;
    move || {
        error
            .get()
            .filter(|e| e.field() == Some(field))
            .map(|e| view! { <p class="field-error" id=format!("{field}-error") role="alert">{e.message(lang)}</p> })
    }
}

/// An error that concerns no single field.
#[component]
pub fn FormError(error: Signal<Option<AppError>>, fields: &'static [&'static str]) -> impl IntoView {
    let lang = use_prefs().lang;
    move || {
        error
            .get()
            .filter(|e| e.field().is_none_or(|f| !fields.contains(&f)))
            .map(|e| view! { <p class="form-error" role="alert">{e.message(lang)}</p> })
    }
}

/// `"1"` once an island has hydrated (effects run only in the browser), for the
/// `data-live` attribute that browser tests wait for; the server renders none.
pub fn hydrated_marker() -> Signal<Option<&'static str>> {
    let live = RwSignal::new(false);
    Effect::new(move |_| live.set(true));
    Signal::derive(move || live.get().then_some("1"))
}
