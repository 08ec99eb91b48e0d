//! The scheduled-job poller: moves due jobs from the `retry` and `schedule`
//! sets to their queues. Like Sidekiq, each process polls at a random
//! interval around `count_of_processes * 5 s` (`interval*rand + interval/2`),
//! so a cluster as a whole polls about every 5 s; `poll_interval` fixes the
//! average instead (tests use a small one).

use std::sync::Arc;
use std::time::Duration;

use rand::Rng;

use super::clock::Clock;
use super::store::WorkerSide;
use crate::shutdown::Shutdown;

/// Sidekiq's `average_scheduled_poll_interval`.
pub const AVERAGE_POLL_SECS: f64 = 5.0;

pub struct Scheduler {
    store: Arc<dyn WorkerSide>,
    clock: Arc<dyn Clock>,
    /// Fixed average interval; `None` = Sidekiq's process-count rule.
    poll_interval: Option<f64>,
}

impl Scheduler {
    pub fn new(
        store: Arc<dyn WorkerSide>,
        clock: Arc<dyn Clock>,
        poll_interval: Option<f64>,
    ) -> Scheduler {
        Scheduler {
            store,
            clock,
            poll_interval,
        }
    }

    /// Moves everything due now; returns how many jobs moved.
    pub async fn enqueue_due(&self) -> usize {
        match self.store.enqueue_due(self.clock.now()).await {
            Ok(n) => {
                if n > 0 {
                    tracing::debug!(jobs = n, "enqueued due scheduled/retry jobs");
                }
                n
            }
            Err(e) => {
                tracing::warn!(error = %e, "scheduler could not enqueue due jobs");
                0
            }
        }
    }

    async fn average_interval(&self) -> f64 {
        if let Some(i) = self.poll_interval {
            return i.max(0.001);
        }
        let processes = match self.store.process_count().await {
            Ok(n) => n.max(1),
            Err(_) => 1,
        };
        processes as f64 * AVERAGE_POLL_SECS
    }

    /// Polls until `stop` is triggered.
    pub async fn run(self, stop: Shutdown) {
        // A random initial wait spreads processes that start together.
        let first = self.average_interval().await * rand::rng().random::<f64>();
        if wait(first, &stop).await {
            return;
        }
        loop {
            self.enqueue_due().await;
            let interval = self.average_interval().await;
            let secs = if self.poll_interval.is_some() || interval < 10.0 * AVERAGE_POLL_SECS {
                interval * rand::rng().random::<f64>() + interval / 2.0
            } else {
                interval * rand::rng().random::<f64>()
            };
            if wait(secs, &stop).await {
                return;
            }
        }
    }
}

/// Sleeps `secs`; true when told to stop meanwhile.
async fn wait(secs: f64, stop: &Shutdown) -> bool {
    if stop.is_triggered() {
        return true;
    }
    let slept = tokio::select! {
        _ = tokio::time::sleep(Duration::from_secs_f64(secs.max(0.0))) => true,
        _ = stop.wait() => false,
    };
    !slept || stop.is_triggered()
}
