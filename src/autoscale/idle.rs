//! `kiqlab worker --idle-exit SECS`: a future that completes once this
//! worker has had nothing to do for SECS: nothing queued, scheduled or
//! retrying in the queues it serves, and nothing fetched or running here.
//! The launcher then stops as on SIGTERM.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use super::workload::{measure, Queues};
use crate::engine::clock::now_secs;
use crate::engine::manager::Probe;
use crate::engine::store::ReadSide;

#[derive(Clone)]
pub struct IdleExit {
    pub store: Arc<dyn ReadSide>,
    pub queues: Queues,
    pub probe: Probe,
    pub idle: Duration,
}

impl IdleExit {
    /// How often to look: a tenth of the idle time, between 0.1 and 1 s.
    fn every(&self) -> Duration {
        (self.idle / 10).clamp(Duration::from_millis(100), Duration::from_secs(1))
    }

    /// Completes after `idle` without work.
    pub async fn wait(self) {
        let mut idle_since: Option<Instant> = None;
        let mut executed = self.probe.executed();
        loop {
            let now = Instant::now();
            let ran = self.probe.executed();
            let local = self.probe.held() > 0 || ran != executed;
            executed = ran;
            let idle_now = !local && self.nothing_to_do().await;
            if idle_now {
                let since = *idle_since.get_or_insert(now);
                if now.duration_since(since) >= self.idle {
                    tracing::info!(
                        idle_s = self.idle.as_secs_f64(),
                        "idle: nothing queued, scheduled, retrying or running; exiting"
                    );
                    return;
                }
            } else {
                idle_since = None;
            }
            tokio::time::sleep(self.every()).await;
        }
    }

    async fn nothing_to_do(&self) -> bool {
        match measure(self.store.as_ref(), &self.queues, now_secs()).await {
            Ok(w) => !w.any(),
            Err(e) => {
                // Unknown is not idle: a store outage must not empty the fleet.
                tracing::debug!(error = %e, "idle check failed");
                false
            }
        }
    }
}
