//! How the autoscaler gets a worker: `LocalScaler` runs `kiqlab worker
//! --idle-exit` as a child of this process; `CommandScaler` runs shell
//! commands (`vagrant up worker-02`, `heroku ps:scale worker=1`), the gem's
//! `HerokuScaler` generalised. Neither blocks the caller: children and
//! commands run in the background and `poll` reports on them.

use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use async_trait::async_trait;
use tokio::process::{Child, Command};

#[derive(Debug, thiserror::Error)]
pub enum ScaleError {
    #[error("cannot start {what}: {source}")]
    Spawn {
        what: String,
        #[source]
        source: std::io::Error,
    },
}

/// What a scaler knows after `poll`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScalerState {
    /// Workers it runs itself; `None` when it cannot tell (commands), so the
    /// store's process registry is the only witness.
    pub workers: Option<usize>,
    /// A scale command is still running.
    pub busy: bool,
    /// The last command or child failed since the previous poll.
    pub failed: bool,
}

#[async_trait]
pub trait Scaler: Send {
    fn describe(&self) -> String;
    /// Asks for one worker; `waiting` is how many jobs wait.
    async fn scale_up(&mut self, waiting: u64) -> Result<(), ScaleError>;
    /// Lets the worker go.
    async fn scale_down(&mut self) -> Result<(), ScaleError>;
    /// Reaps children and finished commands.
    fn poll(&mut self) -> ScalerState;
    /// Stops what this scaler owns (the web node is stopping).
    async fn shutdown(&mut self);
}

/// The command line of a local worker: this binary with its arguments and
/// environment (secrets included: passed in the environment, never logged).
#[derive(Debug, Clone)]
pub struct LocalWorkerSpec {
    pub exe: PathBuf,
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
}

pub struct LocalScaler {
    spec: LocalWorkerSpec,
    children: Vec<Child>,
    started: u32,
    grace: Duration,
}

impl LocalScaler {
    /// `grace`: how long a child gets to stop on shutdown before SIGKILL.
    pub fn new(spec: LocalWorkerSpec, grace: Duration) -> LocalScaler {
        LocalScaler {
            spec,
            children: Vec::new(),
            started: 0,
            grace,
        }
    }

    /// Pids of the running children.
    pub fn pids(&self) -> Vec<u32> {
        self.children.iter().filter_map(Child::id).collect()
    }
}

fn sigterm(child: &mut Child) {
    use rustix::process::{kill_process, Pid, Signal};
    let sent = child
        .id()
        .and_then(|p| i32::try_from(p).ok())
        .and_then(Pid::from_raw)
        .map(|p| kill_process(p, Signal::TERM));
    if !matches!(sent, Some(Ok(()))) {
        let _ = child.start_kill();
    }
}

#[async_trait]
impl Scaler for LocalScaler {
    fn describe(&self) -> String {
        "local worker processes".into()
    }

    async fn scale_up(&mut self, waiting: u64) -> Result<(), ScaleError> {
        self.started += 1;
        let name = format!("autoscaled-{:02}", self.started);
        let child = Command::new(&self.spec.exe)
            .args(&self.spec.args)
            .args(["--name", &name])
            .envs(self.spec.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .map_err(|source| ScaleError::Spawn {
                what: format!("{} worker", self.spec.exe.display()),
                source,
            })?;
        tracing::info!(pid = child.id(), name = %name, waiting, "started a local worker");
        self.children.push(child);
        Ok(())
    }

    async fn scale_down(&mut self) -> Result<(), ScaleError> {
        // Children leave by themselves through --idle-exit, which sees their
        // own running jobs exactly; the heartbeats seen from here lag by up
        // to 5 s, so a SIGTERM from here could only be later or wrong.
        Ok(())
    }

    fn poll(&mut self) -> ScalerState {
        let mut failed = false;
        self.children.retain_mut(|c| match c.try_wait() {
            Ok(None) => true,
            Ok(Some(status)) => {
                failed |= !status.success();
                log_exit("local worker", status);
                false
            }
            Err(e) => {
                tracing::warn!(error = %e, "lost a local worker");
                failed = true;
                false
            }
        });
        ScalerState {
            workers: Some(self.children.len()),
            busy: false,
            failed,
        }
    }

    async fn shutdown(&mut self) {
        for c in &mut self.children {
            sigterm(c);
        }
        for mut c in self.children.drain(..) {
            if tokio::time::timeout(self.grace, c.wait()).await.is_err() {
                tracing::warn!(pid = c.id(), "worker did not stop in time; killing");
                let _ = c.start_kill();
                let _ = c.wait().await;
            }
        }
    }
}

fn log_exit(what: &str, status: ExitStatus) {
    if status.success() {
        tracing::info!(%status, "{what} exited");
    } else {
        tracing::warn!(%status, "{what} failed");
    }
}

/// Runs `sh -c UP` / `sh -c DOWN`, with `KIQLAB_AUTOSCALE_EVENT` (`up` or
/// `down`) and `KIQLAB_AUTOSCALE_WAITING` in their environment.
pub struct CommandScaler {
    up: String,
    down: Option<String>,
    running: Option<(&'static str, Child)>,
}

impl CommandScaler {
    pub fn new(up: String, down: Option<String>) -> CommandScaler {
        CommandScaler {
            up,
            down,
            running: None,
        }
    }

    fn run(&mut self, event: &'static str, cmd: &str, waiting: u64) -> Result<(), ScaleError> {
        if let Some((e, c)) = &self.running {
            tracing::warn!(
                running = e,
                pid = c.id(),
                "a scale command is still running; not starting {event}"
            );
            return Ok(());
        }
        let child = Command::new("sh")
            .args(["-c", cmd])
            .env("KIQLAB_AUTOSCALE_EVENT", event)
            .env("KIQLAB_AUTOSCALE_WAITING", waiting.to_string())
            .stdin(Stdio::null())
            // A `vagrant up` half done is worse than one that finishes late.
            .kill_on_drop(false)
            .spawn()
            .map_err(|source| ScaleError::Spawn {
                what: format!("the scale-{event} command"),
                source,
            })?;
        tracing::info!(event, pid = child.id(), command = %cmd, waiting, "running the scale command");
        self.running = Some((event, child));
        Ok(())
    }
}

#[async_trait]
impl Scaler for CommandScaler {
    fn describe(&self) -> String {
        match &self.down {
            Some(d) => format!("commands: up `{}`, down `{d}`", self.up),
            None => format!("command: up `{}`", self.up),
        }
    }

    async fn scale_up(&mut self, waiting: u64) -> Result<(), ScaleError> {
        let up = self.up.clone();
        self.run("up", &up, waiting)
    }

    async fn scale_down(&mut self) -> Result<(), ScaleError> {
        match self.down.clone() {
            Some(down) => self.run("down", &down, 0),
            None => Ok(()),
        }
    }

    fn poll(&mut self) -> ScalerState {
        let mut failed = false;
        if let Some((event, child)) = &mut self.running {
            match child.try_wait() {
                Ok(None) => {}
                Ok(Some(status)) => {
                    failed = !status.success();
                    log_exit(&format!("scale-{event} command"), status);
                    self.running = None;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "lost the scale command");
                    failed = true;
                    self.running = None;
                }
            }
        }
        ScalerState {
            workers: None,
            busy: self.running.is_some(),
            failed,
        }
    }

    async fn shutdown(&mut self) {
        if let Some((event, child)) = self.running.take() {
            tracing::info!(
                event,
                pid = child.id(),
                "leaving the scale command to finish"
            );
        }
    }
}
