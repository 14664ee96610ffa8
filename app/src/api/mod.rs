//! Server functions: the UI's door into the services. Thin: parse, call, map.

use leptos::prelude::*;

pub mod certification;
pub mod coverage;
pub mod policies;
pub mod reports;

use crate::error::AppError;
use crate::model::{AreaNode, ShellInfo};

#[cfg(feature = "ssr")]
pub mod ssr {
    //! Request plumbing shared by the server functions.
    use leptos::prelude::*;

    use crate::error::AppError;
    use crate::services::auth::store::AccountRow;
    use crate::services::auth::{self, NewSession};
    use crate::services::AppState;

    pub fn state() -> Result<AppState, AppError> {
        use_context::<AppState>().ok_or_else(|| AppError::internal("context", "AppState missing"))
    }

    /// Records the HTTP status for an error so scripts and the hydrated app see it.
    /// A plain HTML form post (no JavaScript) keeps the framework's 302 back to the form,
    /// which carries the error in the URL; a 4xx there would strand the browser.
    pub fn fail<T>(err: AppError) -> Result<T, AppError> {
        let html_form = header(http::header::ACCEPT).is_some_and(|a| a.contains("text/html"));
        if html_form {
            return Err(err);
        }
        if let Some(opts) = use_context::<leptos_axum::ResponseOptions>() {
            opts.set_status(
                http::StatusCode::from_u16(err.status()).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR),
            );
        }
        Err(err)
    }

    pub fn respond<T>(result: Result<T, AppError>) -> Result<T, AppError> {
        result.or_else(fail)
    }

    fn header(name: http::header::HeaderName) -> Option<String> {
        use_context::<http::request::Parts>()
            .and_then(|p| p.headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned))
    }

    /// The peer address (the server is served with connect info); "unknown" otherwise.
    pub fn client_ip() -> String {
        use_context::<http::request::Parts>()
            .and_then(|p| {
                // The server's address middleware (behind trusted proxies, the forwarded one).
                p.extensions
                    .get::<crate::services::ClientAddr>()
                    .map(|c| c.0.to_string())
                    .or_else(|| {
                        p.extensions
                            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                            .map(|ci| ci.0.ip().to_string())
                    })
            })
            .unwrap_or_else(|| "unknown".to_owned())
    }

    /// The phone a sign-in code was just sent to (the pending cookie), if it parses.
    pub fn pending_phone() -> Option<String> {
        header(http::header::COOKIE)
            .and_then(|c| auth::cookie_value(&c, auth::PENDING_PHONE_COOKIE))
            .and_then(|p| auth::parse_phone(&p).ok())
    }

    pub fn session_token() -> Option<String> {
        let settings = state().ok()?.settings;
        header(http::header::COOKIE).and_then(|c| auth::token_from_cookie_header(&settings, &c))
    }

    /// Runs a use case as the signed-in actor (401 without one), the error's HTTP status set
    /// on the response: the body of nearly every server function.
    pub async fn as_actor<T, F, Fut>(run: F) -> Result<T, AppError>
    where
        F: FnOnce(AppState, crate::services::access::Actor) -> Fut,
        Fut: std::future::Future<Output = Result<T, AppError>>,
    {
        respond(
            async {
                let (state, actor) = actor().await?;
                run(state, actor).await
            }
            .await,
        )
    }

    /// What was typed into the form the server refused just before this page (once; the
    /// cookie naming it is cleared). Empty on any other page.
    pub fn take_typed() -> crate::components::forms::Typed {
        use crate::services::typed;
        let Some(token) =
            header(http::header::COOKIE).and_then(|c| typed::token_from_cookie_header(&c).map(str::to_owned))
        else {
            return Default::default();
        };
        let Ok(state) = state() else {
            return Default::default();
        };
        set_cookie(typed::cookie("", state.settings.secure_cookies, 0));
        let fields = state.typed.take(&token, std::time::Instant::now()).unwrap_or_default();
        crate::components::forms::Typed::new(fields)
    }

    /// The signed-in account as an actor, or 401.
    pub async fn actor() -> Result<(AppState, crate::services::access::Actor), AppError> {
        let state = state()?;
        let account = current_account(&state).await?.ok_or_else(AppError::sign_in_required)?;
        Ok((state, crate::services::access::Actor::new(account)))
    }

    pub async fn current_account(state: &AppState) -> Result<Option<AccountRow>, AppError> {
        match session_token() {
            Some(token) => auth::account_for_token(state, &token).await,
            None => Ok(None),
        }
    }

    pub fn set_cookie(value: String) {
        if let (Some(opts), Ok(v)) = (
            use_context::<leptos_axum::ResponseOptions>(),
            http::HeaderValue::from_str(&value),
        ) {
            opts.append_header(http::header::SET_COOKIE, v);
        }
    }

    pub fn start_session(state: &AppState, session: &NewSession) {
        set_cookie(auth::session_cookie(
            &state.settings,
            &session.token,
            session.max_age_seconds,
        ));
    }
}

