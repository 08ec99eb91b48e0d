//! `engine::api`: the read and admin side that `kiqlab stats`, the dashboard
//! and the apps use, as Sidekiq's `api.rb` feeds its web UI. Nothing above
//! the engine reaches the store another way; the types they need are
//! re-exported here.
//!
//! # Layout
//!
//! - `stats`: `Sidekiq::Stats`, the daily history, the store's own figures
//! - `queues`: queues with latency, a queue's jobs, clear, delete one
//! - `sets`: the sorted sets, paged and filtered; one entry by key
//! - `actions`: retry, add to queue, kill, delete on one entry or on all
//!   (one implementation), and the counters' reset
//! - `processes`: live processes, work in progress, quiet and stop
//! - `feed`: the recent-jobs feed and per-class metrics
//! - `job_state`: where one job is now, by jid (the apps' record pages)
//! - `usage`: the worker-seconds meter's report

mod actions;
mod feed;
mod job_state;
mod processes;
mod queues;
mod sets;
mod stats;
pub mod usage;

use std::sync::Arc;

pub use crate::engine::store::metrics::{minute_of, BUCKETS, BUCKET_LABELS};
pub use crate::engine::store::{
    ClassMinute, DayStat, EntryKey, Histogram, JobRecord, Page, ProcessRecord, QueueSummary,
    QueuedJob, Removal, RunOutcome, SetKind, SetQuery, SharedStore, Signal, SortedEntry, Stats,
    StoreError, StoreInfo, StoreKind, WorkRecord,
};
pub use actions::{ActionOutcome, BulkOutcome, SetAction};
pub use job_state::JobState;
pub use processes::{SignalOutcome, Target};
pub use usage::UsageReport;

use crate::engine::clock::Clock;
use crate::engine::store::{AdminSide, Queueing, ReadSide, Result, UsageLedger};

/// The store's read and admin side, with Sidekiq's semantics.
#[derive(Debug, Clone)]
pub struct Api {
    read: Arc<dyn ReadSide>,
    admin: Arc<dyn AdminSide>,
    /// Where retried and re-queued jobs go.
    queueing: Arc<dyn Queueing>,
    ledger: Arc<dyn UsageLedger>,
    clock: Arc<dyn Clock>,
}

impl Api {
    pub fn new(store: SharedStore, clock: Arc<dyn Clock>) -> Api {
        Api {
            read: store.clone(),
            admin: store.clone(),
            queueing: store.clone(),
            ledger: store,
            clock,
        }
    }

    /// Now, by this API's clock (epoch seconds).
    pub fn now(&self) -> f64 {
        self.clock.now()
    }
}

/// What every call here returns.
pub type ApiResult<T> = Result<T>;
