//! The process registry's data: what a heartbeat writes, a live process and
//! its jobs in progress as the Busy page reads them, the signals sent to a
//! process through the store, and how to tell that a process on this machine
//! has died.

use std::fmt;

use serde::Serialize;
use serde_json::Value;

use crate::engine::job::Job;

/// What one heartbeat writes.
#[derive(Debug, Clone)]
pub struct Heartbeat {
    pub identity: String,
    /// The `info` JSON, serialised once per process.
    pub info_json: String,
    pub busy: usize,
    /// Processor threads (also in `info`): Sidekiq 8 reads it as the hash's
    /// own `concurrency` field, overriding `info.concurrency`.
    pub concurrency: usize,
    pub beat: f64,
    pub quiet: bool,
    pub rss_kb: u64,
    pub rtt_us: u64,
    /// tid ⇒ work JSON (`{"queue","payload","run_at"}`).
    pub work: Vec<(String, String)>,
    /// How long the heartbeat stays valid without renewal.
    pub ttl_secs: u64,
}

/// A request sent to a process through the store (Sidekiq's
/// `IDENTITY-signals` list), which the process reads with its heartbeat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signal {
    /// `TSTP` (Sidekiq 5's `USR1` too): stop fetching new jobs.
    Quiet,
    /// `TERM` (or `INT`): stop, pushing unfinished jobs back.
    Stop,
    /// `TTIN`: log the jobs in progress.
    Dump,
    /// Anything else a foreign client wrote; a process ignores it.
    Unknown(String),
}

impl Signal {
    /// The name as stored. Never fails: unknown names become `Unknown`.
    pub fn parse(s: &str) -> Signal {
        match s {
            "TSTP" | "USR1" => Signal::Quiet,
            "TERM" | "INT" => Signal::Stop,
            "TTIN" => Signal::Dump,
            other => Signal::Unknown(other.to_owned()),
        }
    }

    /// The name Sidekiq writes for it.
    pub fn as_str(&self) -> &str {
        match self {
            Signal::Quiet => "TSTP",
            Signal::Stop => "TERM",
            Signal::Dump => "TTIN",
            Signal::Unknown(s) => s,
        }
    }
}

impl fmt::Display for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who is asking, so a store can tell that a process on this same machine has
/// died without waiting for its heartbeat to expire.
#[derive(Debug, Clone, Default)]
pub struct LocalHost {
    /// Kernel boot id plus pid namespace; equal means "same pid space".
    pub pid_space: String,
}

impl LocalHost {
    pub fn detect() -> LocalHost {
        let boot = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").unwrap_or_default();
        let ns = std::fs::read_link("/proc/self/ns/pid")
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default();
        if boot.trim().is_empty() || ns.is_empty() {
            return LocalHost::default();
        }
        LocalHost {
            pid_space: format!("{}/{}", boot.trim(), ns),
        }
    }

    /// True when the process described by `info` (a heartbeat `info` JSON)
    /// lived in our pid space and its pid no longer exists.
    pub fn is_dead_locally(&self, info: &Value) -> bool {
        if self.pid_space.is_empty() {
            return false;
        }
        let same_space = info.get("pid_space").and_then(Value::as_str) == Some(&self.pid_space);
        let pid = info.get("pid").and_then(Value::as_u64);
        match (same_space, pid) {
            (true, Some(pid)) => !std::path::Path::new(&format!("/proc/{pid}")).exists(),
            _ => false,
        }
    }
}

/// A live process, as the Busy page shows it.
#[derive(Debug, Clone, Serialize)]
pub struct ProcessRecord {
    pub identity: String,
    pub info: Value,
    pub busy: u64,
    pub beat: f64,
    pub quiet: bool,
    pub rss_kb: u64,
    pub rtt_us: u64,
}

impl ProcessRecord {
    fn info_str(&self, key: &str) -> &str {
        self.info.get(key).and_then(Value::as_str).unwrap_or("")
    }

    pub fn hostname(&self) -> &str {
        self.info_str("hostname")
    }

    pub fn ip(&self) -> &str {
        self.info_str("ip")
    }

    pub fn tag(&self) -> &str {
        self.info_str("tag")
    }

    pub fn pid(&self) -> u64 {
        self.info.get("pid").and_then(Value::as_u64).unwrap_or(0)
    }

    /// Threads: `info.concurrency` (Sidekiq 6 and 7, kiqlab), which a store
    /// overrides with the hash's own `concurrency` field when there is one
    /// (Sidekiq 8 writes only that); else the capsules' sum.
    pub fn concurrency(&self) -> u64 {
        self.info
            .get("concurrency")
            .and_then(Value::as_u64)
            .unwrap_or_else(|| {
                self.capsules()
                    .map(|c| {
                        c.values()
                            .filter_map(|v| v.get("concurrency").and_then(Value::as_u64))
                            .sum()
                    })
                    .unwrap_or(0)
            })
    }

    /// Sidekiq 8's `info.capsules`: name ⇒ `{concurrency, mode, weights}`.
    fn capsules(&self) -> Option<&serde_json::Map<String, Value>> {
        self.info
            .get("capsules")
            .and_then(Value::as_object)
            .filter(|c| !c.is_empty())
    }

