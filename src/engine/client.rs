//! The client side of the engine (Sidekiq's `Client` and `perform_*`):
//! builds payloads with the class's options, sets `created_at`/`enqueued_at`,
//! turns `perform_in`/`perform_at` into scheduled jobs, and pushes in bulk.

use std::sync::Arc;

use serde_json::Value;

use super::clock::Clock;
use super::job::{Job, Retry};
use super::queue::QueueName;
use super::registry::Registry;
use super::store::{Result, SharedStore};

/// `push_bulk` sends this many jobs per store call, as Sidekiq does.
pub const BULK_BATCH: usize = 1000;
/// Store calls of one `push_bulk` in flight at once.
const BULK_PIPELINE: usize = 4;

/// Per-push overrides of the class's options.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PushOptions {
    pub queue: Option<QueueName>,
    pub retry: Option<Retry>,
    /// Run at this epoch time (or, below 1e9, this many seconds from now).
    pub at: Option<f64>,
}

#[derive(Debug, Clone)]
pub struct Client {
    store: SharedStore,
    registry: Arc<Registry>,
    clock: Arc<dyn Clock>,
}

impl Client {
    pub fn new(store: SharedStore, registry: Arc<Registry>, clock: Arc<dyn Clock>) -> Client {
        Client {
            store,
            registry,
            clock,
        }
    }

    pub fn store(&self) -> &SharedStore {
        &self.store
    }

    pub async fn perform_async(&self, class: &str, args: Vec<Value>) -> Result<String> {
        self.push(class, args, &PushOptions::default()).await
    }

    /// Runs `secs` seconds from now (Sidekiq's rule: values of 1e9 and more
    /// are taken as an epoch time).
    pub async fn perform_in(&self, class: &str, secs: f64, args: Vec<Value>) -> Result<String> {
        let opts = PushOptions {
            at: Some(secs),
            ..PushOptions::default()
        };
        self.push(class, args, &opts).await
    }

    /// Runs at epoch time `at`; a time in the past means now.
    pub async fn perform_at(&self, class: &str, at: f64, args: Vec<Value>) -> Result<String> {
        self.perform_in(class, at, args).await
    }

    pub async fn push(&self, class: &str, args: Vec<Value>, opts: &PushOptions) -> Result<String> {
        let job = self.build(class, args, opts, self.clock.now());
        let jid = job.jid().to_owned();
        self.store.push(std::slice::from_ref(&job)).await?;
        Ok(jid)
    }

    /// Pushes an existing payload (e.g. from a dashboard "retry"), refreshing
    /// its times as `Client.push` does.
    pub async fn push_job(&self, mut job: Job) -> Result<String> {
        refresh_times(&mut job, self.clock.now());
        let jid = job.jid().to_owned();
        self.store.push(std::slice::from_ref(&job)).await?;
        Ok(jid)
    }

    /// `push_job` for many payloads in one store call (the dashboard's
    /// "retry all" and "add all to queue").
    pub async fn push_jobs(&self, mut jobs: Vec<Job>) -> Result<usize> {
        let now = self.clock.now();
        for job in &mut jobs {
            refresh_times(job, now);
        }
        self.store.push(&jobs).await?;
        Ok(jobs.len())
    }

    /// Pushes one job per argument list, in batches of 1,000 with several
    /// batches in flight. Returns the jids in order.
    pub async fn push_bulk(
        &self,
        class: &str,
        args_list: Vec<Vec<Value>>,
        opts: &PushOptions,
    ) -> Result<Vec<String>> {
        use futures::stream::{self, TryStreamExt};
        let now = self.clock.now();
        let jobs: Vec<Job> = args_list
            .into_iter()
            .map(|args| self.build(class, args, opts, now))
            .collect();
        let jids = jobs.iter().map(|j| j.jid().to_owned()).collect();
        stream::iter(jobs.chunks(BULK_BATCH).map(Ok))
            .try_for_each_concurrent(BULK_PIPELINE, |chunk| self.store.push(chunk))
            .await?;
        Ok(jids)
    }

    fn build(&self, class: &str, args: Vec<Value>, opts: &PushOptions, now: f64) -> Job {
        let defaults = self.registry.options(class);
        let queue = opts.queue.clone().unwrap_or(defaults.queue);
        let retry = opts.retry.unwrap_or(defaults.retry);
        let mut job = Job::new(class, args, queue, retry);
        job.set_time("created_at", now);
        match opts
            .at
            .map(|t| if t < 1_000_000_000.0 { now + t } else { t })
        {
            Some(at) if at > now => job.set_time("at", at),
            _ => job.set_time("enqueued_at", now),
        }
        job
    }
}

/// What `Client.push` does to a payload it is given again: `created_at` if
/// missing, and `enqueued_at` now unless it is still scheduled for later.
fn refresh_times(job: &mut Job, now: f64) {
    if job.created_at().is_none() {
        job.set_time("created_at", now);
    }
    match job.at() {
        Some(at) if at > now => {}
        _ => {
            job.remove("at");
            job.set_time("enqueued_at", now);
        }
    }
}
