//! Typed configuration, read once from the environment at start.

use std::net::SocketAddr;

use chrono::NaiveDate;
use secrecy::{ExposeSecret, SecretString};

pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/canbao.db";

/// The shortest secret a production server accepts (32 characters: 128 bits as hex).
pub const MIN_SECRET_CHARS: usize = 32;

/// Secret values that are published (tests, load scripts, examples): never accepted in
/// production, whatever their length.
pub const PUBLISHED_SECRETS: &[&str] = &[
    "test-secret",
    "load-test-secret",
    "canbao-demo-secret",
    "changeme",
    "change-me",
    "secret",
];

/// Requests per minute per client address on the routes worth abusing; 0 is no limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    /// Staff sign-in (`POST /api/v1/sessions` and the sign-in page).
    pub sign_in: u32,
    /// Asking for and entering one-time codes.
    pub code: u32,
    /// The public quote (`POST /api/v1/quote`).
    pub quote: u32,
    /// The payment provider's callback.
    pub callback: u32,
}

impl RateLimits {
    /// Production's limits: a person signs in a few times a minute at most; a village office
    /// behind one address quotes for a queue of people; a provider calls back per payment.
    pub const PRODUCTION: RateLimits = RateLimits {
        sign_in: 10,
        code: 20,
        quote: 300,
        callback: 3000,
    };
    /// The demo on loopback (and the outside checks and load tests it serves) has none.
    pub const NONE: RateLimits = RateLimits {
        sign_in: 0,
        code: 0,
        quote: 0,
        callback: 0,
    };

    /// `sign_in=10,code=20,quote=300,callback=3000` (any subset, over `base`).
    fn parse(base: RateLimits, s: &str) -> Result<RateLimits, ConfigError> {
        let bad = |problem: String| ConfigError {
            var: "CANBAO_RATE_LIMITS",
            problem,
        };
        let mut out = base;
        for pair in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (key, value) = pair
                .split_once('=')
                .ok_or_else(|| bad(format!("expected name=requests per minute, got {pair:?}")))?;
            let n: u32 = value.trim().parse().map_err(|_| {
                bad(format!(
                    "{key}: expected a whole number of requests per minute, got {value:?}"
                ))
            })?;
            match key.trim() {
                "sign_in" => out.sign_in = n,
                "code" => out.code = n,
                "quote" => out.quote = n,
                "callback" => out.callback = n,
                other => {
                    return Err(bad(format!(
                        "unknown limit {other:?} (known: sign_in, code, quote, callback)"
                    )))
                }
            }
        }
        Ok(out)
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    /// `LEPTOS_SITE_ADDR`, default 127.0.0.1:3000 (port 0 picks a free port).
    pub site_addr: SocketAddr,
    /// `LEPTOS_SITE_ROOT`, default `target/site`: where the built WASM, JS, CSS and assets are.
    pub site_root: String,
    /// `DATABASE_URL`, default `sqlite://data/canbao.db`; `postgres://…` for PostgreSQL.
    pub database_url: String,
    /// `CANBAO_TODAY=YYYY-MM-DD` pins "today" (demo and tests); unset: the system clock in Asia/Shanghai.
    pub today: Option<NaiveDate>,
    /// `CANBAO_DEMO`, default off: only `on` seeds the demo accounts and data, shows one-time
    /// codes from the local outbox and serves the sandbox payment pages. Off is production.
    pub demo: bool,
    /// `CANBAO_SECRET`: pepper for one-time-code hashes. Required in production; random per
    /// start in demo mode when unset. Never printed (`SecretString`).
    pub secret: Option<SecretString>,
    /// Cookies are `Secure` with the `__Host-` prefix unless demo mode listens on loopback
    /// (a demo on a laptop has no TLS); not configurable, so production cannot turn it off.
    pub secure_cookies: bool,
    /// `CANBAO_SESSION_HOURS`, default 12.
    pub session_hours: i64,
    /// `CANBAO_SESSION_IDLE_MINUTES` (default 30): a session unused this long ends.
    pub session_idle_minutes: i64,
    /// `CANBAO_PAYMENT_SECRET`: HMAC key shared with the payment provider for callbacks.
    /// Required in production; derived from `CANBAO_SECRET` in demo mode when unset.
    pub payment_secret: Option<SecretString>,
    /// `CANBAO_ORDER_MINUTES`, default 30: how long a payment order stays open.
    pub order_minutes: i64,
    /// `CANBAO_POLICY_DIR`: extra policy packs (`*.toml`) loaded beside the embedded five.
    pub policy_dir: Option<std::path::PathBuf>,
    /// `CANBAO_RATE_LIMITS`: per-client limits; production's by default, none in the demo.
    pub rate_limits: RateLimits,
    /// `CANBAO_TRUSTED_PROXIES`: comma-separated addresses of the reverse proxies whose
    /// `X-Forwarded-For` gives the client's address; none by default (the peer is the client).
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// `CANBAO_DEMO_POPULATION`, default 0: with demo data, a synthetic Lishi population of
    /// this many people (once) so the reports have something to show.
    pub demo_population: u64,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{var}: {problem}")]
pub struct ConfigError {
    pub var: &'static str,
    pub problem: String,
}

fn flag(var: &'static str, value: Option<String>, default: bool) -> Result<bool, ConfigError> {
    match value.as_deref().map(str::trim) {
        None | Some("") => Ok(default),
        Some("1" | "true" | "on" | "yes") => Ok(true),
        Some("0" | "false" | "off" | "no") => Ok(false),
        Some(other) => Err(ConfigError {
            var,
            problem: format!("expected on/off, got {other:?}"),
        }),
    }
}

impl Config {
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_lookup(|k| std::env::var(k).ok())
    }

