use leptos::prelude::*;

use crate::prefs::use_texts;

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(opts) = use_context::<leptos_axum::ResponseOptions>() {
        opts.set_status(http::StatusCode::NOT_FOUND);
    }
    let t = use_texts();
    view! {
        <section class="card narrow not-found">
            <h1>{t.not_found_title}</h1>
            <p>{t.not_found_body}</p>
            <a class="button primary" href="/">{t.back_home}</a>
        </section>
    }
}
