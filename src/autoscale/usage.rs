//! The worker-seconds meter, written: every worker process adds the time it
//! has been alive to a counter in the store (every few seconds, and at
//! exit), so the figure survives the process. `engine::api::usage` reads it
//! and compares it with a worker kept on for the whole time since the meter
//! started, the bill the autoscaler saves.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::task::JoinHandle;
use tracing::Instrument;

pub use crate::engine::api::usage::{report, UsageReport};
pub use crate::engine::clock::now_ms;
use crate::engine::store::UsageLedger;
use crate::shutdown::Shutdown;

/// How often a worker adds its time (a SIGKILL loses at most this much).
pub const RECORD_EVERY: Duration = Duration::from_secs(5);

/// Records this process's lifetime into the store's meter until stopped.
pub struct UsageMeter {
    stop: Shutdown,
    task: JoinHandle<()>,
}

impl UsageMeter {
    pub fn start(store: Arc<dyn UsageLedger>, every: Duration) -> UsageMeter {
        let stop = Shutdown::new();
        let task = tokio::spawn(
            record_loop(store, every, stop.clone()).instrument(tracing::info_span!("usage_meter")),
        );
        UsageMeter { stop, task }
    }

    /// Records the time since the last record and stops.
    pub async fn stop(self) {
        self.stop.trigger();
        let _ = self.task.await;
    }
}

async fn record_loop(store: Arc<dyn UsageLedger>, every: Duration, stop: Shutdown) {
    let mut last = Instant::now();
    // Starts the meter if this is the first worker ever.
    if let Err(e) = store.add_worker_time(0, now_ms()).await {
        tracing::debug!(error = %e, "cannot start the usage meter");
    }
    loop {
        let stopping = tokio::select! {
            _ = tokio::time::sleep(every) => false,
            _ = stop.wait() => true,
        };
        let now = Instant::now();
        let ms = now.duration_since(last).as_millis() as u64;
        match store.add_worker_time(ms, now_ms()).await {
            Ok(()) => last = now,
            // Kept for the next try: the time is not lost while the store is away.
            Err(e) => tracing::debug!(error = %e, "cannot record worker time"),
        }
        if stopping {
            return;
        }
    }
}
