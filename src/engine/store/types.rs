//! Plain data that crosses the `Store` trait: heartbeats, stats, set entries,
//! processes and work records, identical for both stores.

use std::fmt;

use serde::Serialize;
use serde_json::Value;

use crate::engine::job::Job;
use crate::engine::queue::QueueName;

/// A job as it will be stored: the payload JSON (without `at`), its queue
/// and jid, and when it runs (`None` = now, `Some` = the schedule's score).
#[derive(Debug, Clone, PartialEq)]
pub struct EncodedJob {
    pub queue: QueueName,
    pub jid: String,
    pub payload: String,
    pub at: Option<f64>,
}

impl EncodedJob {
    pub fn from_job(job: &Job) -> EncodedJob {
        let at = job.at();
        let payload = match at {
            Some(_) => {
                let mut j = job.clone();
                j.remove("at");
                j.to_json()
            }
            None => job.to_json(),
        };
        EncodedJob {
            queue: job.queue().clone(),
            jid: job.jid().to_owned(),
            payload,
            at,
        }
    }
}

/// The sorted sets of Sidekiq's layout (plus sidekiq-failures' `failed`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SetKind {
    Schedule,
    Retry,
    Dead,
    Failed,
}

impl SetKind {
    pub const ALL: [SetKind; 4] = [
        SetKind::Schedule,
        SetKind::Retry,
        SetKind::Dead,
        SetKind::Failed,
    ];

    /// The Redis key, which is also the state name in SQLite.
    pub fn key(self) -> &'static str {
        match self {
            SetKind::Schedule => "schedule",
            SetKind::Retry => "retry",
            SetKind::Dead => "dead",
            SetKind::Failed => "failed",
        }
    }
}

/// Identifies a sorted-set entry as Sidekiq::Web does: `<score>-<jid>`.
#[derive(Debug, Clone, PartialEq)]
pub struct EntryKey {
    pub score: f64,
    pub jid: String,
}

impl EntryKey {
    pub fn parse(s: &str) -> Option<EntryKey> {
        let (score, jid) = s.rsplit_once('-')?;
        let score: f64 = score.parse().ok()?;
        if jid.is_empty() || !score.is_finite() {
            return None;
        }
        Some(EntryKey {
            score,
            jid: jid.to_owned(),
        })
    }
}

impl fmt::Display for EntryKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", format_score(self.score), self.jid)
    }
}

/// A score as Ruby's `Float#to_s` prints it for epoch times (`1795618700.6590819`).
pub fn format_score(score: f64) -> String {
    if score.fract() == 0.0 && score.abs() < 1e16 {
        format!("{score:.1}")
    } else {
        format!("{score}")
    }
}

/// One entry of a sorted set.
#[derive(Debug, Clone)]
pub struct SortedEntry {
    pub score: f64,
    pub raw: String,
    /// `None` when the stored payload is not a valid job.
    pub job: Option<Job>,
}

impl SortedEntry {
    pub fn new(score: f64, raw: String) -> SortedEntry {
        let job = Job::parse(&raw).ok();
        SortedEntry { score, raw, job }
    }

    pub fn jid(&self) -> &str {
        self.job.as_ref().map(Job::jid).unwrap_or("")
    }

    pub fn key(&self) -> EntryKey {
        EntryKey {
            score: self.score,
            jid: self.jid().to_owned(),
        }
    }
}

/// A job waiting in a queue.
#[derive(Debug, Clone)]
pub struct QueuedJob {
    pub raw: String,
    pub job: Option<Job>,
}

impl QueuedJob {
    pub fn new(raw: String) -> QueuedJob {
        let job = Job::parse(&raw).ok();
        QueuedJob { raw, job }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QueueSummary {
    pub name: QueueName,
    pub size: u64,
    /// Seconds since the next job to run was enqueued (0 when empty).
    pub latency_s: f64,
}

impl Serialize for QueueName {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// `Sidekiq::Stats`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Stats {
    pub processed: u64,
    pub failed: u64,
    pub busy: u64,
    pub processes: u64,
    pub enqueued: u64,
    pub scheduled: u64,
    pub retries: u64,
    pub dead: u64,
    pub queues: Vec<QueueSummary>,
}

impl Stats {
    /// The counters by Sidekiq's names, in `Sidekiq::Stats` order (for the
    /// JSON and text views).
    pub fn counters(&self) -> [(&'static str, u64); 8] {
        [
            ("processed", self.processed),
            ("failed", self.failed),
            ("busy", self.busy),
            ("processes", self.processes),
            ("enqueued", self.enqueued),
            ("scheduled", self.scheduled),
            ("retries", self.retries),
            ("dead", self.dead),
        ]
    }

    /// The counters as a JSON object.
    pub fn counters_json(&self) -> serde_json::Map<String, serde_json::Value> {
        self.counters()
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.into()))
            .collect()
    }

    pub fn default_latency(&self) -> f64 {
        self.queues
            .iter()
            .find(|q| q.name.as_str() == "default")
            .map(|q| q.latency_s)
            .unwrap_or(0.0)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DayStat {
    pub date: String,
    pub processed: u64,
    pub failed: u64,
}

/// What one heartbeat writes.
#[derive(Debug, Clone)]
pub struct Heartbeat {
    pub identity: String,
    /// The `info` JSON, serialised once per process.
    pub info_json: String,
    pub busy: usize,
    pub beat: f64,
    pub quiet: bool,
    pub rss_kb: u64,
    pub rtt_us: u64,
    /// tid ⇒ work JSON (`{"queue","payload","run_at"}`).
    pub work: Vec<(String, String)>,
    /// How long the heartbeat stays valid without renewal.
    pub ttl_secs: u64,
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

    pub fn concurrency(&self) -> u64 {
        self.info
            .get("concurrency")
            .and_then(Value::as_u64)
            .unwrap_or(0)
    }

    pub fn started_at(&self) -> f64 {
        self.info
            .get("started_at")
            .and_then(Value::as_f64)
            .unwrap_or(0.0)
    }

    pub fn queues(&self) -> Vec<String> {
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

/// The usage meter behind the autoscaler's report: worker-milliseconds
/// recorded by worker processes since the meter started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct WorkerTime {
    /// When the meter started, epoch milliseconds.
    pub since_ms: u64,
    /// Milliseconds of worker-process life recorded since then.
    pub worker_ms: u64,
}

/// How one execution ended, for the recent-jobs feed and per-class metrics.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct JobRecord {
    pub jid: String,
    pub class: String,
    pub queue: String,
    /// Process name (hostname or `--name`), IP and pid that ran it.
    pub host: String,
    pub ip: String,
    pub pid: u32,
    pub started_at: f64,
    pub duration_ms: f64,
    /// "done", "retry", "dead" or "discarded".
    pub outcome: String,
    pub error: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::excessive_precision)] // Ruby's own digits, on purpose
    fn entry_keys_round_trip() {
        let k = EntryKey::parse("1795618700.6590819-c84b9c896976df6f502a5df7").unwrap();
        // Redis prints 17 digits; Ruby's Float#to_s (and so Sidekiq::Web's
        // keys) the shortest that round-trips, as Rust does.
        assert_eq!(k.score, 1_795_618_700.659_082);
        assert_eq!(k.to_string(), "1795618700.659082-c84b9c896976df6f502a5df7");
        assert_eq!(
            EntryKey {
                score: 5.0,
                jid: "a".into()
            }
            .to_string(),
            "5.0-a"
        );
        assert!(EntryKey::parse("nope").is_none());
        assert!(EntryKey::parse("1.5-").is_none());
    }

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