/// Who is signed in and what "today" is; every page reads it.
#[server]
pub async fn get_shell_info() -> Result<ShellInfo, AppError> {
    use self::ssr::*;
    respond(
        async {
            let state = state()?;
            let user = match current_account(&state).await? {
                Some(a) => Some(crate::services::auth::user_view(&state, &a).await?),
                None => None,
            };
            Ok(ShellInfo {
                user,
                today: state.clock.today(),
                date_pinned: state.clock.is_pinned(),
                demo: state.settings.demo,
            })
        }
        .await,
    )
}

/// Sends a sign-in code and moves on to the code page. The phone waits in a short-lived
/// HttpOnly cookie, never in the URL (URLs end up in logs, history and Referer headers).
#[server]
pub async fn request_code(phone: String) -> Result<(), AppError> {
    use self::ssr::*;
    respond(
        async {
            let state = state()?;
            let phone = crate::services::auth::request_code(&state, &phone, &client_ip()).await?;
            set_cookie(crate::services::auth::pending_phone_cookie(&state.settings, &phone));
            leptos_axum::redirect("/login/resident/verify");
            Ok(())
        }
        .await,
    )
}

/// Checks the code and signs the resident in. The phone is the one the code was sent to
/// (the pending cookie); a script may name it instead.
#[server]
pub async fn verify_code(phone: Option<String>, code: String) -> Result<(), AppError> {
    use self::ssr::*;
    respond(
        async {
            let state = state()?;
            let phone = phone
                .filter(|p| !p.trim().is_empty())
                .or_else(pending_phone)
                .unwrap_or_default();
            let session = crate::services::auth::verify_code(&state, &phone, &code, &client_ip()).await?;
            set_cookie(crate::services::auth::pending_phone_cookie(&state.settings, ""));
            start_session(&state, &session);
            leptos_axum::redirect("/coverage");
            Ok(())
        }
        .await,
    )
}

#[server]
pub async fn staff_sign_in(username: String, password: String) -> Result<(), AppError> {
    use self::ssr::*;
    respond(
        async {
            let state = state()?;
            let session = crate::services::auth::staff_sign_in(&state, &username, &password, &client_ip()).await?;
            start_session(&state, &session);
            leptos_axum::redirect("/work");
            Ok(())
        }
        .await,
    )
}

#[server]
pub async fn sign_out() -> Result<(), AppError> {
    use self::ssr::*;
    respond(
        async {
            let state = state()?;
            if let Some(token) = session_token() {
                crate::services::auth::sign_out(&state, &token).await?;
            }
            set_cookie(crate::services::auth::clear_session_cookie(&state.settings));
            leptos_axum::redirect("/");
            Ok(())
        }
        .await,
    )
}

/// The code page's header: the masked phone a code was sent to (from the pending cookie)
/// and, in demo mode only, the code in the local SMS outbox so a tester needs no phone.
#[server]
pub async fn pending_sign_in() -> Result<Option<crate::model::PendingSignIn>, AppError> {
    use self::ssr::*;
    respond(
        async {
            let state = state()?;
            let Some(phone) = pending_phone() else {
                return Ok(None);
            };
            Ok(Some(crate::model::PendingSignIn {
                phone_masked: crate::model::mask_phone(&phone),
                demo_code: crate::services::auth::demo_code(&state, &phone).await?,
            }))
        }
        .await,
    )
}

/// All areas with their targets (public reference data from the notices).
#[server]
pub async fn list_areas() -> Result<Vec<AreaNode>, AppError> {
    use self::ssr::*;
    respond(async { crate::services::reference::areas(&state()?).await }.await)
}

/// What waits for the signed-in staff member (the workbench's counts).
#[server]
pub async fn my_todo() -> Result<Vec<crate::model::TodoItem>, AppError> {
    self::ssr::as_actor(|state, actor| async move { crate::services::work::todo(&state, &actor).await }).await
}

/// The areas within the signed-in staff member's scope (filtered on the server).
#[server]
pub async fn my_areas() -> Result<Vec<AreaNode>, AppError> {
    use self::ssr::*;
    respond(
        async {
            let (state, actor) = actor().await?;
            crate::services::reference::areas_in_scope(&state, &actor).await
        }
        .await,
    )
}

/// Every policy pack, whole: the quote page computes with them in the browser.
#[server]
pub async fn policy_packs() -> Result<Vec<domain::policy::PolicyPack>, AppError> {
    use self::ssr::*;
    respond(
        async {
            let state = state()?;
            let today = state.clock.today();
            Ok(state.policies.current().offered(today).cloned().collect())
        }
        .await,
    )
}
