//! The `Store` trait: everything the engine and its read-side API need from
//! a job store, with two implementations that share one conformance suite.
//!
//! - `redis`: Sidekiq's own key layout, so Sidekiq's Ruby client, API and web
//!   UI work on the same data.
//! - `sqlite`: the embedded default; one file shared by the processes of one host.
//!
//! Times are float epoch seconds passed in by the caller, so tests control them.

pub mod metrics;
pub mod redis;
pub mod sqlite;
mod types;
pub mod url;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

pub use metrics::{ClassMinute, Histogram};
pub use types::*;

use super::job::Job;
use super::queue::{QueueName, QueueSpec};

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
    #[error("the store does not support {0}")]
    Unsupported(&'static str),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// A job taken from a queue and held (reliably) until it is completed or requeued.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitOfWork {
    pub queue: QueueName,
    /// The payload exactly as stored; Redis acknowledges by value.
    pub raw: bytes::Bytes,
    /// The SQLite row id (0 on Redis).
    pub id: i64,
}

/// What became of a unit of work.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// Ran successfully.
    Done,
    /// Failed; to run again at `at` (the `retry` set).
    Retry { job: Job, at: f64 },
    /// Failed for the last time (or unparseable): into the dead set.
    Dead { job_json: String },
    /// Failed with `retry: false`: dropped, only counted.
    Discard,
}

#[derive(Debug, Clone)]
pub struct Completion {
    pub unit: UnitOfWork,
    pub outcome: Outcome,
    /// Execution record for the recent-jobs feed and per-class metrics.
    pub record: Option<JobRecord>,
}

impl Completion {
    pub fn failed(&self) -> bool {
        !matches!(self.outcome, Outcome::Done)
    }
}

/// Limits on the dead set (Sidekiq's `dead_max_jobs`, `dead_timeout_in_seconds`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DeadLimits {
    pub max_jobs: u64,
    pub timeout_secs: f64,
}

impl Default for DeadLimits {
    fn default() -> Self {
        DeadLimits {
            max_jobs: 10_000,
            timeout_secs: 180.0 * 86_400.0,
        }
    }
}

/// Takes jobs from queues for one process. Blocking waits are the fetcher's
/// business, so an idle worker never busy-polls the store.
#[async_trait]
pub trait Fetcher: Send {
    /// Up to `max` jobs from the queues in `order` (which is tried in that
    /// order). When none is ready, waits up to `block` for one.
    async fn fetch(
        &mut self,
        order: &[QueueName],
        max: usize,
        block: Duration,
    ) -> Result<Vec<UnitOfWork>>;

    /// Units taken by a blocking wait that finished after the last `fetch`
    /// returned; they are held like any fetched unit.
    fn take_pending(&mut self) -> Vec<UnitOfWork> {
        Vec::new()
    }

    /// Stops waiting; returns any units that arrived after the last `fetch`,
    /// which the caller must requeue.
    async fn close(self: Box<Self>) -> Result<Vec<UnitOfWork>>;
}

/// The job store.
#[async_trait]
pub trait Store: Send + Sync + std::fmt::Debug {
    /// A description for logs and the dashboard, without secrets.
    fn describe(&self) -> String;

    /// Facts about the store for the dashboard's panel: Redis `INFO` fields,
    /// or the SQLite file's size, pages and row counts.
    async fn store_info(&self) -> Result<Vec<(String, String)>>;

    /// Round-trip time of a trivial request.
    async fn ping(&self) -> Result<Duration>;

    // --- client side ---------------------------------------------------

    /// Pushes jobs: those with an `at` go to the schedule (with `at` removed
    /// from the stored payload), the rest to their queues. Callers set
    /// `created_at` and `enqueued_at`.
    async fn push(&self, jobs: &[Job]) -> Result<()> {
        let encoded: Vec<EncodedJob> = jobs.iter().map(EncodedJob::from_job).collect();
        self.push_encoded(&encoded).await
    }

    /// Pushes jobs already encoded (`push_bulk`'s fast path): the scheduled
    /// ones to the schedule scored by `at`, the rest to their queues in order.
    async fn push_encoded(&self, jobs: &[EncodedJob]) -> Result<()>;

    // --- worker side ---------------------------------------------------

    /// A fetcher holding what it takes under `identity` until completed.
    async fn fetcher(&self, identity: &str, queues: &QueueSpec) -> Result<Box<dyn Fetcher>>;

    /// Records outcomes: acknowledges each unit, files retries and dead jobs,
    /// adds to the processed/failed counters (total and daily), in one step.
    async fn complete(&self, identity: &str, batch: &[Completion], now: f64) -> Result<()>;

    /// What the store says `identity` holds in `queues` (its in-progress
    /// list / claimed rows), to find jobs whose fetch reply was lost.
    async fn held(&self, identity: &str, queues: &[QueueName]) -> Result<Vec<UnitOfWork>>;

    /// Returns held units to the front of their queues (they are fetched next).
    async fn requeue(&self, identity: &str, units: Vec<UnitOfWork>) -> Result<()>;

    /// Moves due jobs from the retry and schedule sets to their queues, each
    /// move atomic; returns how many moved.
    async fn enqueue_due(&self, now: f64) -> Result<usize>;

