//! The loop in `kiqlab web --autoscale`. Every `interval` it reads the
//! workload of its queues and the live workers serving them, then:
//!
//! - jobs waiting and no worker alive: scale up (one worker, the gem's
//!   binary strategy), then wait for that worker's first heartbeat;
//! - a worker up and nothing queued, scheduled, retrying, running or
//!   finishing for `idle`: scale down (run the scale-down command; local
//!   workers leave by themselves through `--idle-exit`).
//!
//! Polling the store rather than hooking `perform_async` catches jobs from
//! every client: the web node, `kiqlab enqueue`, a Ruby app on the same Redis.

use std::time::Duration;

use tokio::task::JoinHandle;
use tokio::time::Instant;
use tracing::Instrument;

use super::scaler::{Scaler, ScalerState};
use super::usage::now_ms;
use super::workload::{measure, Queues, Workload};
use crate::engine::clock::now_secs;
use crate::engine::store::{LocalHost, ReadSide, SharedStore, StoreError};
use crate::shutdown::Shutdown;

#[derive(Debug, Clone)]
pub struct AutoscalerConfig {
    pub queues: Queues,
    /// Idle time before scaling down (the gem's timeout, 60 s in the tutorial).
    pub idle: Duration,
    pub interval: Duration,
    /// How long a started worker has to send its first heartbeat.
    pub start_timeout: Duration,
    /// Wait after a failed start before trying again.
    pub retry_after: Duration,
}

impl Default for AutoscalerConfig {
    fn default() -> Self {
        AutoscalerConfig {
            queues: Queues::All,
            idle: Duration::from_secs(60),
            interval: Duration::from_secs(1),
            start_timeout: Duration::from_secs(300),
            retry_after: Duration::from_secs(10),
        }
    }
}

/// What one look at the store found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Observation {
    pub workload: Workload,
    /// Live, not quiet processes serving our queues (from heartbeats).
    pub registered: usize,
    /// Jobs running on them.
    pub busy: u64,
    /// Jobs finished since the previous look (heartbeats lag; counters do not).
    pub finished: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Down { not_before: Option<Instant> },
    Starting { since: Instant },
    Up { idle_since: Option<Instant> },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Up { waiting: u64 },
    Down,
}

/// The decision, apart from the mechanism so it can be tested alone.
pub fn decide(
    phase: Phase,
    obs: &Observation,
    st: &ScalerState,
    cfg: &AutoscalerConfig,
    now: Instant,
) -> (Phase, Option<Action>) {
    let alive = obs.registered.max(st.workers.unwrap_or(0));
    let waiting = obs.workload.waiting();
    let start = || (Phase::Starting { since: now }, Some(Action::Up { waiting }));
    match phase {
        Phase::Down { not_before } => {
            let may = not_before.is_none_or(|t| now >= t) && !st.busy;
            if waiting > 0 && alive == 0 && may {
                start()
            } else {
                (Phase::Down { not_before }, None)
            }
        }
        Phase::Starting { since } => {
            if obs.registered > 0 {
                (Phase::Up { idle_since: None }, None)
            } else if st.failed || (st.workers == Some(0) && !st.busy) {
                let not_before = Some(now + cfg.retry_after);
                (Phase::Down { not_before }, None)
            } else if now.duration_since(since) >= cfg.start_timeout {
                (Phase::Down { not_before: None }, None)
            } else {
                (Phase::Starting { since }, None)
            }
        }
        Phase::Up { idle_since } => {
            if alive == 0 && waiting > 0 && !st.busy {
                // The worker died (or left) with work waiting: start another.
                return start();
            }
            if obs.workload.any() || obs.busy > 0 || obs.finished > 0 {
                return (Phase::Up { idle_since: None }, None);
            }
            let since = idle_since.unwrap_or(now);
            if now.duration_since(since) >= cfg.idle {
                (Phase::Down { not_before: None }, Some(Action::Down))
            } else {
                (
                    Phase::Up {
                        idle_since: Some(since),
                    },
                    None,
                )
            }
        }
    }
}

