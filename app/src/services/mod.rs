//! Use cases (server only). Both doors — server functions and REST — call these.

pub mod access;
pub mod audit;
pub mod auth;
pub mod certification;
pub mod clock;
pub mod coverage;
pub mod enrolment;
pub mod generate;
pub mod ledger;
pub mod lists;
pub mod payments;
pub mod policies;
pub mod pricing;
pub mod quotes;
pub mod reference;
pub mod reports;
pub mod seed;
pub mod sheets;
pub mod sms;
pub mod targets;
pub mod typed;
pub mod work;

use std::sync::Arc;

pub use clock::Clock;
pub use sms::{OutboxSms, SmsSender};

use sqlx::postgres::{PgPool, PgPoolOptions};

use crate::services::auth::store::SessionLookup;
use crate::services::enrolment::store::{OrderLookup, PersonLookup};
use crate::store::batch::{run_batch, Batched, Batcher};
use crate::store::Db;
use enrolment::NewPeopleRows;
use payments::OrderPayment;

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
    pub secret: crate::secrets::SecretString,
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
    /// The policy packs, replaced whole when one is published.
    pub policies: Arc<policies::Policies>,
    pub settings: Arc<Settings>,
    /// Verifies payment callbacks (the sandbox provider locally).
    pub payments: Arc<dyn payments::PaymentProvider>,
    /// The sandbox provider's own signing key, for its pay page (same secret as `payments`).
    pub sandbox_signer: Arc<payments::SandboxProvider>,
    /// Designated hospitals and areas, held in memory for a minute.
    pub reference: Arc<reference::Reference>,
    /// Submissions of new people, orders' payments and the point reads of an enrolment, run
    /// in batches that requests share under load (PostgreSQL).
    pub batches: Arc<Batches>,
    /// What was typed into forms the server refused, for the page the refusal returns to.
    pub typed: Arc<typed::TypedForms>,
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

/// Writer tasks per kind of statement. One: the next batch gathers while a statement runs,
/// and larger batches cost less per job. Measured at 32 concurrent enrolments with payment:
/// two writers each 878/s, one 1,009/s (docs/benchmarks.md).
const WRITERS: usize = 1;
/// Jobs per statement at most (a submission has at most `MAX_MEMBERS` members).
const MAX_BATCH: usize = 32;

type Answer<T> = Option<Batcher<T, Result<<T as Batched>::Answer, sqlx::Error>>>;

/// The batched statements, on PostgreSQL only: SQLite has one writer at a time anyway, and
/// its submissions and payments keep their transactions.
pub struct Batches {
    pub new_people: Answer<NewPeopleRows>,
    pub payments: Answer<OrderPayment>,
    pub sessions: Answer<SessionLookup>,
    pub people: Answer<PersonLookup>,
    pub orders: Answer<OrderLookup>,
}

impl Batches {
    pub fn new(db: &Db) -> Self {
        match db {
            Db::Postgres(pool) => {
                // The writers plan on connections of their own with sequential scans off. A
                // statement's plan is cached per connection and chosen once, from the sizes
                // its tables had then: on a new database (or a new table of orders at the
                // start of a collection period) that was a scan of every order, kept while
                // the table grew until the next ANALYZE, and each payment batch read every
                // order (about 2 ms a batch at 15,000 orders). The writers only ever look rows
                // up by key, so an index is never the wrong choice for them.
                let options = (*pool.connect_options()).clone().options([("enable_seqscan", "off")]);
                let pool = PgPoolOptions::new()
                    .max_connections(6)
                    .acquire_timeout(std::time::Duration::from_secs(5))
                    .connect_lazy_with(options);
                Self {
                    new_people: Some(batcher(&pool)),
                    payments: Some(batcher(&pool)),
                    sessions: Some(batcher(&pool)),
                    people: Some(batcher(&pool)),
                    orders: Some(batcher(&pool)),
                }
            }
            Db::Sqlite(_) => Self {
                new_people: None,
                payments: None,
                sessions: None,
                people: None,
                orders: None,
            },
        }
    }
}

fn batcher<J: Batched>(pool: &PgPool) -> Batcher<J, Result<J::Answer, sqlx::Error>> {
    let pool = pool.clone();
    Batcher::new(WRITERS, MAX_BATCH, move |jobs| run_batch(pool.clone(), jobs))
}