    /// Returns the held jobs of dead processes to their queues. A process is
    /// dead when its heartbeat expired, or when `local` says so (same host,
    /// pid gone). Returns how many jobs went back.
    async fn recover_orphans(&self, local: &LocalHost) -> Result<usize>;

    /// Writes a heartbeat; returns a signal ("TSTP", "TERM", …) sent to the
    /// process through the store, if any.
    async fn heartbeat(&self, beat: &Heartbeat) -> Result<Option<String>>;

    /// Removes the process from the registry (on a clean stop).
    async fn clear_heartbeat(&self, identity: &str) -> Result<()>;

    // --- usage meter (worker-seconds, for the autoscaler) ---------------

    /// Adds `ms` worker-milliseconds to the meter, starting the meter at
    /// `now_ms` if it has not started (so `add_worker_time(0, now)` only starts it).
    async fn add_worker_time(&self, ms: u64, now_ms: u64) -> Result<()>;

    /// The meter, `None` before anything started it.
    async fn worker_time(&self) -> Result<Option<WorkerTime>>;

    /// Forgets the meter's start and total.
    async fn reset_worker_time(&self) -> Result<()>;

    // --- read side (stats, dashboard) ----------------------------------

    async fn stats(&self, now: f64) -> Result<Stats>;

    /// Every known queue with its size and latency.
    async fn queues(&self, now: f64) -> Result<Vec<QueueSummary>>;

    /// Jobs in a queue, `offset` from the next to run (or from the newest when `newest_first`).
    async fn queue_jobs(
        &self,
        queue: &QueueName,
        offset: u64,
        limit: u64,
        newest_first: bool,
    ) -> Result<Vec<QueuedJob>>;

    async fn set_size(&self, set: SetKind) -> Result<u64>;

    /// Entries of a sorted set by score, optionally filtered by a substring
    /// of the payload.
    async fn set_entries(
        &self,
        set: SetKind,
        offset: u64,
        limit: u64,
        newest_first: bool,
        filter: Option<&str>,
    ) -> Result<Vec<SortedEntry>>;

    /// The entry `<score>-<jid>` of a set, left in place (the job detail page).
    async fn find_entry(&self, set: SetKind, key: &EntryKey) -> Result<Option<SortedEntry>>;

    /// Takes the entry `<score>-<jid>` out of a set, returning it.
    async fn take_entry(&self, set: SetKind, key: &EntryKey) -> Result<Option<SortedEntry>>;

    /// Adds an entry to a set (the dead set is then trimmed to its limits).
    async fn add_entry(&self, set: SetKind, score: f64, job: &Job) -> Result<()>;

    async fn clear_set(&self, set: SetKind) -> Result<u64>;

    /// Deletes a queue and its jobs.
    async fn clear_queue(&self, queue: &QueueName) -> Result<u64>;

    /// Deletes one job from a queue, by its exact payload.
    async fn delete_queued(&self, queue: &QueueName, raw: &str) -> Result<bool>;

    /// Live processes (expired ones are pruned).
    async fn processes(&self, now: f64) -> Result<Vec<ProcessRecord>>;

    /// Jobs in progress on every live process.
    async fn work(&self, now: f64) -> Result<Vec<WorkRecord>>;

    /// Sends "TSTP" (quiet) or "TERM" (stop) to a process.
    async fn signal(&self, identity: &str, signal: &str) -> Result<()>;

    /// Daily processed/failed counts for the `days` days up to `now`, newest first.
    async fn history(&self, now: f64, days: u32) -> Result<Vec<DayStat>>;

    /// Sets the processed and/or failed counters to zero.
    async fn reset_stats(&self, processed: bool, failed: bool) -> Result<()>;

    // --- dashboard: bulk actions, feed, metrics --------------------------

    /// Takes up to `limit` entries with the lowest scores out of a set (what
    /// Sidekiq's `retry_all` does with `ZPOPMIN`), returning them in order.
    async fn pop_entries(&self, set: SetKind, limit: u64) -> Result<Vec<SortedEntry>>;

    /// Adds entries in one step; the dead set is trimmed once, afterwards.
    async fn add_entries(&self, set: SetKind, entries: &[(f64, Job)]) -> Result<()>;

    /// The newest `limit` execution records (the recent-jobs feed, which
    /// keeps 1,000), newest first; with `host`, only those run by that host.
    async fn recent_jobs(&self, limit: u64, host: Option<&str>) -> Result<Vec<JobRecord>>;

    /// Per-class, per-minute metrics for the minutes from `since` to `now`
    /// (kept 8 hours), ordered by minute then class.
    async fn class_metrics(&self, since: f64, now: f64) -> Result<Vec<ClassMinute>>;

    /// The duration histogram of `class`'s successful runs in the minutes
    /// from `since` to `now`.
    async fn class_histogram(&self, class: &str, since: f64, now: f64) -> Result<Histogram>;
}

pub type SharedStore = Arc<dyn Store>;

/// Opens the store a URL names: `redis://…`, `rediss://…`, `unix://…` or `sqlite://PATH`.
pub async fn open(url: &url::StoreUrl) -> Result<SharedStore> {
    match url {
        url::StoreUrl::Redis(u) => Ok(Arc::new(redis::RedisStore::connect(u).await?)),
        url::StoreUrl::Sqlite(p) => Ok(Arc::new(sqlite::SqliteStore::open(p).await?)),
    }
}
