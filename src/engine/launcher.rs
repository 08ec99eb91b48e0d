//! A worker process's lifecycle, as Sidekiq's launcher: start (first
//! heartbeat, recover orphans of dead processes, then fetch), quiet (stop
//! fetching), stop (quiet, wait up to the timeout, push unfinished jobs back,
//! clear the heartbeat). Also runs the heartbeat, scheduler and periodic
//! orphan-recovery tasks, and turns signals into quiet/stop.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
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
use super::store::{LocalHost, SharedStore, StoreError};
use crate::shutdown::Shutdown;

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
            recovery_interval: Duration::from_secs(10),
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
    fn from_signal(s: &str) -> Option<Control> {
        match s {
            "TSTP" | "USR1" => Some(Control::Quiet),
            "TERM" | "INT" => Some(Control::Stop),
            "TTIN" => Some(Control::Dump),
            _ => None,
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
    store: SharedStore,
    identity: Arc<ProcessIdentity>,
    manager: Option<Manager>,
    probe: Probe,
    quiet: Arc<AtomicBool>,
    stop_tasks: Shutdown,
    tasks: Vec<JoinHandle<()>>,
    control_rx: mpsc::UnboundedReceiver<Control>,
    timeout: Duration,
}

impl Launcher {
    pub async fn start(
        store: SharedStore,
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
        let quiet = Arc::new(AtomicBool::new(false));
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
            queues = ?config.queues.queues().iter().map(|q| q.as_str()).collect::<Vec<_>>(),
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
        self.quiet.load(Ordering::Relaxed)
    }

    /// Stops fetching new work (Sidekiq's TSTP).
    pub async fn quiet(&mut self) {
        if self.quiet.swap(true, Ordering::Relaxed) {
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
        self.quiet.store(true, Ordering::Relaxed);
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
            };
            match control {
                Control::Quiet => self.quiet().await,
                Control::Dump => {
                    for (slot, r) in self.probe.running() {
                        tracing::info!(slot, queue = %r.unit.queue, payload = %String::from_utf8_lossy(&r.unit.raw), "running");
                    }
                }
                Control::Stop => break,
            }
        }
        Ok(self.stop().await)
    }
}

struct OsSignals {
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
    tstp: tokio::signal::unix::Signal,
    ttin: tokio::signal::unix::Signal,
}

impl OsSignals {
    fn new() -> std::io::Result<OsSignals> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(OsSignals {
            term: signal(SignalKind::terminate())?,
            int: signal(SignalKind::interrupt())?,
            tstp: signal(SignalKind::from_raw(libc::SIGTSTP))?,
            ttin: signal(SignalKind::from_raw(libc::SIGTTIN))?,
        })
    }
}

async fn recv_os(signals: &mut Option<OsSignals>) -> Control {
    match signals {
        None => std::future::pending().await,
        Some(s) => tokio::select! {
            _ = s.term.recv() => Control::Stop,
            _ = s.int.recv() => Control::Stop,
            _ = s.tstp.recv() => Control::Quiet,
            _ = s.ttin.recv() => Control::Dump,
        },
    }
}

struct HeartbeatTask {
    store: SharedStore,
    identity: Arc<ProcessIdentity>,
    probe: Probe,
    clock: Arc<dyn Clock>,
    quiet: Arc<AtomicBool>,
    interval: Duration,
    control: mpsc::UnboundedSender<Control>,
    stop: Shutdown,
}

async fn heartbeat_loop(t: HeartbeatTask) {
    let mut failing = false;
    loop {
        tokio::select! {
            _ = tokio::time::sleep(t.interval) => {}
            _ = t.stop.wait() => return,
        }
        let rtt = match t.store.ping().await {
            Ok(d) => d.as_micros() as u64,
            Err(e) => {
                if !failing {
                    tracing::warn!(error = %e, "heartbeat: store unreachable; will keep trying");
                    failing = true;
                }
                continue;
            }
        };
        let beat = t.identity.beat(
            Some(&t.probe),
            t.clock.now(),
            t.quiet.load(Ordering::Relaxed),
            rtt,
        );
        match t.store.heartbeat(&beat).await {
            Ok(signal) => {
                if failing {
                    tracing::info!("heartbeat: store reachable again");
                    failing = false;
                }
                if let Some(s) = signal {
                    match Control::from_signal(&s) {
                        Some(c) => {
                            tracing::info!(signal = %s, "signal received through the store");
                            let _ = t.control.send(c);
                        }
                        None => tracing::warn!(signal = %s, "unknown signal ignored"),
                    }
                }
            }
            Err(e) => {
                if !failing {
                    tracing::warn!(error = %e, "heartbeat failed; will keep trying");
                    failing = true;
                }
            }
        }
    }
}

async fn recovery_loop(store: SharedStore, local: LocalHost, interval: Duration, stop: Shutdown) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = stop.wait() => return,
        }
        match store.recover_orphans(&local).await {
            Ok(0) => {}
            Ok(n) => tracing::warn!(jobs = n, "recovered jobs of dead processes"),
            Err(e) => tracing::debug!(error = %e, "orphan recovery failed"),
        }
    }
}
