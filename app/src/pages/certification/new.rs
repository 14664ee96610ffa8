//! Asking for a certification.

use leptos::prelude::*;

use super::*;
use crate::api::certification::RequestCertification;
use crate::components::forms::{action_error, FieldError, FormError};
use crate::components::layout::use_shell;
use crate::pages::account::SignInPrompt;
use crate::prefs::use_texts;

#[component]
pub fn NewCertificationPage() -> impl IntoView {
    let t = use_texts();
    let shell = use_shell();
    let action = ServerAction::<RequestCertification>::new();
    let error = action_error(action);
    view! {
        <Suspense fallback=move || view! { <p>{t.loading}</p> }>
            {move || Suspend::new(async move {
                if shell.await.ok().and_then(|i| i.user).is_none() {
                    return view! { <SignInPrompt/> }.into_any();
                }
                view! {
                    <section class="card">
                        <h1>{t.cert_new}</h1>
                        <p class="muted">{t.cert_new_intro}</p>
                        <ActionForm action>
                            <label for="c-id">{t.id_number_label}</label>
                            <input id="c-id" name="id_number" required maxlength="18" autocomplete="off"/>
                            <FieldError error field="id_number"/>
                            <label for="c-category">{t.cert_category}</label>
                            <select id="c-category" name="category" required>
                                <CategoryOptions selected=String::new()/>
                            </select>
                            <FieldError error field="category"/>
                            <label for="c-comment">{t.cert_comment}</label>
                            <textarea id="c-comment" name="comment" rows="2" maxlength="500"></textarea>
                            <FieldError error field="comment"/>
                            <FormError error fields=&["id_number", "category", "comment"]/>
                            <button type="submit" class="button primary">{t.cert_submit}</button>
                        </ActionForm>
                    </section>
                }.into_any()
            })}
        </Suspense>
    }
}
