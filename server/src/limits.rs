//! Per-client limits on the routes worth abusing (staff sign-in, one-time codes, the public
//! quote, the payment callback), and the client's address behind trusted proxies.
//!
//! governor's keyed GCRA limiter does the counting (atomic, lock-free per key) instead of
//! hand-written counters.

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;

use app::error::{AppError, ErrorBody, UserMessage};
use app::services::ClientAddr;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::config::RateLimits;

/// Which limit a request falls under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    SignIn,
    Code,
    Quote,
    Callback,
}

impl Kind {
    /// The limit for a path, if any. Server functions are mounted as `/api/<name><hash>`.
    pub fn of(path: &str) -> Option<Kind> {
        Some(match path {
            "/api/v1/sessions" => Kind::SignIn,
            "/api/v1/quote" => Kind::Quote,
            "/api/v1/payments/callback" => Kind::Callback,
            p if p.starts_with("/api/staff_sign_in") => Kind::SignIn,
            p if p.starts_with("/api/request_code") || p.starts_with("/api/verify_code") => Kind::Code,
            _ => return None,
        })
    }
}

/// The limiters (per minute per client address; none where the limit is 0) and the proxies
/// whose `X-Forwarded-For` is believed.
pub struct Limits {
    sign_in: Option<DefaultKeyedRateLimiter<IpAddr>>,
    code: Option<DefaultKeyedRateLimiter<IpAddr>>,
    quote: Option<DefaultKeyedRateLimiter<IpAddr>>,
    callback: Option<DefaultKeyedRateLimiter<IpAddr>>,
    trusted_proxies: Vec<IpAddr>,
}

fn keyed(per_minute: u32) -> Option<DefaultKeyedRateLimiter<IpAddr>> {
    NonZeroU32::new(per_minute).map(|n| RateLimiter::keyed(Quota::per_minute(n)))
}

impl Limits {
    pub fn new(limits: &RateLimits, trusted_proxies: Vec<IpAddr>) -> Limits {
        Limits {
            sign_in: keyed(limits.sign_in),
            code: keyed(limits.code),
            quote: keyed(limits.quote),
            callback: keyed(limits.callback),
            trusted_proxies,
        }
    }

    fn limiter(&self, kind: Kind) -> Option<&DefaultKeyedRateLimiter<IpAddr>> {
        match kind {
            Kind::SignIn => self.sign_in.as_ref(),
            Kind::Code => self.code.as_ref(),
            Kind::Quote => self.quote.as_ref(),
            Kind::Callback => self.callback.as_ref(),
        }
    }

    /// Forgets clients not seen lately, so the keyed state stays small (the janitor).
    pub fn forget_idle(&self) {
        for l in [&self.sign_in, &self.code, &self.quote, &self.callback]
            .into_iter()
            .flatten()
        {
            l.retain_recent();
            l.shrink_to_fit();
        }
    }

    /// The client's address: the peer, unless the peer is a trusted proxy; then the
    /// rightmost `X-Forwarded-For` entry that is not itself a trusted proxy (entries to its
    /// left were written by the client and prove nothing).
    pub fn client(&self, peer: Option<IpAddr>, headers: &HeaderMap) -> Option<IpAddr> {
        let peer = peer?;
        if !self.trusted_proxies.contains(&peer) {
            return Some(peer);
        }
        let forwarded: Vec<IpAddr> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|s| s.trim().parse().ok())
            .collect();
        Some(
            forwarded
                .into_iter()
                .rev()
                .find(|ip| !self.trusted_proxies.contains(ip))
                .unwrap_or(peer),
        )
    }
}

/// Works out the client's address for every request (handlers and server functions read
/// it as `ClientAddr`), then applies the route's limit: over it, 429 in the error shape with
/// `Retry-After`, and the handler never runs.
pub async fn limit(State(limits): State<Arc<Limits>>, mut req: Request, next: Next) -> Response {
    let peer = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    let client = limits.client(peer, req.headers());
    if let Some(ip) = client {
        req.extensions_mut().insert(ClientAddr(ip));
    }
    let path = req.uri().path();
    if let (Some(ip), Some(kind)) = (client, Kind::of(path)) {
        if let Some(Err(not_until)) = limits.limiter(kind).map(|l| l.check_key(&ip)) {
            let wait = not_until
                .wait_time_from(governor::clock::Clock::now(&governor::clock::DefaultClock::default()))
                .as_secs()
                + 1;
            tracing::warn!(client = %ip, path, ?kind, "rate limit reached");
            return too_many(path, wait);
        }
    }
    next.run(req).await
}

fn too_many(path: &str, wait_seconds: u64) -> Response {
    let err = AppError::TooManyRequests(UserMessage::new(
        "rate_limited",
        None,
        format!("请求过于频繁，请{wait_seconds}秒后再试"),
        format!("Too many requests; please try again in {wait_seconds} seconds"),
    ));
    // Server functions read `AppError` itself; the REST API has its error shape.
    let mut res = if path.starts_with("/api/v1/") {
        (StatusCode::TOO_MANY_REQUESTS, axum::Json(ErrorBody::from(&err))).into_response()
    } else {
        (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::CONTENT_TYPE, "application/json")],
            serde_json::to_vec(&err).unwrap_or_default(),
        )
            .into_response()
    };
    if let Ok(v) = HeaderValue::from_str(&wait_seconds.to_string()) {
        res.headers_mut().insert(header::RETRY_AFTER, v);
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(trusted: &[&str]) -> Limits {
        let none = RateLimits {
            sign_in: 0,
            code: 0,
            quote: 0,
            callback: 0,
        };
        Limits::new(&none, trusted.iter().map(|s| s.parse().unwrap()).collect())
    }

    fn xff(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", HeaderValue::from_str(v).unwrap());
        h
    }

    #[test]
    fn forwarded_addresses_count_only_behind_a_trusted_proxy() {
        let peer: IpAddr = "10.0.0.5".parse().unwrap();
        // Untrusted peer: its header is ignored.
        assert_eq!(limits(&[]).client(Some(peer), &xff("203.0.113.7")), Some(peer));
        // Trusted proxy: the rightmost address it did not add itself.
        let l = limits(&["10.0.0.5", "10.0.0.6"]);
        assert_eq!(
            l.client(Some(peer), &xff("198.51.100.1, 203.0.113.7, 10.0.0.6")),
            Some("203.0.113.7".parse().unwrap()),
            "a spoofed leftmost entry does not count"
        );
        assert_eq!(l.client(Some(peer), &HeaderMap::new()), Some(peer));
        assert_eq!(l.client(Some(peer), &xff("garbage")), Some(peer));
    }

    #[test]
    fn routes_worth_abusing_have_limits() {
        assert_eq!(Kind::of("/api/v1/sessions"), Some(Kind::SignIn));
        assert_eq!(Kind::of("/api/staff_sign_in123"), Some(Kind::SignIn));
        assert_eq!(Kind::of("/api/request_code9"), Some(Kind::Code));
        assert_eq!(Kind::of("/api/verify_code9"), Some(Kind::Code));
        assert_eq!(Kind::of("/api/v1/quote"), Some(Kind::Quote));
        assert_eq!(Kind::of("/api/v1/payments/callback"), Some(Kind::Callback));
        assert_eq!(Kind::of("/api/v1/enrollments"), None);
    }
}
