//! A `kiqlab worker` child process with its log in a file, for fault tests:
//! start, SIGKILL, SIGTERM, and the messages its DemoWorker jobs logged.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

pub struct WorkerProc {
    child: Option<Child>,
    pub log: PathBuf,
}

impl WorkerProc {
    /// Starts `kiqlab worker --store URL ARGS…` with fast heartbeats and polls.
    pub fn start(store_url: &str, args: &[&str], log: &Path) -> WorkerProc {
        let file = std::fs::File::create(log).expect("worker log");
        let child = Command::new(super::kiqlab_bin())
            .args(["worker", "--store", store_url])
            .args(["--poll-interval", "200ms", "--heartbeat-interval", "200ms"])
            .args(args)
            .env("NO_COLOR", "1")
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(file)
            .spawn()
            .expect("spawn kiqlab worker");
        WorkerProc {
            child: Some(child),
            log: log.to_owned(),
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().map(Child::id).unwrap_or(0)
    }

    pub fn is_running(&mut self) -> bool {
        matches!(self.child.as_mut().map(|c| c.try_wait()), Some(Ok(None)))
    }

    /// `kill -9`.
    pub fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// SIGTERM, then waits for the exit; returns the status and how long it took.
    pub fn term(&mut self) -> (ExitStatus, Duration) {
        let mut c = self.child.take().expect("worker running");
        let start = Instant::now();
        let _ = Command::new("kill")
            .args(["-TERM", &c.id().to_string()])
            .status();
        let status = c.wait().expect("wait for worker");
        (status, start.elapsed())
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for WorkerProc {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// Counts log lines carrying a message token `PREFIX<digits or word>` (as
/// DemoWorker logs its message verbatim).
pub fn count_messages(texts: &[String], prefix: &str) -> HashMap<String, usize> {
    let mut out = HashMap::new();
    for text in texts {
        for line in text.lines() {
            let Some(pos) = line.find(prefix) else {
                continue;
            };
            let token: String = line[pos..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                .collect();
            *out.entry(token).or_default() += 1;
        }
    }
    out
}