/// Reads the workload and the live workers of `queues`.
/// `last_done` carries the processed + failed counters between looks.
pub async fn observe(
    store: &dyn ReadSide,
    queues: &Queues,
    local: &LocalHost,
    last_done: &mut Option<u64>,
) -> Result<Observation, StoreError> {
    let now = now_secs();
    let workload = measure(store, queues, now).await?;
    let mut obs = Observation {
        workload,
        ..Observation::default()
    };
    let stats = store.stats(now).await?;
    let done = stats.processed + stats.failed;
    obs.finished = done.saturating_sub(last_done.replace(done).unwrap_or(done));
    for p in store.processes(now).await? {
        if p.quiet || local.is_dead_locally(&p.info) || !queues.overlaps(&p.queues()) {
            continue;
        }
        obs.registered += 1;
        obs.busy += p.busy;
    }
    Ok(obs)
}

pub struct Autoscaler {
    stop: Shutdown,
    task: JoinHandle<()>,
}

impl Autoscaler {
    pub fn start(store: SharedStore, scaler: Box<dyn Scaler>, cfg: AutoscalerConfig) -> Autoscaler {
        let stop = Shutdown::new();
        tracing::info!(
            scaler = %scaler.describe(),
            idle_s = cfg.idle.as_secs_f64(),
            queues = %cfg.queues,
            "autoscaler started"
        );
        let task = tokio::spawn(
            run(store, scaler, cfg, stop.clone()).instrument(tracing::info_span!("autoscaler")),
        );
        Autoscaler { stop, task }
    }

    /// Stops the loop and what the scaler owns (local workers get SIGTERM).
    pub async fn stop(self) {
        self.stop.trigger();
        let _ = self.task.await;
    }
}

