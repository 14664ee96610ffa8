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

/// After a plain form's post was refused (no JavaScript, or a form outside an island), the
/// page comes back with the error in its URL: say so at the top, linking to the field's
/// message, so the first thing seen is what went wrong.
#[component]
pub fn ErrorSummary() -> impl IntoView {
    let prefs = use_prefs();
    let query = leptos_router::hooks::use_query_map();
    move || {
        let e = query
            .with(|q| q.get("__err"))
            .map(|e| leptos::server_fn::error::ServerFnUrlError::<AppError>::decode_err(&e))?;
        let t = prefs.texts();
        let message = e.message(prefs.lang);
        let line = match e.field() {
            Some(f) => view! { <a href=format!("#{f}-error")>{message}</a> }.into_any(),
            None => view! { <span>{message}</span> }.into_any(),
        };
        Some(view! {
            <div class="error-summary" role="alert" data-testid="error-summary">
                <p><strong>{t.error_summary}</strong></p>
                <p>{line}</p>
            </div>
        })
    }
}

/// `"1"` once an island has hydrated (effects run only in the browser), for the
/// `data-live` attribute that browser tests wait for; the server renders none.
pub fn hydrated_marker() -> Signal<Option<&'static str>> {
    let live = RwSignal::new(false);
    Effect::new(move |_| live.set(true));
    Signal::derive(move || live.get().then_some("1"))
}

/// What the form `form_id` holds at this moment, as `name=value` pairs (checked boxes only,
/// as a submission would send them). An island reads it when it starts in the browser,
/// before it hydrates: a resident on a slow phone may have typed and ticked while the WASM
/// was arriving, and the island must go on from that, not from the server's first render.
/// `None` on the server, and when the page has no such form.
pub fn typed_values(form_id: &str) -> Option<Vec<(String, String)>> {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let form = web_sys::window()?
            .document()?
            .get_element_by_id(form_id)?
            .dyn_into::<web_sys::HtmlFormElement>()
            .ok()?;
        let data = web_sys::FormData::new_with_form(&form).ok()?;
        let pairs = web_sys::UrlSearchParams::new_with_str_sequence_sequence(&data).ok()?;
        let query: String = pairs.to_string().into();
        Some(form_urlencoded::parse(query.as_bytes()).into_owned().collect())
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = form_id;
        None
    }
}

/// A form's values as a submission would send them.
#[derive(Clone, Debug, Default)]
pub struct Typed(Vec<(String, String)>);

impl Typed {
    pub fn new(fields: Vec<(String, String)>) -> Typed {
        Typed(fields)
    }

    /// The first value of `name` ("" when there is none).
    pub fn one(&self, name: &str) -> String {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }

    /// Every value of `name`, in order.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// Every (name, value) pair, in order.
    pub fn pairs(&self) -> &[(String, String)] {
        &self.0
    }
}

/// The value typed into `name` in the form the server just refused ("" otherwise), so the
/// page it returns to shows the form as it was left (provided by `App` on the server).
pub fn typed_value(name: &str) -> String {
    use_context::<Typed>().map(|t| t.one(name)).unwrap_or_default()
}

/// True for the input whose field the error names, to give it `autofocus`: after a refused
/// post the page opens where the problem is, not at its top.
pub fn error_on(error: Signal<Option<AppError>>, field: &'static str) -> Signal<bool> {
    Signal::derive(move || error.with(|e| e.as_ref().and_then(|e| e.field()) == Some(field)))
}

/// Runs `restore` with what was typed into `form_id` before the island went live, once the
/// island has hydrated. Hydration must first meet exactly the page the server sent (so the
/// island's signals start from the server's values), and it re-sets bound `value`s, which
/// would wipe a number typed early: the typed values are read now and given back right
/// after, through the signals, so what the page shows and computes agrees with what it
/// holds.
pub fn restore_typed(form_id: &str, restore: impl Fn(&Typed) + 'static) {
    if let Some(typed) = typed_values(form_id) {
        let typed = Typed(typed);
        Effect::new(move |_| restore(&typed));
    }
}
