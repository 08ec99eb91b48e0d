//! The worker-seconds meter. Every worker process adds the time it has been
//! alive to a counter in the store (every few seconds, and at exit), so the
//! figure survives the process; `report` compares it with a worker kept on
//! for the whole time since the meter started, the bill the autoscaler saves.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::Serialize;
use tokio::task::JoinHandle;
use tracing::Instrument;

use crate::engine::store::{SharedStore, Store, StoreError};
use crate::shutdown::Shutdown;

/// How often a worker adds its time (a SIGKILL loses at most this much).
pub const RECORD_EVERY: Duration = Duration::from_secs(5);

pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Records this process's lifetime into the store's meter until stopped.
pub struct UsageMeter {
    stop: Shutdown,
    task: JoinHandle<()>,
}

impl UsageMeter {
    pub fn start(store: SharedStore, every: Duration) -> UsageMeter {
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

async fn record_loop(store: SharedStore, every: Duration, stop: Shutdown) {
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

/// Worker-seconds used against always-on, since the meter started.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UsageReport {
    /// When the meter started, epoch seconds.
    pub since: f64,
    /// Seconds since then.
    pub window_s: f64,
    /// Worker-seconds recorded by worker processes.
    pub used_s: f64,
    /// What one worker kept on for the whole window would have used.
    pub always_on_s: f64,
    /// `used_s / always_on_s` (above 1 when several workers ran at once).
    pub share: f64,
}

impl UsageReport {
    pub fn from_meter(since_ms: u64, worker_ms: u64, now_ms: u64) -> UsageReport {
        let window_s = now_ms.saturating_sub(since_ms) as f64 / 1000.0;
        let used_s = worker_ms as f64 / 1000.0;
        UsageReport {
            since: since_ms as f64 / 1000.0,
            window_s,
            used_s,
            always_on_s: window_s,
            share: if window_s > 0.0 {
                used_s / window_s
            } else {
                0.0
            },
        }
    }

    /// One line: "12.3 worker-seconds used of 600.0 always-on (2.1%)".
    pub fn summary(&self) -> String {
        format!(
            "{:.1} worker-seconds used of {:.1} always-on ({:.1}%)",
            self.used_s,
            self.always_on_s,
            self.share * 100.0
        )
    }
}

/// The report at `now_ms` (epoch milliseconds), `None` before any worker
/// or autoscaler started the meter. The dashboard shows this.
pub async fn report(store: &dyn Store, now_ms: u64) -> Result<Option<UsageReport>, StoreError> {
    Ok(store
        .worker_time()
        .await?
        .map(|t| UsageReport::from_meter(t.since_ms, t.worker_ms, now_ms)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_compares_with_one_always_on_worker() {
        let r = UsageReport::from_meter(1_000_000, 30_000, 1_600_000);
        assert_eq!(r.window_s, 600.0);
        assert_eq!(r.used_s, 30.0);
        assert_eq!(r.always_on_s, 600.0);
        assert!((r.share - 0.05).abs() < 1e-9);
        assert_eq!(
            r.summary(),
            "30.0 worker-seconds used of 600.0 always-on (5.0%)"
        );
        let empty = UsageReport::from_meter(5, 0, 5);
        assert_eq!(empty.share, 0.0);
    }
}
