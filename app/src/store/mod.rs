//! Storage: one API over SQLite (embedded default) and PostgreSQL (production).
//!
//! Queries are written once in the SQL both engines accept (`$1` placeholders,
//! `RETURNING`) and run through [`with_pool!`], which expands the same code for
//! each backend's pool type. Schema differences live in `migrations/{sqlite,postgres}`.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};

pub mod areas;
pub mod batch;

/// A connection pool to one of the two supported databases.
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs the same block against whichever pool `db` holds.
#[macro_export]
macro_rules! with_pool {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            $crate::store::Db::Sqlite($pool) => $body,
            $crate::store::Db::Postgres($pool) => $body,
        }
    };
}
pub use with_pool;

/// The rows of a batched read, each carrying its key's 1-based ordinal `i`: one answer per key,
/// `None` where no row matched.
pub(crate) fn by_ordinal<T: for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>>(
    keys: usize,
    rows: Vec<sqlx::postgres::PgRow>,
) -> Result<Vec<Option<T>>, sqlx::Error> {
    let mut out: Vec<Option<T>> = (0..keys).map(|_| None).collect();
    for r in rows {
        out[ordinal(&r, keys)?] = Some(T::from_row(&r)?);
    }
    Ok(out)
}

/// The 0-based index of the key a batched read's row answers (its column `i`, 1-based).
pub(crate) fn ordinal(row: &sqlx::postgres::PgRow, keys: usize) -> Result<usize, sqlx::Error> {
    use sqlx::Row;
    let i = row.try_get::<i64, _>("i")?;
    usize::try_from(i - 1)
        .ok()
        .filter(|&i| i < keys)
        .ok_or_else(|| sqlx::Error::Protocol(format!("ordinal {i} out of range")))
}

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("DATABASE_URL must start with sqlite: or postgres:// (got {0:?})")]
    UnsupportedScheme(String),
    #[error("DATABASE_URL is malformed: {0}")]
    Malformed(String),
    #[error("DATABASE_URL: cannot create the folder for the SQLite file {0}: {1}")]
    Folder(String, std::io::Error),
    #[error("DATABASE_URL: cannot connect to the database: {0}")]
    Unreachable(String),
    #[error("DATABASE_URL: migrating the database failed: {0}")]
    Migrate(String),
}

impl Db {
    /// Connects to the database named by `url` (a `sqlite:` or `postgres://` URL).
    ///
    /// SQLite gets WAL, `synchronous=FULL`, foreign keys and a busy timeout set
    /// explicitly, and its file (and folder) created when missing. FULL because in WAL mode
    /// NORMAL may lose the last commits on power loss (the WAL is not synced per commit), and
    /// an acknowledged payment must survive that (issue 22; the cost is in benchmarks.md).
    pub async fn connect(url: &str) -> Result<Db, ConnectError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let opts = PgConnectOptions::from_str(url).map_err(|e| ConnectError::Malformed(e.to_string()))?;
            // One direct connection first: a pool only reports "timed out", hiding the cause.
            let probe = tokio::time::timeout(
                Duration::from_secs(5),
                <sqlx::PgConnection as sqlx::Connection>::connect_with(&opts),
            )
            .await
            .map_err(|_| ConnectError::Unreachable("no answer within 5 s".into()))?
            .map_err(|e| ConnectError::Unreachable(e.to_string()))?;
            let _ = sqlx::Connection::close(probe).await;
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(5))
                .connect_with(opts)
                .await
                .map_err(|e| ConnectError::Unreachable(e.to_string()))?;
            Ok(Db::Postgres(pool))
        } else if url.starts_with("sqlite:") {
            let opts = SqliteConnectOptions::from_str(url)
                .map_err(|e| ConnectError::Malformed(e.to_string()))?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(5));
            let file = opts.get_filename().to_path_buf();
            if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|e| ConnectError::Folder(dir.display().to_string(), e))?;
            }
            let pool = SqlitePoolOptions::new()
                .max_connections(8)
                .acquire_timeout(Duration::from_secs(5))
                .connect_with(opts)
                .await
                .map_err(|e| ConnectError::Unreachable(e.to_string()))?;
            Ok(Db::Sqlite(pool))
        } else {
            Err(ConnectError::UnsupportedScheme(url.chars().take(20).collect()))
        }
    }

    /// Applies the backend's migrations (idempotent).
    pub async fn migrate(&self) -> Result<(), ConnectError> {
        let result = match self {
            Db::Sqlite(p) => sqlx::migrate!("migrations/sqlite").run(p).await,
            Db::Postgres(p) => sqlx::migrate!("migrations/postgres").run(p).await,
        };
        result.map_err(|e| ConnectError::Migrate(e.to_string()))
    }

    pub fn backend(&self) -> &'static str {
        match self {
            Db::Sqlite(_) => "sqlite",
            Db::Postgres(_) => "postgres",
        }
    }

    pub async fn close(&self) {
        with_pool!(self, p => p.close().await)
    }

    /// Cheap liveness probe for the health endpoint.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        with_pool!(self, p => sqlx::query("SELECT 1").execute(p).await.map(|_| ()))
    }
}

/// True when the error is a unique-constraint violation (both engines).
pub fn is_unique_violation(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(db) if db.is_unique_violation())
}