    /// Queue ⇒ weight as `Sidekiq::Process#weights` gives them: from the
    /// capsules when there are any (8.x), else the first hash of 7.x's
    /// `info.weights`; empty before 7.0.
    pub fn weights(&self) -> Vec<(String, u64)> {
        let pairs = |m: &serde_json::Map<String, Value>, out: &mut Vec<(String, u64)>| {
            for (q, w) in m {
                let w = w.as_u64().unwrap_or(0);
                match out.iter_mut().find(|(name, _)| name == q) {
                    Some(e) => e.1 = w,
                    None => out.push((q.clone(), w)),
                }
            }
        };
        let mut out = Vec::new();
        if let Some(caps) = self.capsules() {
            for cap in caps.values() {
                if let Some(w) = cap.get("weights").and_then(Value::as_object) {
                    pairs(w, &mut out);
                }
            }
        } else if let Some(w) = self
            .info
            .get("weights")
            .and_then(Value::as_array)
            .and_then(|a| a.first())
            .and_then(Value::as_object)
        {
            pairs(w, &mut out);
        }
        out
    }

    pub fn started_at(&self) -> f64 {
        self.info
            .get("started_at")
            .and_then(Value::as_f64)
            .unwrap_or(0.0)
    }

    /// Sidekiq 7's embedded mode: such a process is not quieted or stopped
    /// by "all" (it lives inside another program).
    pub fn is_embedded(&self) -> bool {
        self.info
            .get("embedded")
            .and_then(Value::as_bool)
            .unwrap_or(false)
    }

    /// `info.queues`, else (a Sidekiq 8 process without it) the capsules' queues.
    pub fn queues(&self) -> Vec<String> {
        if self.info.get("queues").is_none() && self.capsules().is_some() {
            return self.weights().into_iter().map(|(q, _)| q).collect();
        }
        self.info
            .get("queues")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|q| q.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// A job in progress.
#[derive(Debug, Clone, Serialize)]
pub struct WorkRecord {
    pub identity: String,
    pub tid: String,
    pub queue: String,
    pub run_at: f64,
    /// The job JSON (Sidekiq stores it as a string inside the work JSON).
    pub payload: String,
}

impl WorkRecord {
    /// Parses a work hash value; `payload` may be a string or an object.
    pub fn parse(identity: &str, tid: &str, work_json: &str) -> Option<WorkRecord> {
        let v: Value = serde_json::from_str(work_json).ok()?;
        let payload = match v.get("payload")? {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        Some(WorkRecord {
            identity: identity.to_owned(),
            tid: tid.to_owned(),
            queue: v
                .get("queue")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned(),
            run_at: v.get("run_at").and_then(Value::as_f64).unwrap_or(0.0),
            payload,
        })
    }

    pub fn job(&self) -> Option<Job> {
        Job::parse(&self.payload).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn work_payload_may_be_string_or_object() {
        let s =
            r#"{"queue":"default","payload":"{\"class\":\"A\",\"args\":[]}","run_at":1795618641}"#;
        let w = WorkRecord::parse("id", "t1", s).unwrap();
        assert_eq!(w.payload, r#"{"class":"A","args":[]}"#);
        let o = r#"{"queue":"default","payload":{"class":"A","args":[]},"run_at":1}"#;
        assert_eq!(
            WorkRecord::parse("id", "t1", o).unwrap().payload,
            r#"{"class":"A","args":[]}"#
        );
    }

    fn record(info: Value) -> ProcessRecord {
        ProcessRecord {
            identity: "h:1:abc".into(),
            info,
            busy: 0,
            beat: 0.0,
            quiet: false,
            rss_kb: 0,
            rtt_us: 0,
        }
    }

    #[test]
    fn weights_and_queues_come_from_capsules_else_info() {
        use serde_json::json;
        // Sidekiq 7 (and kiqlab before 8.x's fields): info.weights, info.concurrency.
        let v7 = record(json!({"concurrency": 4, "queues": ["critical", "default"],
            "weights": [{"critical": 3, "default": 1}]}));
        assert_eq!(v7.concurrency(), 4);
        assert_eq!(
            v7.weights(),
            vec![("critical".to_owned(), 3), ("default".to_owned(), 1)]
        );
        // Sidekiq 8.1: capsules, no info.concurrency, no queues.
        let v8 = record(json!({"capsules": {
            "default": {"concurrency": 4, "mode": "weighted", "weights": {"critical": 3, "default": 1}},
            "single": {"concurrency": 1, "mode": "strict", "weights": {"serial": 0}}}}));
        assert_eq!(v8.concurrency(), 5, "the capsules' sum");
        assert_eq!(v8.queues(), vec!["critical", "default", "serial"]);
        assert_eq!(v8.weights()[2], ("serial".to_owned(), 0));
        // Sidekiq 6: neither.
        let v6 = record(json!({"concurrency": 2, "queues": ["default"]}));
        assert!(v6.weights().is_empty());
        assert_eq!(v6.queues(), vec!["default"]);
    }

    #[test]
    fn signals_round_trip_and_unknown_ones_are_kept() {
        for s in [Signal::Quiet, Signal::Stop, Signal::Dump] {
            assert_eq!(Signal::parse(s.as_str()), s);
        }
        assert_eq!(Signal::parse("USR1"), Signal::Quiet);
        assert_eq!(Signal::parse("INT"), Signal::Stop);
        assert_eq!(Signal::parse("HUP"), Signal::Unknown("HUP".into()));
        assert_eq!(Signal::parse("HUP").as_str(), "HUP");
    }

    #[test]
    fn local_host_spots_a_dead_local_pid() {
        let local = LocalHost::detect();
        if local.pid_space.is_empty() {
            return; // not Linux
        }
        let me = serde_json::json!({"pid": std::process::id(), "pid_space": local.pid_space});
        assert!(!local.is_dead_locally(&me));
        let gone = serde_json::json!({"pid": 4_000_000_000u64, "pid_space": local.pid_space});
        assert!(local.is_dead_locally(&gone));
        let elsewhere = serde_json::json!({"pid": 4_000_000_000u64, "pid_space": "other"});
        assert!(!local.is_dead_locally(&elsewhere));
    }
}
