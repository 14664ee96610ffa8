//! Typed configuration, read once from the environment at start.

use std::net::SocketAddr;

use chrono::NaiveDate;

pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/canbao.db";

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
    /// `CANBAO_DEMO`, default on: seed demo accounts and show one-time codes from the local outbox.
    pub demo: bool,
    /// `CANBAO_SECRET`: pepper for one-time-code hashes; random per start when unset.
    pub secret: Option<String>,
    /// `CANBAO_SECURE_COOKIES`, default off: add `Secure` to cookies (set it behind HTTPS).
    pub secure_cookies: bool,
    /// `CANBAO_SESSION_HOURS`, default 12.
    pub session_hours: i64,
    /// `CANBAO_PAYMENT_SECRET`: HMAC key shared with the payment provider for callbacks;
    /// derived from `CANBAO_SECRET` when unset.
    pub payment_secret: Option<String>,
    /// `CANBAO_ORDER_MINUTES`, default 30: how long a payment order stays open.
    pub order_minutes: i64,
    /// `CANBAO_POLICY_DIR`: extra policy packs (`*.toml`) loaded beside the embedded five.
    pub policy_dir: Option<std::path::PathBuf>,
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
        let site_addr = site_addr.parse().map_err(|_| ConfigError {
            var: "LEPTOS_SITE_ADDR",
            problem: format!("expected host:port such as 127.0.0.1:3000, got {site_addr:?}"),
        })?;
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
        Ok(Config {
            demo_population,
            site_addr,
            site_root: get("LEPTOS_SITE_ROOT").unwrap_or_else(|| "target/site".into()),
            database_url,
            today,
            demo: flag("CANBAO_DEMO", get("CANBAO_DEMO"), true)?,
            secret: get("CANBAO_SECRET").filter(|s| !s.is_empty()),
            secure_cookies: flag("CANBAO_SECURE_COOKIES", get("CANBAO_SECURE_COOKIES"), false)?,
            session_hours,
            payment_secret: get("CANBAO_PAYMENT_SECRET").filter(|s| !s.is_empty()),
            order_minutes,
            policy_dir: get("CANBAO_POLICY_DIR")
                .filter(|s| !s.trim().is_empty())
                .map(Into::into),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn cfg(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults() {
        let c = cfg(&[]).unwrap();
        assert_eq!(c.database_url, DEFAULT_DATABASE_URL);
        assert_eq!(c.site_addr.to_string(), "127.0.0.1:3000");
        assert!(c.demo && c.today.is_none() && !c.secure_cookies);
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
        let c = cfg(&[("CANBAO_TODAY", "2022-10-08"), ("CANBAO_DEMO", "off")]).unwrap();
        assert_eq!(c.today, NaiveDate::from_ymd_opt(2022, 10, 8));
        assert!(!c.demo);
    }
}
