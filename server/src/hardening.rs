//! Layers every answer passes through: security headers, body limits for server functions,
//! over-limit answers in the error shape, a request timeout and a panic catcher.

use std::time::Duration;

use app::error::{AppError, ErrorBody, UserMessage};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// What a server function's form may carry: the largest (a bulk action's 500 ids) is about
/// 10 KB; uploads go to the REST routes, which keep their own larger limits.
pub const SERVER_FN_BODY_LIMIT: usize = 64 * 1024;
/// The reconciliation page posts a pasted CSV to its server function.
pub const PASTED_CSV_BODY_LIMIT: usize = 2 * 1024 * 1024;
/// How long an ordinary request may take before it is answered 503 (a hung database or a
/// slow client holds nothing for longer).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// Uploads and the list apply handle up to 160 MB and a million rows (docs/benchmarks.md).
pub const UPLOAD_TIMEOUT: Duration = Duration::from_secs(15 * 60);

/// Headers on every answer. `Referrer-Policy: same-origin` rather than `no-referrer`:
/// with `no-referrer` browsers send `Origin: null` on form posts (the Fetch standard), which
/// the CSRF origin check must refuse, and a form posted without JavaScript is sent back to
/// its page by the Referer; `same-origin` still sends nothing to any other site.
pub async fn security_headers(State(hsts): State<bool>, req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if hsts {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    let html = h
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.starts_with("text/html"));
    if html && !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        // Pages rendered without the app shell (the sandbox payment page, plain errors):
        // no script at all.
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; script-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; \
                 object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
            ),
        );
    }
    res
}

fn too_large(limit: usize) -> AppError {
    let kb = limit / 1024;
    AppError::PayloadTooLarge(UserMessage::new(
        "body_too_large",
        None,
        format!("提交的内容过大（不能超过{kb}KB）"),
        format!("The request is too large (at most {kb} KB)"),
    ))
}

/// The body limit of a server function's path, `None` for every other path. Leptos mounts
/// server functions under `/api/`; the REST API is `/api/v1/`.
pub(crate) fn server_fn_limit(path: &str) -> Option<usize> {
    if !path.starts_with("/api/") || path.starts_with("/api/v1/") {
        return None;
    }
    Some(if path.starts_with("/api/import_reconciliation") {
        PASTED_CSV_BODY_LIMIT
    } else {
        SERVER_FN_BODY_LIMIT
    })
}

/// Buffers a server function's body up to its limit, so a declared and a chunked body over
/// it both get 413 with the error (the server function's client reads `AppError` JSON)
/// before anything is parsed.
pub async fn limit_server_fn_body(req: Request, next: Next) -> Response {
    let Some(limit) = server_fn_limit(req.uri().path()) else {
        return next.run(req).await;
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return server_fn_too_large(limit);
    }
    let (parts, body) = req.into_parts();
    match axum::body::to_bytes(body, limit).await {
        Ok(bytes) => {
            next.run(Request::from_parts(parts, axum::body::Body::from(bytes)))
                .await
        }
        Err(_) => server_fn_too_large(limit),
    }
}

fn server_fn_too_large(limit: usize) -> Response {
    let body = serde_json::to_vec(&too_large(limit)).unwrap_or_default();
    (
        StatusCode::PAYLOAD_TOO_LARGE,
        [(header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response()
}

/// axum's own over-limit rejections (REST uploads, `/prefs`) are plain text: give them the
/// API's error shape.
pub async fn json_413(req: Request, next: Next) -> Response {
    let res = next.run(req).await;
    if res.status() != StatusCode::PAYLOAD_TOO_LARGE || is_json(res.headers()) {
        return res;
    }
    (
        StatusCode::PAYLOAD_TOO_LARGE,
        axum::Json(ErrorBody::from(&too_large(0))),
    )
        .into_response()
}

fn is_json(h: &HeaderMap) -> bool {
    h.get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.starts_with("application/json"))
}

/// Ends a request that takes too long with 503 in the error shape; the dropped handler
/// rolls back any open transaction.
pub async fn timeout(req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let long = path.starts_with("/api/v1/adjustment-lists")
        || path.starts_with("/api/v1/roster/import")
        || path.starts_with("/api/v1/targets/import")
        || path.contains("/documents")
        || path.starts_with("/api/apply_list")
        || path.starts_with("/api/v1/payments/reconciliation")
        || path.starts_with("/api/import_reconciliation");
    let limit = if long { UPLOAD_TIMEOUT } else { REQUEST_TIMEOUT };
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(res) => res,
        Err(_) => {
            let err = AppError::internal("request timeout", format!("no answer within {} s", limit.as_secs()));
            (StatusCode::SERVICE_UNAVAILABLE, axum::Json(ErrorBody::from(&err))).into_response()
        }
    }
}

/// A handler that panics answers 500 in the error shape (with a reference in the log), and
/// the server keeps serving.
pub fn on_panic(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let what = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("(no message)");
    AppError::internal("handler panicked", what).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panicking_handler_answers_500_and_the_next_request_is_served() {
        use tower::ServiceExt;
        let router = axum::Router::new()
            .route(
                "/boom",
                axum::routing::get(|| async {
                    if true {
                        panic!("boom");
                    }
                    "unreachable"
                }),
            )
            .route("/ok", axum::routing::get(|| async { "ok" }))
            .layer(tower_http::catch_panic::CatchPanicLayer::custom(on_panic));
        let get = |path: &str| Request::builder().uri(path).body(axum::body::Body::empty()).unwrap();
        let res = router.clone().oneshot(get("/boom")).await.unwrap();
        assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = axum::body::to_bytes(res.into_body(), 1024).await.unwrap();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["error"]["code"], "internal");
        let res = router.oneshot(get("/ok")).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
    }

    #[test]
    fn only_server_functions_get_the_small_limit() {
        assert_eq!(server_fn_limit("/api/verify_code123"), Some(SERVER_FN_BODY_LIMIT));
        assert_eq!(
            server_fn_limit("/api/import_reconciliation42"),
            Some(PASTED_CSV_BODY_LIMIT)
        );
        assert_eq!(server_fn_limit("/api/v1/enrollments"), None);
        assert_eq!(server_fn_limit("/coverage"), None);
    }
}
