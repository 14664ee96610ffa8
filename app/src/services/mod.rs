//! Use cases (server only). Both doors — server functions and REST — call these.

pub mod adjustments;
pub mod audit;
pub mod auth;
pub mod batch;
pub mod certification;
pub mod clock;
pub mod enrolment;
pub mod generate;
pub mod ledger;
pub mod payment_exceptions;
pub mod payments;
pub mod policies;
pub mod quotes;
pub mod reference;
pub mod report_render;
pub mod reports;
pub mod roster;
pub mod seed;
pub mod sms;
pub mod targets;

use std::sync::Arc;

pub use clock::Clock;
pub use sms::{OutboxSms, SmsSender};

use crate::store::Db;

/// The client's address as the server worked it out (the peer, or the address a trusted
/// proxy forwarded), put on each request for handlers and server functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub std::net::IpAddr);

/// Settings the services need, read once at start by the server's configuration.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Demo mode: seed demo data and show one-time codes from the local outbox on screen.
    pub demo: bool,
    /// Server secret mixed into one-time-code hashes (a pepper).
    pub secret: String,
    /// Add `Secure` to cookies (behind HTTPS).
    pub secure_cookies: bool,
    pub session_hours: i64,
    /// A session unused for this long ends (idle timeout), whatever its absolute expiry.
    pub session_idle_minutes: i64,
    /// Minutes a payment order stays open.
    pub order_minutes: i64,
}

/// Everything a request handler needs; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub clock: Clock,
    pub sms: Arc<dyn SmsSender>,
    pub policies: Arc<policies::PolicyRegistry>,
    pub settings: Arc<Settings>,
    /// Verifies payment callbacks (the sandbox provider locally).
    pub payments: Arc<dyn payments::PaymentProvider>,
    /// The sandbox provider's own signing key, for its pay page (same secret as `payments`).
    pub sandbox_signer: Arc<payments::SandboxProvider>,
    /// Designated hospitals and areas, held in memory for a minute.
    pub reference: Arc<reference::Reference>,
    /// Submissions of new people, orders' payments and the point reads of an enrolment, run
    /// in batches that requests share under load (PostgreSQL).
    pub batches: Arc<batch::Batches>,
}

/// CPU-heavy parsing (uploaded sheets) on the blocking pool, one at a time: the async
/// workers keep answering, and two large uploads never hold two sheets in memory at once.
/// A panic in `f` becomes a 500.
pub async fn off_thread<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, crate::error::AppError> + Send + 'static,
) -> Result<T, crate::error::AppError> {
    static ONE: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(1);
    let _permit = ONE
        .acquire()
        .await
        .map_err(|e| crate::error::AppError::internal("parse", e))?;
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| crate::error::AppError::internal("parse task", e))?
}

/// A random hex token of `bytes` random bytes.
pub fn random_token(bytes: usize) -> String {
    use rand::RngCore;
    let mut buf = vec![0u8; bytes];
    rand::thread_rng().fill_bytes(&mut buf);
    hex::encode(buf)
}

/// SHA-256 in hex (session tokens and one-time codes are stored only hashed).
pub fn sha256_hex(parts: &[&str]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0u8]);
    }
    hex::encode(h.finalize())
}