    /// Reads the configuration through `get` (the environment, or a map in tests).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let site_addr = get("LEPTOS_SITE_ADDR").unwrap_or_else(|| "127.0.0.1:3000".into());
        let site_addr: SocketAddr = site_addr.parse().map_err(|_| ConfigError {
            var: "LEPTOS_SITE_ADDR",
            problem: format!("expected host:port such as 127.0.0.1:3000, got {site_addr:?}"),
        })?;
        let database_url = database_url(&get)?;
        let today = match get("CANBAO_TODAY").filter(|s| !s.trim().is_empty()) {
            None => None,
            Some(s) => Some(domain::dates::parse_date(s.trim()).map_err(|e| ConfigError {
                var: "CANBAO_TODAY",
                problem: format!("expected YYYY-MM-DD: {}", e.message_en()),
            })?),
        };
        let session_hours = match get("CANBAO_SESSION_HOURS") {
            None => 12,
            Some(s) => s
                .trim()
                .parse()
                .ok()
                .filter(|h| (1..=24 * 30).contains(h))
                .ok_or(ConfigError {
                    var: "CANBAO_SESSION_HOURS",
                    problem: format!("expected a whole number of hours from 1 to 720, got {s:?}"),
                })?,
        };
        let session_idle_minutes = match get("CANBAO_SESSION_IDLE_MINUTES") {
            None => 30,
            Some(s) => s
                .trim()
                .parse()
                .ok()
                .filter(|m| (5..=24 * 60).contains(m))
                .ok_or(ConfigError {
                    var: "CANBAO_SESSION_IDLE_MINUTES",
                    problem: format!("expected a whole number of minutes from 5 to 1440, got {s:?}"),
                })?,
        };
        let order_minutes = match get("CANBAO_ORDER_MINUTES") {
            None => 30,
            Some(s) => s
                .trim()
                .parse()
                .ok()
                .filter(|m| (1..=24 * 60).contains(m))
                .ok_or(ConfigError {
                    var: "CANBAO_ORDER_MINUTES",
                    problem: format!("expected a whole number of minutes from 1 to 1440, got {s:?}"),
                })?,
        };
        let demo_population = match get("CANBAO_DEMO_POPULATION") {
            None => 0,
            Some(s) => s.trim().parse().ok().filter(|n| *n <= 1_000_000).ok_or(ConfigError {
                var: "CANBAO_DEMO_POPULATION",
                problem: format!("expected a head count from 0 to 1000000, got {s:?}"),
            })?,
        };
        if get("CANBAO_SECURE_COOKIES").is_some() {
            return Err(ConfigError {
                var: "CANBAO_SECURE_COOKIES",
                problem: "is no longer read: cookies are always Secure (with the __Host- prefix) \
                          unless CANBAO_DEMO=on listens on loopback; remove the variable"
                    .into(),
            });
        }
        let demo = flag("CANBAO_DEMO", get("CANBAO_DEMO"), false)?;
        let secret = production_secret(&get, "CANBAO_SECRET", demo)?;
        let payment_secret = production_secret(&get, "CANBAO_PAYMENT_SECRET", demo)?;
        if let (false, Some(a), Some(b)) = (demo, &secret, &payment_secret) {
            if a.expose_secret() == b.expose_secret() {
                return Err(ConfigError {
                    var: "CANBAO_PAYMENT_SECRET",
                    problem: "must differ from CANBAO_SECRET: the payment provider holds this one".into(),
                });
            }
        }
        let rate_limits = RateLimits::parse(
            if demo { RateLimits::NONE } else { RateLimits::PRODUCTION },
            &get("CANBAO_RATE_LIMITS").unwrap_or_default(),
        )?;
        let trusted_proxies = get("CANBAO_TRUSTED_PROXIES")
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse().map_err(|_| ConfigError {
                    var: "CANBAO_TRUSTED_PROXIES",
                    problem: format!("expected IP addresses separated by commas, got {s:?}"),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Config {
            rate_limits,
            trusted_proxies,
            demo_population,
            secure_cookies: !(demo && site_addr.ip().is_loopback()),
            site_addr,
            site_root: get("LEPTOS_SITE_ROOT").unwrap_or_else(|| "target/site".into()),
            database_url,
            today,
            demo,
            secret,
            session_hours,
            session_idle_minutes,
            payment_secret,
            order_minutes,
            policy_dir: get("CANBAO_POLICY_DIR")
                .filter(|s| !s.trim().is_empty())
                .map(Into::into),
        })
    }
}

