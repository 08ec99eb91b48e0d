//! A worker process's lifecycle, as Sidekiq's launcher: start (first
//! heartbeat, recover orphans of dead processes, then fetch), quiet (stop
//! fetching), stop (quiet, wait up to the timeout, push unfinished jobs back,
//! clear the heartbeat). The heartbeat, scheduler and periodic
//! orphan-recovery tasks it runs, and the POSIX signals it listens to, are
//! in `tasks`.

mod tasks;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tracing::Instrument;

use super::clock::Clock;
use super::heartbeat::{default_hostname, detect_ip, IdentityParams, ProcessIdentity, BEAT_SECS};
use super::manager::{Manager, ManagerConfig, Probe};
use super::processor::{ProcessorEnv, DEFAULT_MAX_PAYLOAD};
use super::queue::QueueSpec;
use super::registry::{Registry, WorkerInfo};
use super::scheduler::Scheduler;
use super::store::{LocalHost, Signal, StoreError, WorkerSide};
use crate::shutdown::Shutdown;
use tasks::{heartbeat_loop, recovery_loop, recv_os, HeartbeatTask, OsSignals};

/// How often a worker looks for the held jobs of dead processes (besides
/// at start-up); `docs/reliability.md` says the same.
pub const RECOVERY_SECS: u64 = 10;

#[derive(Debug, Clone)]
pub struct WorkerConfig {
    pub concurrency: usize,
    pub queues: QueueSpec,
    /// Shutdown grace (`-t`).
    pub timeout: Duration,
    pub tag: String,
    /// Process name shown instead of the hostname (`--name`).
    pub name: Option<String>,
    pub labels: Vec<String>,
    /// The IP to report; detected when `None`.
    pub ip: Option<String>,
    /// Where the store server is, to pick the IP of the route towards it.
    pub store_addr: Option<SocketAddr>,
    /// Average scheduler poll interval; `None` = Sidekiq's rule.
    pub poll_interval: Option<f64>,
    pub heartbeat_interval: Duration,
    pub recovery_interval: Duration,
    pub max_payload: usize,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        WorkerConfig {
            concurrency: 10,
            queues: QueueSpec::default(),
            timeout: Duration::from_secs(25),
            tag: String::new(),
            name: None,
            labels: Vec::new(),
            ip: None,
            store_addr: None,
            poll_interval: None,
            heartbeat_interval: Duration::from_secs(BEAT_SECS),
            recovery_interval: Duration::from_secs(RECOVERY_SECS),
            max_payload: DEFAULT_MAX_PAYLOAD,
        }
    }
}

/// A request from outside: a POSIX signal or one sent through the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    Quiet,
    Stop,
    Dump,
}

