//! The worker's job pipeline: one fetch task keeps up to `concurrency` jobs
//! (plus a prefetch when jobs are fast) in a local buffer; `concurrency`
//! processor tasks take from it in queue order; one acknowledger sends their
//! completions to the store in batches. Every fetched job is held by the store
//! under this process's identity until acknowledged or requeued, so nothing
//! is lost if the process dies.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::{mpsc, Notify, Semaphore};
use tokio::task::JoinHandle;
use tracing::Instrument;

mod buffer;
mod tasks;

use super::processor::ProcessorEnv;
use super::queue::QueueSpec;
use super::store::{Completion, Fetcher, UnitOfWork, WorkerSide};
use crate::shutdown::Shutdown;
use buffer::Buffer;
use tasks::{acker_loop, fetch_loop, processor_loop};

/// How long one fetch waits for work before looping (quiet is noticed at once).
const FETCH_BLOCK: Duration = Duration::from_secs(2);
/// Completions per store call at most.
const ACK_BATCH: usize = 1000;
/// Jobs faster than this (moving average) let the fetcher prefetch as many
/// again as the concurrency…
const PREFETCH_BELOW_MS: f64 = 10.0;
/// …and jobs faster than this a deep prefetch, so no-op-sized jobs move in
/// large batches (fewer round trips per job).
const DEEP_PREFETCH_BELOW_MS: f64 = 1.0;
const DEEP_PREFETCH: usize = 100;
/// Until jobs have been timed (at start, or after a pause) a worker assumes
/// they are slow and does not prefetch: that keeps slow jobs spread over
/// workers and lets an urgent job in at once.
const UNKNOWN_MS: f64 = 1000.0;
/// A pause this long makes the timings unknown again.
const TIMINGS_FORGOTTEN_AFTER: Duration = Duration::from_secs(5);

#[derive(Debug, Clone)]
pub struct ManagerConfig {
    pub concurrency: usize,
    pub queues: QueueSpec,
    /// How often to look for jobs the store says we hold but we never got
    /// (a fetch whose reply was lost); they go back to their queues.
    pub sweep_interval: Duration,
}

/// A job a processor is running.
#[derive(Debug, Clone)]
pub struct Running {
    pub unit: UnitOfWork,
    pub run_at: f64,
    /// Fetch order, so unfinished jobs go back in the order they came.
    pub seq: u64,
}

struct Shared {
    store: Arc<dyn WorkerSide>,
    identity: String,
    env: ProcessorEnv,
    spec: QueueSpec,
    concurrency: usize,
    buffer: Mutex<Buffer>,
    /// One permit per buffered job.
    available: Semaphore,
    /// Jobs fetched and not yet handed to the acknowledger.
    held: AtomicUsize,
    slot_freed: Notify,
    /// Told when `held` drops to zero (what `stop` waits for).
    drained: Notify,
    slots: Vec<Mutex<Option<Running>>>,
    /// Moving average of job durations, in ms (f64 bits).
    avg_ms: AtomicU64,
    /// When the last job finished, in ms since `started`.
    last_done_ms: AtomicU64,
    started: std::time::Instant,
    executed: AtomicU64,
    ack_failing: AtomicBool,
    /// Payloads this process holds: buffered, running or awaiting acknowledgement.
    local: Mutex<HashMap<bytes::Bytes, usize>>,
    sweep_interval: Duration,
    /// Set once when the store can't be used any more (`StoreError::is_fatal`).
    failed: Shutdown,
    fatal: Mutex<Option<String>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A poisoned lock only means a panic elsewhere; the data is still usable.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Shared {
    fn hold(&self, units: &[UnitOfWork]) {
        let mut local = lock(&self.local);
        for u in units {
            *local.entry(u.payload.clone()).or_default() += 1;
        }
    }

    fn release<'a>(&self, raws: impl Iterator<Item = &'a bytes::Bytes>) {
        let mut local = lock(&self.local);
        for raw in raws {
            if let Some(n) = local.get_mut(raw) {
                *n -= 1;
                if *n == 0 {
                    local.remove(raw);
                }
            }
        }
    }