/// `DATABASE_URL` alone: what the administration commands need (they use no secret).
pub fn database_url(get: &impl Fn(&str) -> Option<String>) -> Result<String, ConfigError> {
    let database_url = get("DATABASE_URL")
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_DATABASE_URL.into());
    if !(database_url.starts_with("sqlite:")
        || database_url.starts_with("postgres://")
        || database_url.starts_with("postgresql://"))
    {
        return Err(ConfigError {
            var: "DATABASE_URL",
            problem: "must start with sqlite: or postgres:// (e.g. sqlite://data/canbao.db)".into(),
        });
    }
    Ok(database_url)
}

/// A secret from the environment. In production it must be set, long enough and not a
/// published value; in demo mode anything (or nothing) goes.
fn production_secret(
    get: &impl Fn(&str) -> Option<String>,
    var: &'static str,
    demo: bool,
) -> Result<Option<SecretString>, ConfigError> {
    let value = get(var).filter(|s| !s.is_empty());
    if demo {
        return Ok(value.map(SecretString::from));
    }
    let problem = match value.as_deref() {
        None => "must be set in production (or set CANBAO_DEMO=on for the demo)".to_owned(),
        Some(v) if PUBLISHED_SECRETS.contains(&v.trim()) => {
            "is a published demo or test value; set a random secret (e.g. openssl rand -hex 32)".into()
        }
        Some(v) if v.chars().count() < MIN_SECRET_CHARS => {
            format!("must be at least {MIN_SECRET_CHARS} characters in production (e.g. openssl rand -hex 32)")
        }
        Some(v) => return Ok(Some(SecretString::from(v.to_owned()))),
    };
    Err(ConfigError { var, problem })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn cfg(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    const PEPPER: &str = "0123456789abcdef0123456789abcdef-pepper";
    const PAY: &str = "0123456789abcdef0123456789abcdef-payment";

    #[test]
    fn defaults_are_production() {
        // Nothing set: production, which refuses to start without its secrets.
        let e = cfg(&[]).unwrap_err();
        assert_eq!(e.var, "CANBAO_SECRET");
        let c = cfg(&[("CANBAO_SECRET", PEPPER), ("CANBAO_PAYMENT_SECRET", PAY)]).unwrap();
        assert_eq!(c.database_url, DEFAULT_DATABASE_URL);
        assert_eq!(c.site_addr.to_string(), "127.0.0.1:3000");
        assert!(!c.demo && c.today.is_none());
        assert!(c.secure_cookies, "production cookies are Secure even on loopback");
        // The secrets never print.
        let shown = format!("{c:?}");
        assert!(!shown.contains(PEPPER) && !shown.contains(PAY), "{shown}");
    }

    #[test]
    fn production_refuses_weak_or_published_secrets() {
        let e = cfg(&[("CANBAO_SECRET", PEPPER)]).unwrap_err();
        assert_eq!(e.var, "CANBAO_PAYMENT_SECRET");
        assert_eq!(
            cfg(&[("CANBAO_SECRET", "test-secret"), ("CANBAO_PAYMENT_SECRET", PAY)])
                .unwrap_err()
                .var,
            "CANBAO_SECRET"
        );
        assert_eq!(
            cfg(&[("CANBAO_SECRET", "short"), ("CANBAO_PAYMENT_SECRET", PAY)])
                .unwrap_err()
                .var,
            "CANBAO_SECRET"
        );
        assert_eq!(
            cfg(&[("CANBAO_SECRET", PEPPER), ("CANBAO_PAYMENT_SECRET", "load-test-secret")])
                .unwrap_err()
                .var,
            "CANBAO_PAYMENT_SECRET"
        );
        assert_eq!(
            cfg(&[("CANBAO_SECRET", PEPPER), ("CANBAO_PAYMENT_SECRET", PEPPER)])
                .unwrap_err()
                .var,
            "CANBAO_PAYMENT_SECRET"
        );
        assert_eq!(
            cfg(&[
                ("CANBAO_SECRET", PEPPER),
                ("CANBAO_PAYMENT_SECRET", PAY),
                ("CANBAO_SECURE_COOKIES", "off")
            ])
            .unwrap_err()
            .var,
            "CANBAO_SECURE_COOKIES"
        );
    }

    #[test]
    fn rate_limits_and_trusted_proxies() {
        let prod = [("CANBAO_SECRET", PEPPER), ("CANBAO_PAYMENT_SECRET", PAY)];
        assert_eq!(cfg(&prod).unwrap().rate_limits, RateLimits::PRODUCTION);
        assert_eq!(cfg(&[("CANBAO_DEMO", "on")]).unwrap().rate_limits, RateLimits::NONE);
        let mut with = prod.to_vec();
        with.push(("CANBAO_RATE_LIMITS", "quote=5, sign_in=0"));
        with.push(("CANBAO_TRUSTED_PROXIES", "127.0.0.1, ::1"));
        let c = cfg(&with).unwrap();
        assert_eq!(
            (c.rate_limits.quote, c.rate_limits.sign_in, c.rate_limits.code),
            (5, 0, 20)
        );
        assert_eq!(c.trusted_proxies.len(), 2);
        let mut bad = prod.to_vec();
        bad.push(("CANBAO_RATE_LIMITS", "quotes=5"));
        assert_eq!(cfg(&bad).unwrap_err().var, "CANBAO_RATE_LIMITS");
        let mut bad = prod.to_vec();
        bad.push(("CANBAO_TRUSTED_PROXIES", "nginx"));
        assert_eq!(cfg(&bad).unwrap_err().var, "CANBAO_TRUSTED_PROXIES");
    }

    #[test]
    fn demo_is_opt_in_and_insecure_cookies_only_on_loopback() {
        let c = cfg(&[("CANBAO_DEMO", "on")]).unwrap();
        assert!(c.demo && !c.secure_cookies && c.secret.is_none());
        let c = cfg(&[("CANBAO_DEMO", "on"), ("LEPTOS_SITE_ADDR", "0.0.0.0:3000")]).unwrap();
        assert!(
            c.secure_cookies,
            "a demo reachable from other machines still gets Secure cookies"
        );
    }

    #[test]
    fn bad_values_name_their_variable() {
        assert_eq!(cfg(&[("DATABASE_URL", "mysql://x")]).unwrap_err().var, "DATABASE_URL");
        assert_eq!(cfg(&[("CANBAO_TODAY", "2022-13-01")]).unwrap_err().var, "CANBAO_TODAY");
        assert_eq!(
            cfg(&[("LEPTOS_SITE_ADDR", "nowhere")]).unwrap_err().var,
            "LEPTOS_SITE_ADDR"
        );
        assert_eq!(cfg(&[("CANBAO_DEMO", "maybe")]).unwrap_err().var, "CANBAO_DEMO");
        assert_eq!(
            cfg(&[("CANBAO_ORDER_MINUTES", "0")]).unwrap_err().var,
            "CANBAO_ORDER_MINUTES"
        );
        let c = cfg(&[
            ("CANBAO_TODAY", "2022-10-08"),
            ("CANBAO_DEMO", "off"),
            ("CANBAO_SECRET", PEPPER),
            ("CANBAO_PAYMENT_SECRET", PAY),
        ])
        .unwrap();
        assert_eq!(c.today, NaiveDate::from_ymd_opt(2022, 10, 8));
        assert!(!c.demo);
    }
}
