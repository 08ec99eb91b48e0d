//! The job store: narrow traits, one per consumer (`seams`), the plain data
//! that crosses them, and two implementations that share one conformance
//! suite.
//!
//! # Layout
//!
//! - `seams`: `Backend`, `Queueing`, `WorkerSide` (+ `Fetcher`), `ReadSide`,
//!   `AdminSide`, `UsageLedger`, and `Store`, all of them
//! - `unit`: a fetched job (`UnitOfWork`, its opaque `Receipt`) and what became of it
//! - `payload`: payload helpers both stores use (`EncodedJob`, failure entries)
//! - `sets`: set kinds, entry keys, entries, pages and queries, removals
//! - `process`: heartbeats, processes, work in progress, signals
//! - `stats`: `Stats`, queue summaries, history, the meter, `StoreInfo`
//! - `record`: one execution's record (the feed, per-class metrics)
//! - `metrics`: Sidekiq 7's per-minute metrics and histogram buckets
//! - `url`: store addresses, the one list of store kinds
//! - `redis`: Sidekiq's own key layout, so Sidekiq's Ruby client, API and
//!   web UI work on the same data
//! - `sqlite`: the embedded default; one file shared by the processes of one host
//!
//! `open` is the one place that turns an address into a store: a new kind
//! of store is a module here, a `StoreUrl` variant, and an arm in `open`.

pub mod metrics;
mod payload;
mod process;
mod record;
pub mod redis;
mod seams;
mod sets;
pub mod sqlite;
mod stats;
mod unit;
pub mod url;

use std::sync::Arc;

use crate::domain::SourceIp;

pub use metrics::{ClassMinute, Histogram};
pub use payload::{failure_json, queue_and_jid, EncodedJob};
pub use process::{Heartbeat, LocalHost, ProcessRecord, Signal, WorkRecord};
pub use record::{JobRecord, RunOutcome};
pub use seams::{AdminSide, Backend, Fetcher, Queueing, ReadSide, Store, UsageLedger, WorkerSide};
pub use sets::{
    format_score, DeadLimits, EntryKey, Page, QueuedJob, Removal, SetKind, SetQuery, SortedEntry,
};
pub use stats::{DayStat, QueueSummary, Stats, StoreInfo, StoreKind, WorkerTime};
pub use unit::{Completion, Outcome, Receipt, UnitOfWork};

/// The traits, for callers that use a whole store (`use store::prelude::*`).
pub mod prelude {
    pub use super::seams::{
        AdminSide, Backend, Fetcher, Queueing, ReadSide, Store, UsageLedger, WorkerSide,
    };
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("redis error: {0}")]
    Redis(#[from] ::redis::RedisError),
    #[error("unexpected Redis reply: {0}")]
    RedisReply(#[from] ::redis::ParsingError),
    #[error("sqlite error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("cannot open SQLite database {path}: {reason}")]
    SqliteOpen { path: String, reason: String },
    #[error("the SQLite worker thread has stopped")]
    SqliteGone,
    #[error("bad store address: {0}")]
    BadUrl(#[from] url::StoreUrlError),
    #[error("stored data is malformed: {0}")]
    Corrupt(String),
    #[error("that unit of work was not fetched from this store")]
    ForeignUnit,
    #[error("the store does not support {0}")]
    Unsupported(&'static str),
    #[error("cannot relay Redis connections from the source address: {0}")]
    SourceRelay(std::io::Error),
}

impl StoreError {
    /// Whether waiting can't help: the SQLite file is corrupt, not a
    /// database, unreadable, read-only or gone. A worker exits on these
    /// (so systemd sees it) instead of retrying forever; a dropped Redis
    /// connection or a busy SQLite file is not fatal.
    pub fn is_fatal(&self) -> bool {
        use rusqlite::ErrorCode as C;
        match self {
            StoreError::SqliteOpen { .. } | StoreError::SqliteGone => true,
            StoreError::Sqlite(rusqlite::Error::SqliteFailure(e, _)) => matches!(
                e.code,
                C::DatabaseCorrupt
                    | C::NotADatabase
                    | C::ReadOnly
                    | C::PermissionDenied
                    | C::CannotOpen
            ),
            _ => false,
        }
    }
}

impl StoreError {
    /// Whether the store is out of reach for now (Redis down, refusing,
    /// timing out or dropping the connection; the SQLite file busy, locked
    /// or gone): a visitor is told what is down and to try again, rather
    /// than "something went wrong".
    pub fn is_outage(&self) -> bool {
        use rusqlite::ErrorCode as C;
        match self {
            StoreError::Redis(e) => redis_outage(e),
            StoreError::SqliteOpen { .. } | StoreError::SqliteGone => true,
            StoreError::Sqlite(rusqlite::Error::SqliteFailure(e, _)) => matches!(
                e.code,
                C::DatabaseBusy | C::DatabaseLocked | C::CannotOpen | C::SystemIoFailure
            ),
            StoreError::SourceRelay(_) => true,
            _ => false,
        }
    }
}

/// A Redis error that means the server is not reachable right now.
pub fn redis_outage(e: &::redis::RedisError) -> bool {
    e.is_io_error()
        || e.is_connection_refusal()
        || e.is_connection_dropped()
        || e.is_timeout()
        || e.is_unrecoverable_error()
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// A whole store, shared. Consumers take the narrow part they use
/// (`Arc<dyn ReadSide>`, …); an `Arc<dyn Store>` coerces to any of them.
pub type SharedStore = Arc<dyn Store>;

/// Opens the store a URL names: `redis://…`, `rediss://…`, `unix://…` or `sqlite://PATH`.
pub async fn open(url: &url::StoreUrl) -> Result<SharedStore> {
    open_from(url, None).await
}

/// Why the store at `url` refuses connections from `source`, if it does (a
/// Redis in protected mode lets only 127.0.0.1 and ::1 in); `None` for SQLite.
pub async fn source_refusal(url: &url::StoreUrl, source: SourceIp) -> Result<Option<String>> {
    match url {
        url::StoreUrl::Redis(u) => redis::refusal(u, source).await,
        url::StoreUrl::Sqlite(_) => Ok(None),
    }
}

/// As `open`, with every connection to a networked store made from `source`
/// (a worker's own address); an embedded store makes none.
pub async fn open_from(url: &url::StoreUrl, source: Option<SourceIp>) -> Result<SharedStore> {
    match url {
        url::StoreUrl::Redis(u) => Ok(Arc::new(redis::RedisStore::connect_from(u, source).await?)),
        url::StoreUrl::Sqlite(p) => Ok(Arc::new(sqlite::SqliteStore::open(p).await?)),
    }
}
