//! The SQLite store against real database files: one fresh file per test,
//! several connections (and processes) on one file where that is the point.
//!
//! - `queues`: push, fetch order, claims, requeue, queue pages and actions
//! - `outcomes`: completions, counters, retry/dead/discard, due jobs, sets
//! - `processes`: heartbeats, signals, pruning, orphan recovery
//! - `sharing`: blocking fetch woken by other connections and processes,
//!   concurrent stores on one file, open errors
//! - `throughput`: a manual measurement (ignored; run it with `--ignored --nocapture`)

mod outcomes;
mod processes;
mod queues;
mod sharing;
mod throughput;

use std::path::{Path, PathBuf};

use kiqlab::engine::job::{Job, Retry};
use kiqlab::engine::store::sqlite::SqliteStore;
use kiqlab::engine::store::{Completion, JobRecord, Outcome, UnitOfWork};
use serde_json::Value;

use crate::support::temp_dir;
pub use crate::support::{q, spec};

/// A fresh database in its own directory (kept alive by the returned guard).
pub async fn fresh() -> (SqliteStore, tempfile::TempDir) {
    let dir = temp_dir();
    let store = SqliteStore::open(&db_path(dir.path()))
        .await
        .expect("open sqlite store");
    (store, dir)
}

pub fn db_path(dir: &Path) -> PathBuf {
    dir.join("data").join("jobs.db")
}

/// A job as the client pushes it (created_at and enqueued_at set).
pub fn job(queue: &str, arg: i64, now: f64) -> Job {
    let mut j = Job::new(
        "NoopWorker",
        vec![Value::from(arg)],
        q(queue),
        Retry::Default,
    );
    j.set_time("created_at", now);
    j.set_time("enqueued_at", now);
    j
}

/// The first argument of a fetched job.
pub fn arg_of(u: &UnitOfWork) -> i64 {
    let raw = std::str::from_utf8(&u.raw).expect("utf-8");
    Job::parse(raw).expect("job").args()[0]
        .as_i64()
        .expect("int arg")
}

pub fn args_of(units: &[UnitOfWork]) -> Vec<i64> {
    units.iter().map(arg_of).collect()
}

pub fn record(u: &UnitOfWork, outcome: &str, now: f64) -> JobRecord {
    let raw = std::str::from_utf8(&u.raw).expect("utf-8");
    let job = Job::parse(raw).expect("job");
    JobRecord {
        jid: job.jid().to_owned(),
        class: job.class().to_owned(),
        queue: u.queue.as_str().to_owned(),
        host: "test-host".into(),
        ip: "127.0.0.1".into(),
        pid: std::process::id(),
        started_at: now - 0.25,
        duration_ms: 250.0,
        outcome: outcome.into(),
        error: (outcome != "done").then(|| "RuntimeError: boom".to_owned()),
    }
}

pub fn done(u: &UnitOfWork, now: f64) -> Completion {
    Completion {
        unit: u.clone(),
        outcome: Outcome::Done,
        record: Some(record(u, "done", now)),
    }
}