impl Control {
    /// What a signal sent through the store asks for; `None` for one this
    /// worker does not know.
    pub fn from_signal(s: &Signal) -> Option<Control> {
        match s {
            Signal::Quiet => Some(Control::Quiet),
            Signal::Stop => Some(Control::Stop),
            Signal::Dump => Some(Control::Dump),
            Signal::Unknown(_) => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StopReport {
    /// Jobs still running at the deadline, pushed back to their queues.
    pub requeued: usize,
    pub executed: u64,
}

pub struct Launcher {
    store: Arc<dyn WorkerSide>,
    identity: Arc<ProcessIdentity>,
    manager: Option<Manager>,
    probe: Probe,
    /// The manager's quiet latch.
    quiet: Shutdown,
    stop_tasks: Shutdown,
    tasks: Vec<JoinHandle<()>>,
    control_rx: mpsc::UnboundedReceiver<Control>,
    timeout: Duration,
}

impl Launcher {
    /// Starts a worker on `store` (a `SharedStore` coerces to it).
    pub async fn start(
        store: Arc<dyn WorkerSide>,
        registry: Arc<Registry>,
        clock: Arc<dyn Clock>,
        config: WorkerConfig,
    ) -> Result<Launcher, StoreError> {
        let local = LocalHost::detect();
        let hostname = config.name.clone().unwrap_or_else(default_hostname);
        let ip = config
            .ip
            .clone()
            .unwrap_or_else(|| detect_ip(config.store_addr));
        let identity = Arc::new(ProcessIdentity::new(IdentityParams {
            hostname,
            ip,
            tag: &config.tag,
            labels: &config.labels,
            concurrency: config.concurrency,
            queues: &config.queues,
            started_at: clock.now(),
            local: &local,
        }));
        let span = tracing::info_span!("worker", identity = %identity.identity);
        // Heartbeat first, so nobody mistakes our held jobs for orphans.
        let rtt = store.ping().await?;
        store
            .heartbeat(&identity.beat(None, clock.now(), false, rtt.as_micros() as u64))
            .await?;
        let recovered = store.recover_orphans(&local).await?;
        if recovered > 0 {
            tracing::warn!(jobs = recovered, "recovered jobs of dead processes");
        }
        let fetcher = store.fetcher(&identity.identity, &config.queues).await?;
        let env = ProcessorEnv {
            registry,
            worker: Arc::new(WorkerInfo {
                hostname: identity.hostname.clone(),
                ip: identity.ip.clone(),
                pid: identity.pid,
                identity: identity.identity.clone(),
            }),
            clock: clock.clone(),
            max_payload: config.max_payload,
        };
        let manager = Manager::start(
            store.clone(),
            identity.identity.clone(),
            env,
            ManagerConfig {
                concurrency: config.concurrency,
                queues: config.queues.clone(),
                sweep_interval: config.recovery_interval.max(Duration::from_millis(100)),
            },
            fetcher,
        );
        let probe = manager.probe();
        let quiet = manager.quiet_signal();
        let stop_tasks = Shutdown::new();
        let (control_tx, control_rx) = mpsc::unbounded_channel();
        let scheduler = Scheduler::new(store.clone(), clock.clone(), config.poll_interval);
        let tasks = vec![
            tokio::spawn(
                scheduler
                    .run(stop_tasks.clone())
                    .instrument(tracing::info_span!(parent: &span, "scheduler")),
            ),
            tokio::spawn(
                heartbeat_loop(HeartbeatTask {
                    store: store.clone(),
                    identity: identity.clone(),
                    probe: probe.clone(),
                    clock: clock.clone(),
                    quiet: quiet.clone(),
                    interval: config.heartbeat_interval,
                    control: control_tx,
                    stop: stop_tasks.clone(),
                })
                .instrument(tracing::info_span!(parent: &span, "heartbeat")),
            ),
            tokio::spawn(
                recovery_loop(
                    store.clone(),
                    local,
                    config.recovery_interval,
                    stop_tasks.clone(),
                )
                .instrument(tracing::info_span!(parent: &span, "recovery")),
            ),
        ];
        tracing::info!(
            identity = %identity.identity,
            ip = %identity.ip,
            concurrency = config.concurrency,
            queues = %config.queues.queues().iter().map(|q| q.as_str()).collect::<Vec<_>>().join(", "),
            strict = config.queues.is_strict(),
            store = %store.describe(),
            "worker started"
        );
        Ok(Launcher {
            store,
            identity,
            manager: Some(manager),
            probe,
            quiet,
            stop_tasks,
            tasks,
            control_rx,
            timeout: config.timeout,
        })
    }

    pub fn identity(&self) -> &ProcessIdentity {
        &self.identity
    }

    pub fn probe(&self) -> Probe {
        self.probe.clone()
    }

    pub fn is_quiet(&self) -> bool {
        self.quiet.is_triggered()
    }

    /// Stops fetching new work (Sidekiq's TSTP).
    pub async fn quiet(&mut self) {
        if self.quiet.is_triggered() {
            return;
        }
        tracing::info!("quiet: no new jobs will be fetched");
        if let Some(m) = self.manager.as_mut() {
            m.quiet().await;
        }
    }

    /// The next control request from the store's signal list.
    pub async fn next_control(&mut self) -> Option<Control> {
        self.control_rx.recv().await
    }

    /// Stops: quiet, wait up to the timeout for running jobs, push the rest
    /// back, clear the heartbeat.
    pub async fn stop(mut self) -> StopReport {
        tracing::info!(timeout_s = self.timeout.as_secs_f64(), "stopping");
        let deadline = tokio::time::Instant::now() + self.timeout;
        self.quiet.trigger();
        let executed = self.probe.executed();
        let requeued = match self.manager.take() {
            Some(m) => m.stop(deadline).await,
            None => 0,
        };
        self.stop_tasks.trigger();
        for t in self.tasks.drain(..) {
            let _ = t.await;
        }
        if let Err(e) = self.store.clear_heartbeat(&self.identity.identity).await {
            tracing::warn!(error = %e, "could not clear the heartbeat");
        }
        let report = StopReport {
            requeued,
            executed: self.probe.executed().max(executed),
        };
        tracing::info!(
            requeued = report.requeued,
            executed = report.executed,
            "stopped"
        );
        report
    }

    /// Runs until a stop request: SIGTERM/SIGINT (when `os_signals`), a TERM
    /// through the store, or `until` completing. TSTP quiets; TTIN logs the
    /// running jobs.
    pub async fn run_until_stopped(
        mut self,
        os_signals: bool,
        until: impl std::future::Future<Output = ()>,
    ) -> std::io::Result<StopReport> {
        let mut signals = if os_signals {
            Some(OsSignals::new()?)
        } else {
            None
        };
        tokio::pin!(until);
        loop {
            let control = tokio::select! {
                c = self.control_rx.recv() => c.unwrap_or(Control::Stop),
                c = recv_os(&mut signals) => c,
                _ = &mut until => Control::Stop,
                _ = self.probe.failed() => Control::Stop,
            };
            match control {
                Control::Quiet => self.quiet().await,
                Control::Dump => {
                    for (slot, r) in self.probe.running() {
                        tracing::info!(slot, queue = %r.unit.queue, payload = %String::from_utf8_lossy(&r.unit.payload), "running");
                    }
                }
                Control::Stop => break,
            }
        }
        Ok(self.stop().await)
    }
}