    fn capacity(&self) -> usize {
        let idle_ms = (self.started.elapsed().as_millis() as u64)
            .saturating_sub(self.last_done_ms.load(Ordering::Relaxed));
        if idle_ms > TIMINGS_FORGOTTEN_AFTER.as_millis() as u64 {
            self.avg_ms.store(UNKNOWN_MS.to_bits(), Ordering::Relaxed);
        }
        let avg = f64::from_bits(self.avg_ms.load(Ordering::Relaxed));
        if avg < DEEP_PREFETCH_BELOW_MS {
            self.concurrency + self.concurrency.max(DEEP_PREFETCH)
        } else if avg < PREFETCH_BELOW_MS {
            self.concurrency * 2
        } else {
            self.concurrency
        }
    }

    /// `n` held jobs are done with (finished, or given back); wakes `stop`
    /// when none is left.
    fn unhold(&self, n: usize) {
        if n > 0 && self.held.fetch_sub(n, Ordering::AcqRel) == n {
            self.drained.notify_waiters();
        }
    }

    fn record_duration(&self, ms: f64) {
        let old = f64::from_bits(self.avg_ms.load(Ordering::Relaxed));
        let new = old * 0.9 + ms * 0.1;
        self.avg_ms.store(new.to_bits(), Ordering::Relaxed);
        self.last_done_ms
            .store(self.started.elapsed().as_millis() as u64, Ordering::Relaxed);
    }
}

pub struct Manager {
    shared: Arc<Shared>,
    /// Set once: stop fetching. The launcher holds a clone for its heartbeat.
    quiet: Shutdown,
    fetch_task: Option<JoinHandle<()>>,
    processors: Vec<JoinHandle<()>>,
    acker: Option<JoinHandle<()>>,
    done_tx: Option<mpsc::UnboundedSender<Completion>>,
}

impl Manager {
    pub fn start(
        store: Arc<dyn WorkerSide>,
        identity: String,
        env: ProcessorEnv,
        config: ManagerConfig,
        fetcher: Box<dyn Fetcher>,
    ) -> Manager {
        let concurrency = config.concurrency.max(1);
        let shared = Arc::new(Shared {
            store,
            identity,
            env,
            spec: config.queues,
            concurrency,
            buffer: Mutex::new(Buffer::default()),
            available: Semaphore::new(0),
            held: AtomicUsize::new(0),
            slot_freed: Notify::new(),
            drained: Notify::new(),
            slots: (0..concurrency).map(|_| Mutex::new(None)).collect(),
            avg_ms: AtomicU64::new(UNKNOWN_MS.to_bits()),
            last_done_ms: AtomicU64::new(0),
            started: std::time::Instant::now(),
            executed: AtomicU64::new(0),
            ack_failing: AtomicBool::new(false),
            local: Mutex::new(HashMap::new()),
            sweep_interval: config.sweep_interval,
            failed: Shutdown::new(),
            fatal: Mutex::new(None),
        });
        let quiet = Shutdown::new();
        let (done_tx, done_rx) = mpsc::unbounded_channel();
        let span = |name: &'static str| tracing::info_span!("manager", task = name, identity = %shared.identity);
        let fetch_task = tokio::spawn(
            fetch_loop(shared.clone(), fetcher, quiet.clone()).instrument(span("fetch")),
        );
        let processors = (0..concurrency)
            .map(|i| {
                tokio::spawn(
                    processor_loop(shared.clone(), i, done_tx.clone())
                        .instrument(tracing::debug_span!("processor", slot = i)),
                )
            })
            .collect();
        let acker = tokio::spawn(acker_loop(shared.clone(), done_rx).instrument(span("ack")));
        Manager {
            shared,
            quiet,
            fetch_task: Some(fetch_task),
            processors,
            acker: Some(acker),
            done_tx: Some(done_tx),
        }
    }

    /// A handle for watching the pipeline (heartbeat, idle checks).
    pub fn probe(&self) -> Probe {
        Probe(self.shared.clone())
    }

    fn held(&self) -> usize {
        self.shared.held.load(Ordering::Relaxed)
    }

    pub fn is_quiet(&self) -> bool {
        self.quiet.is_triggered()
    }