async fn run(
    store: SharedStore,
    mut scaler: Box<dyn Scaler>,
    cfg: AutoscalerConfig,
    stop: Shutdown,
) {
    // The window of "always-on" starts with the autoscaler.
    if let Err(e) = store.add_worker_time(0, now_ms()).await {
        tracing::warn!(error = %e, "cannot start the usage meter");
    }
    let local = LocalHost::detect();
    let mut phase = Phase::Down { not_before: None };
    let mut failing = false;
    let mut last_done = None;
    loop {
        let st = scaler.poll();
        match observe(store.as_ref(), &cfg.queues, &local, &mut last_done).await {
            Ok(obs) => {
                failing = false;
                let (next, action) = decide(phase, &obs, &st, &cfg, Instant::now());
                if next != phase {
                    tracing::debug!(?next, ?obs, "autoscaler phase");
                }
                phase = next;
                match action {
                    Some(Action::Up { waiting }) => {
                        tracing::info!(waiting, "jobs waiting and no worker alive: scaling up");
                        if let Err(e) = scaler.scale_up(waiting).await {
                            tracing::error!(error = %e, "cannot scale up");
                            phase = Phase::Down {
                                not_before: Some(Instant::now() + cfg.retry_after),
                            };
                        }
                    }
                    Some(Action::Down) => {
                        tracing::info!(
                            idle_s = cfg.idle.as_secs_f64(),
                            "no work for the idle time: scaling down"
                        );
                        if let Err(e) = scaler.scale_down().await {
                            tracing::error!(error = %e, "cannot scale down");
                        }
                    }
                    None => {}
                }
            }
            Err(e) => {
                if !failing {
                    tracing::warn!(error = %e, "cannot read the store; will keep trying");
                    failing = true;
                }
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(cfg.interval) => {}
            _ = stop.wait() => break,
        }
    }
    scaler.shutdown().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> AutoscalerConfig {
        AutoscalerConfig {
            idle: Duration::from_secs(60),
            start_timeout: Duration::from_secs(30),
            retry_after: Duration::from_secs(5),
            ..AutoscalerConfig::default()
        }
    }

    fn obs(queued: u64, registered: usize, busy: u64) -> Observation {
        Observation {
            workload: Workload {
                queued,
                ..Workload::default()
            },
            registered,
            busy,
            finished: 0,
        }
    }

    const LOCAL_NONE: ScalerState = ScalerState {
        workers: Some(0),
        busy: false,
        failed: false,
    };
    const LOCAL_ONE: ScalerState = ScalerState {
        workers: Some(1),
        busy: false,
        failed: false,
    };
    const CMD_IDLE: ScalerState = ScalerState {
        workers: None,
        busy: false,
        failed: false,
    };

    #[test]
    fn scales_up_only_with_work_and_no_worker() {
        let t0 = Instant::now();
        let down = Phase::Down { not_before: None };
        assert_eq!(
            decide(down, &obs(0, 0, 0), &LOCAL_NONE, &cfg(), t0),
            (down, None)
        );
        assert_eq!(
            decide(down, &obs(3, 1, 0), &CMD_IDLE, &cfg(), t0),
            (down, None)
        );
        assert_eq!(
            decide(down, &obs(3, 0, 0), &LOCAL_NONE, &cfg(), t0),
            (
                Phase::Starting { since: t0 },
                Some(Action::Up { waiting: 3 })
            )
        );
        // Due scheduled jobs wait too: nobody else would queue them.
        let due = Observation {
            workload: Workload {
                scheduled: 2,
                due: 1,
                ..Workload::default()
            },
            ..Observation::default()
        };
        assert!(matches!(
            decide(down, &due, &CMD_IDLE, &cfg(), t0).1,
            Some(Action::Up { waiting: 1 })
        ));
        // A command still running, or a back-off, holds it.
        let busy = ScalerState {
            busy: true,
            ..CMD_IDLE
        };
        assert_eq!(decide(down, &obs(3, 0, 0), &busy, &cfg(), t0).1, None);
        let later = Phase::Down {
            not_before: Some(t0 + Duration::from_secs(5)),
        };
        assert_eq!(decide(later, &obs(3, 0, 0), &CMD_IDLE, &cfg(), t0).1, None);
    }

    #[test]
    fn starting_waits_for_a_heartbeat_then_gives_up() {
        let t0 = Instant::now();
        let starting = Phase::Starting { since: t0 };
        let t1 = t0 + Duration::from_secs(1);
        // A local child that has not beaten yet still counts: no second start.
        assert_eq!(
            decide(starting, &obs(3, 0, 0), &LOCAL_ONE, &cfg(), t1),
            (starting, None)
        );
        assert_eq!(
            decide(starting, &obs(3, 1, 0), &LOCAL_ONE, &cfg(), t1).0,
            Phase::Up { idle_since: None }
        );
        let failed = ScalerState {
            failed: true,
            ..CMD_IDLE
        };
        assert_eq!(
            decide(starting, &obs(3, 0, 0), &failed, &cfg(), t1).0,
            Phase::Down {
                not_before: Some(t1 + Duration::from_secs(5))
            }
        );
        let late = t0 + Duration::from_secs(31);
        assert_eq!(
            decide(starting, &obs(3, 0, 0), &CMD_IDLE, &cfg(), late).0,
            Phase::Down { not_before: None }
        );
    }

    #[test]
    fn scales_down_after_the_idle_time_only() {
        let t0 = Instant::now();
        let up = Phase::Up { idle_since: None };
        let (p, a) = decide(up, &obs(0, 1, 0), &CMD_IDLE, &cfg(), t0);
        assert_eq!(
            (p, a),
            (
                Phase::Up {
                    idle_since: Some(t0)
                },
                None
            )
        );
        // Work, even running work, resets the idle clock; so does a job
        // finished between two heartbeats.
        assert_eq!(
            decide(p, &obs(0, 1, 2), &CMD_IDLE, &cfg(), t0).0,
            Phase::Up { idle_since: None }
        );
        let finished = Observation {
            finished: 1,
            ..obs(0, 1, 0)
        };
        assert_eq!(
            decide(p, &finished, &CMD_IDLE, &cfg(), t0).0,
            Phase::Up { idle_since: None }
        );
        let t59 = t0 + Duration::from_secs(59);
        assert_eq!(decide(p, &obs(0, 1, 0), &CMD_IDLE, &cfg(), t59).1, None);
        let t60 = t0 + Duration::from_secs(60);
        assert_eq!(
            decide(p, &obs(0, 0, 0), &CMD_IDLE, &cfg(), t60),
            (Phase::Down { not_before: None }, Some(Action::Down))
        );
        // The worker died with work waiting: start another at once.
        assert!(matches!(
            decide(up, &obs(4, 0, 0), &LOCAL_NONE, &cfg(), t0).1,
            Some(Action::Up { waiting: 4 })
        ));
    }
}
