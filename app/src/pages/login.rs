//! Sign-in pages. Each is an `ActionForm` over a server function: a plain form that posts
//! and redirects (pages are server-rendered; only islands are hydrated).

use leptos::prelude::*;

use crate::api::{pending_sign_in, RequestCode, StaffSignIn, VerifyCode};
use crate::components::forms::{action_error, FieldError, FormError};
use crate::i18n::fill;
use crate::prefs::use_texts;

#[component]
pub fn ResidentLogin() -> impl IntoView {
    let t = use_texts();
    let action = ServerAction::<RequestCode>::new();
    let error = action_error(action);
    view! {
        <section class="card narrow">
            <h1>{t.resident_login_title}</h1>
            <p>{t.resident_login_intro}</p>
            <ActionForm action>
                <label for="phone">{t.phone_label}</label>
                <input id="phone" name="phone" type="tel" inputmode="numeric" autocomplete="tel"
                    maxlength="13" required placeholder=t.phone_placeholder
                    aria-describedby="phone-error"
                    aria-invalid=move || error.get().is_some_and(|e| e.field() == Some("phone")).to_string()/>
                <FieldError error field="phone"/>
                <FormError error fields=&["phone"]/>
                <button type="submit" class="button primary">{t.send_code}</button>
            </ActionForm>
            <p class="aside"><a href="/login/staff">{t.home_staff_cta}</a></p>
        </section>
    }
}

#[component]
pub fn ResidentVerify() -> impl IntoView {
    let t = use_texts();
    let action = ServerAction::<VerifyCode>::new();
    let error = action_error(action);
    // The phone is read on the server from the pending cookie: it is never in the URL.
    let pending = Resource::new(|| (), |_| pending_sign_in());
    view! {
        <section class="card narrow">
            <h1>{t.verify_title}</h1>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match pending.await.ok().flatten() {
                        Some(p) => view! {
                            <p>{fill(t.verify_intro, &p.phone_masked)}</p>
                            {p.demo_code.map(|code| view! {
                                <p class="demo-code" role="note">{t.demo_code_notice}<strong data-testid="demo-code">{code}</strong></p>
                            })}
                        }.into_any(),
                        None => view! {
                            <p role="alert" data-testid="no-pending-code">{t.verify_no_pending}</p>
                        }.into_any(),
                    }
                })}
            </Suspense>
            <ActionForm action>
                <label for="code">{t.code_label}</label>
                <input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code"
                    maxlength="6" required placeholder=t.code_placeholder aria-describedby="code-error"
                    aria-invalid=move || error.get().is_some_and(|e| e.field() == Some("code")).to_string()/>
                <FieldError error field="code"/>
                <FieldError error field="phone"/>
                <FormError error fields=&["code", "phone"]/>
                <button type="submit" class="button primary">{t.verify_submit}</button>
            </ActionForm>
            <p class="aside"><a href="/login/resident">{t.resend_code}</a></p>
        </section>
    }
}

#[component]
pub fn StaffLogin() -> impl IntoView {
    let t = use_texts();
    let action = ServerAction::<StaffSignIn>::new();
    let error = action_error(action);
    view! {
        <section class="card narrow">
            <h1>{t.staff_login_title}</h1>
            <p>{t.staff_login_intro}</p>
            <ActionForm action>
                <label for="username">{t.username_label}</label>
                <input id="username" name="username" type="text" autocomplete="username" required
                    autocapitalize="none" aria-describedby="username-error"/>
                <FieldError error field="username"/>
                <label for="password">{t.password_label}</label>
                <input id="password" name="password" type="password" autocomplete="current-password" required
                    aria-describedby="password-error"
                    aria-invalid=move || error.get().is_some_and(|e| e.field() == Some("password")).to_string()/>
                <FieldError error field="password"/>
                <FormError error fields=&["username", "password"]/>
                <button type="submit" class="button primary">{t.sign_in}</button>
            </ActionForm>
            <p class="aside"><a href="/login/resident">{t.home_resident_cta}</a></p>
        </section>
    }
}