    /// The quiet latch, for those who report it (the heartbeat).
    pub fn quiet_signal(&self) -> Shutdown {
        self.quiet.clone()
    }

    /// Stops fetching; buffered jobs go back to their queues; running ones finish.
    pub async fn quiet(&mut self) {
        self.quiet.trigger();
        if let Some(t) = self.fetch_task.take() {
            let _ = t.await;
        }
    }

    /// Waits until no fetched job is left running, or `deadline`.
    async fn drain(&self, deadline: tokio::time::Instant) {
        loop {
            // Registered before the check, so a job finishing in between is seen.
            let drained = self.shared.drained.notified();
            tokio::pin!(drained);
            drained.as_mut().enable();
            if self.held() == 0 {
                return;
            }
            if tokio::time::timeout_at(deadline, drained).await.is_err() {
                return;
            }
        }
    }

    /// Quiets, waits for running jobs until `deadline`, then cancels the rest
    /// and requeues them. Returns how many were requeued.
    pub async fn stop(mut self, deadline: tokio::time::Instant) -> usize {
        self.quiet().await;
        self.drain(deadline).await;
        for p in &self.processors {
            p.abort();
        }
        for p in self.processors.drain(..) {
            let _ = p.await;
        }
        let mut unfinished: Vec<(u64, UnitOfWork)> = self
            .shared
            .slots
            .iter()
            .filter_map(|s| lock(s).take().map(|r| (r.seq, r.unit)))
            .collect();
        unfinished.extend(lock(&self.shared.buffer).drain());
        unfinished.sort_by_key(|(seq, _)| *seq);
        let unfinished: Vec<UnitOfWork> = unfinished.into_iter().map(|(_, u)| u).collect();
        let n = unfinished.len();
        if n > 0 {
            tracing::warn!(
                jobs = n,
                "timeout reached; pushing unfinished jobs back to their queues"
            );
            requeue_with_retry(&self.shared, unfinished).await;
        }
        // Let the acknowledger flush what finished.
        self.done_tx.take();
        if let Some(a) = self.acker.take() {
            if tokio::time::timeout(Duration::from_secs(15), a)
                .await
                .is_err()
            {
                tracing::error!("could not acknowledge finished jobs before exit; they will run again after recovery");
            }
        }
        n
    }
}

/// Read-only view of a running manager.
#[derive(Clone)]
pub struct Probe(Arc<Shared>);

impl Probe {
    /// Jobs running now, by processor slot.
    pub fn running(&self) -> Vec<(usize, Running)> {
        self.0
            .slots
            .iter()
            .enumerate()
            .filter_map(|(i, s)| lock(s).clone().map(|r| (i, r)))
            .collect()
    }

    pub fn busy(&self) -> usize {
        self.0.slots.iter().filter(|s| lock(s).is_some()).count()
    }

    /// Jobs run since start (any outcome).
    pub fn executed(&self) -> u64 {
        self.0.executed.load(Ordering::Relaxed)
    }

    /// Fetched jobs not yet finished (buffered or running).
    pub fn held(&self) -> usize {
        self.0.held.load(Ordering::Relaxed)
    }

    /// Why the store can't be used any more, once fetching hit such an error.
    pub fn fatal(&self) -> Option<String> {
        lock(&self.0.fatal).clone()
    }

    /// Completes when fetching hits an error waiting can't cure.
    pub async fn failed(&self) {
        self.0.failed.wait().await;
    }
}

impl Drop for Manager {
    fn drop(&mut self) {
        for p in &self.processors {
            p.abort();
        }
        if let Some(t) = &self.fetch_task {
            t.abort();
        }
    }
}

async fn requeue_with_retry(shared: &Shared, units: Vec<UnitOfWork>) {
    for attempt in 0..5u32 {
        match shared.store.requeue(&shared.identity, units.clone()).await {
            Ok(()) => return,
            Err(e) => {
                tracing::warn!(error = %e, attempt, "requeue failed; retrying");
                tokio::time::sleep(Duration::from_millis(200 << attempt)).await;
            }
        }
    }
    tracing::error!(
        jobs = units.len(),
        "could not requeue; the jobs stay held and will be recovered when this process is seen dead"
    );
}
