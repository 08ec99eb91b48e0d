//! The store's seams: one narrow trait per consumer, so each part of the
//! engine takes only what it uses. Both stores implement every trait; the
//! conformance suite (`tests/it/engine`) runs the same tests on both.
//!
//! | trait | consumer |
//! | --- | --- |
//! | `Backend` | anything that names, pings or describes the store |
//! | `Queueing` | `engine::client` (`perform_*`, `push_bulk`) |
//! | `WorkerSide` (+ `Fetcher`) | manager, launcher, scheduler, heartbeat |
//! | `ReadSide` | `engine::api` (stats, dashboard), the autoscaler |
//! | `AdminSide` | `engine::api`'s actions |
//! | `UsageLedger` | the worker-seconds meter (autoscaler, `kiqlab stats`) |
//!
//! Times are float epoch seconds passed in by the caller, so tests control them.

use std::time::Duration;

use async_trait::async_trait;

use super::metrics::{ClassMinute, Histogram};
use super::payload::EncodedJob;
use super::process::{Heartbeat, LocalHost, ProcessRecord, Signal, WorkRecord};
use super::record::JobRecord;
use super::sets::{EntryKey, Page, QueuedJob, Removal, SetKind, SetQuery, SortedEntry};
use super::stats::{DayStat, QueueSummary, Stats, StoreInfo, WorkerTime};
use super::unit::{Completion, UnitOfWork};
use super::Result;
use crate::engine::job::Job;
use crate::engine::queue::{QueueName, QueueSpec};

/// What every handle on a store can say about itself.
#[async_trait]
pub trait Backend: Send + Sync + std::fmt::Debug {
    /// A description for logs and the dashboard, without secrets.
    fn describe(&self) -> String;

    /// Round-trip time of a trivial request.
    async fn ping(&self) -> Result<Duration>;

    /// Which store this is, its version and figures (Redis `INFO`, or the
    /// SQLite file's size, pages and row counts).
    async fn info(&self) -> Result<StoreInfo>;
}

/// The client side: putting jobs in.
#[async_trait]
pub trait Queueing: Send + Sync + std::fmt::Debug {
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

/// A worker process's side: fetch, acknowledge, requeue, move due jobs,
/// heartbeat, and recover what dead processes held.
#[async_trait]
pub trait WorkerSide: Backend {
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

    /// Writes a heartbeat; returns the oldest signal sent to the process
    /// through the store, if any.
    async fn heartbeat(&self, beat: &Heartbeat) -> Result<Option<Signal>>;

    /// Removes the process from the registry (on a clean stop), returning
    /// anything it still held to its queues.
    async fn clear_heartbeat(&self, identity: &str) -> Result<()>;

    /// Live processes (Sidekiq's poller spaces its polls by this count).
    async fn process_count(&self) -> Result<u64>;
}

/// What `Sidekiq::API` reads: stats, queues, sets, processes, history,
/// plus the recent-jobs feed and per-class metrics.
#[async_trait]
pub trait ReadSide: Backend {
    async fn stats(&self, now: f64) -> Result<Stats>;

    /// Every known queue with its size and latency.
    async fn queues(&self, now: f64) -> Result<Vec<QueueSummary>>;

    /// A page of a queue's jobs, from the next to run (or from the newest).
    async fn queue_jobs(&self, queue: &QueueName, page: Page) -> Result<Vec<QueuedJob>>;

    async fn set_size(&self, set: SetKind) -> Result<u64>;

    /// A page of a sorted set by score, optionally filtered by a substring
    /// of the payload.
    async fn set_entries(&self, query: &SetQuery) -> Result<Vec<SortedEntry>>;

    /// The entry `<score>-<jid>` of a set, left in place (the job detail page).
    async fn find_entry(&self, set: SetKind, key: &EntryKey) -> Result<Option<SortedEntry>>;

    /// Live processes (expired ones are pruned).
    async fn processes(&self, now: f64) -> Result<Vec<ProcessRecord>>;

    /// Jobs in progress on every live process.
    async fn work(&self, now: f64) -> Result<Vec<WorkRecord>>;

    /// Daily processed/failed counts for the `days` days up to `now`, newest first.
    async fn history(&self, now: f64, days: u32) -> Result<Vec<DayStat>>;

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

/// What the dashboard's buttons change: set entries, queues, signals, counters.
#[async_trait]
pub trait AdminSide: Send + Sync + std::fmt::Debug {
    /// Takes the entry `<score>-<jid>` out of a set, returning it.
    async fn take_entry(&self, set: SetKind, key: &EntryKey) -> Result<Removal<SortedEntry>>;

    /// Takes up to `limit` entries with the lowest scores out of a set (what
    /// Sidekiq's `retry_all` does with `ZPOPMIN`), returning them in order.
    async fn pop_entries(&self, set: SetKind, limit: u64) -> Result<Vec<SortedEntry>>;

    /// Adds jobs to a set in one step; the dead set is then trimmed to its
    /// limits (once, as of the newest score).
    async fn add_entries(&self, set: SetKind, entries: &[(f64, Job)]) -> Result<()>;

    /// Adds one job to a set (the dead set is then trimmed).
    async fn add_entry(&self, set: SetKind, score: f64, job: &Job) -> Result<()> {
        self.add_entries(set, &[(score, job.clone())]).await
    }

    /// Puts entries back exactly as they were taken (same score, same
    /// bytes, readable or not), e.g. when what was to be done with them
    /// could not be done. Nothing is trimmed.
    async fn restore_entries(&self, set: SetKind, entries: &[SortedEntry]) -> Result<()>;

    /// Deletes every entry of a set; returns how many there were.
    async fn clear_set(&self, set: SetKind) -> Result<u64>;

    /// Deletes a queue and its jobs; returns how many jobs there were.
    async fn clear_queue(&self, queue: &QueueName) -> Result<u64>;

    /// Deletes one job from a queue, by its exact payload.
    async fn delete_queued(&self, queue: &QueueName, raw: &str) -> Result<Removal>;

    /// Sends a signal to a process, which reads it with its next heartbeat
    /// (unread signals expire after a minute).
    async fn signal(&self, identity: &str, signal: &Signal) -> Result<()>;

    /// Sets the processed and/or failed counters to zero (the daily history stays).
    async fn reset_stats(&self, processed: bool, failed: bool) -> Result<()>;
}

/// The worker-seconds meter.
#[async_trait]
pub trait UsageLedger: Send + Sync + std::fmt::Debug {
    /// Adds `ms` worker-milliseconds to the meter, starting the meter at
    /// `now_ms` if it has not started (so `add_worker_time(0, now)` only starts it).
    async fn add_worker_time(&self, ms: u64, now_ms: u64) -> Result<()>;

    /// The meter, `None` before anything started it.
    async fn worker_time(&self) -> Result<Option<WorkerTime>>;

    /// Forgets the meter's start and total.
    async fn reset_worker_time(&self) -> Result<()>;
}

/// A whole store: every seam. What `store::open` returns; the composition
/// roots hand each consumer the narrow part it needs.
pub trait Store: Queueing + WorkerSide + ReadSide + AdminSide + UsageLedger {}

impl<T: Queueing + WorkerSide + ReadSide + AdminSide + UsageLedger + ?Sized> Store for T {}
