//! Child processes of `kiqlab demo` (workers, mail catcher, tagger): each is
//! started from this same binary, restarted with backoff when it dies (not
//! when it exits 0: a worker stopped from the dashboard stays stopped, as
//! systemd's `Restart=on-failure` leaves it), and
//! on stop sent SIGTERM, given a grace period, then killed. None outlives us
//! on a normal exit (`kill_on_drop` covers panics and early returns).

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::process::{Child, Command};
use tokio::task::JoinHandle;
use tracing::Instrument;

use crate::shutdown::Shutdown;

/// One supervised command: `<exe> args…` with extra environment.
#[derive(Debug, Clone)]
pub struct ChildSpec {
    pub name: String,
    pub args: Vec<String>,
    /// Values may be secrets: never logged.
    pub env: Vec<(String, String)>,
}

pub struct Supervisor {
    stop: Shutdown,
    tasks: Vec<JoinHandle<()>>,
}

const FIRST_BACKOFF: Duration = Duration::from_millis(500);
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// A child that ran this long before dying restarts without backoff growth.
const HEALTHY_RUN: Duration = Duration::from_secs(10);

impl Supervisor {
    pub fn start(exe: PathBuf, specs: Vec<ChildSpec>, grace: Duration) -> Supervisor {
        let stop = Shutdown::new();
        let tasks = specs
            .into_iter()
            .map(|spec| {
                let span = tracing::info_span!("child", name = %spec.name);
                tokio::spawn(supervise(exe.clone(), spec, stop.clone(), grace).instrument(span))
            })
            .collect();
        Supervisor { stop, tasks }
    }

    /// Stops every child and waits until all have exited.
    pub async fn stop(self) {
        self.stop.trigger();
        for t in self.tasks {
            let _ = t.await;
        }
    }
}

async fn supervise(exe: PathBuf, spec: ChildSpec, stop: Shutdown, grace: Duration) {
    let mut backoff = FIRST_BACKOFF;
    loop {
        if stop.is_triggered() {
            return;
        }
        let started = Instant::now();
        let spawned = Command::new(&exe)
            .args(&spec.args)
            .envs(spec.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .spawn();
        match spawned {
            Ok(mut child) => {
                tracing::info!(pid = child.id(), "started");
                let stopping = tokio::select! {
                    status = child.wait() => {
                        match status {
                            Ok(s) if s.success() => {
                                tracing::info!(
                                    "exited on request (Stop on the dashboard's Busy page); not restarting: stop and start the demo to bring it back"
                                );
                                return;
                            }
                            Ok(s) => tracing::warn!(status = %s, "exited; restarting"),
                            Err(e) => tracing::warn!(error = %e, "lost; restarting"),
                        }
                        false
                    }
                    _ = stop.wait() => true,
                };
                if stopping {
                    terminate(&mut child, grace).await;
                    return;
                }
            }
            Err(e) => tracing::error!(error = %e, exe = %exe.display(), "cannot start"),
        }
        if started.elapsed() >= HEALTHY_RUN {
            backoff = FIRST_BACKOFF;
        }
        tokio::select! {
            _ = tokio::time::sleep(backoff) => {}
            _ = stop.wait() => return,
        }
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// SIGTERM, then SIGKILL after `grace`.
async fn terminate(child: &mut Child, grace: Duration) {
    use rustix::process::{kill_process, Pid, Signal};
    let Some(pid) = child.id() else { return };
    let sent = i32::try_from(pid)
        .ok()
        .and_then(Pid::from_raw)
        .map(|p| kill_process(p, Signal::TERM));
    if !matches!(sent, Some(Ok(()))) {
        let _ = child.start_kill();
    }
    match tokio::time::timeout(grace, child.wait()).await {
        Ok(_) => tracing::info!(pid, "stopped"),
        Err(_) => {
            tracing::warn!(pid, "did not stop in time; killing");
            let _ = child.start_kill();
            let _ = child.wait().await;
        }
    }
}
