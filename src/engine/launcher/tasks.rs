//! The launcher's long-running tasks and inputs: the heartbeat (which also
//! carries signals sent through the store), the periodic recovery of dead
//! processes' jobs, and the POSIX signals a worker obeys.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use super::Control;
use crate::engine::clock::Clock;
use crate::engine::heartbeat::ProcessIdentity;
use crate::engine::manager::Probe;
use crate::engine::store::{LocalHost, WorkerSide};
use crate::shutdown::Shutdown;

pub(super) struct OsSignals {
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
    tstp: tokio::signal::unix::Signal,
    ttin: tokio::signal::unix::Signal,
}

impl OsSignals {
    pub(super) fn new() -> std::io::Result<OsSignals> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(OsSignals {
            term: signal(SignalKind::terminate())?,
            int: signal(SignalKind::interrupt())?,
            tstp: signal(SignalKind::from_raw(libc::SIGTSTP))?,
            ttin: signal(SignalKind::from_raw(libc::SIGTTIN))?,
        })
    }
}

pub(super) async fn recv_os(signals: &mut Option<OsSignals>) -> Control {
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

pub(super) struct HeartbeatTask {
    pub store: Arc<dyn WorkerSide>,
    pub identity: Arc<ProcessIdentity>,
    pub probe: Probe,
    pub clock: Arc<dyn Clock>,
    /// The manager's quiet latch, reported in each beat.
    pub quiet: Shutdown,
    pub interval: Duration,
    pub control: mpsc::UnboundedSender<Control>,
    pub stop: Shutdown,
}

pub(super) async fn heartbeat_loop(t: HeartbeatTask) {
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
        let beat = t
            .identity
            .beat(Some(&t.probe), t.clock.now(), t.quiet.is_triggered(), rtt);
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

pub(super) async fn recovery_loop(
    store: Arc<dyn WorkerSide>,
    local: LocalHost,
    interval: Duration,
    stop: Shutdown,
) {
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
