//! The figures the read side reports: `Sidekiq::Stats`, each queue's size
//! and latency, the daily history, the usage meter's totals, and what the
//! store says about itself (`StoreInfo`).

use std::fmt;

use serde::Serialize;

use crate::engine::queue::QueueName;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QueueSummary {
    pub name: QueueName,
    pub size: u64,
    /// Seconds since the next job to run was enqueued (0 when empty).
    pub latency_s: f64,
    /// A name only another client could have written (`QueueName::is_odd`).
    pub odd: bool,
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

/// The usage meter behind the autoscaler's report: worker-milliseconds
/// recorded by worker processes since the meter started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct WorkerTime {
    /// When the meter started, epoch milliseconds.
    pub since_ms: u64,
    /// Milliseconds of worker-process life recorded since then.
    pub worker_ms: u64,
}

/// Which kind of store answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StoreKind {
    Redis,
    Sqlite,
}

impl StoreKind {
    pub fn as_str(self) -> &'static str {
        match self {
            StoreKind::Redis => "redis",
            StoreKind::Sqlite => "sqlite",
        }
    }
}

impl fmt::Display for StoreKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a store says about itself, for the dashboard's store panel, the
/// stats JSON and the benchmark.
#[derive(Debug, Clone, PartialEq)]
pub struct StoreInfo {
    pub kind: StoreKind,
    /// The server's (or the library's) version.
    pub version: String,
    /// The figures worth showing at a glance: Sidekiq::Web's five Redis
    /// `INFO` fields, or every figure of the SQLite file.
    pub headline: Vec<(String, String)>,
    /// Everything the store reports (all of Redis `INFO`).
    pub fields: Vec<(String, String)>,
}

impl StoreInfo {
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}
