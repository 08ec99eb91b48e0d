//! Jobs and completions built by hand, for tests that drive a store
//! directly (push, fetch, complete) rather than through a worker.

use kiqlab::engine::job::{Job, Retry};
use kiqlab::engine::store::{Completion, JobRecord, Outcome, RunOutcome, UnitOfWork};
use serde_json::Value;

use crate::support::q;

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
    let raw = std::str::from_utf8(&u.payload).expect("utf-8");
    Job::parse(raw).expect("job").args()[0]
        .as_i64()
        .expect("int arg")
}

pub fn args_of(units: &[UnitOfWork]) -> Vec<i64> {
    units.iter().map(arg_of).collect()
}

pub fn record(u: &UnitOfWork, outcome: RunOutcome, now: f64) -> JobRecord {
    let raw = std::str::from_utf8(&u.payload).expect("utf-8");
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
        outcome,
        error: outcome.failed().then(|| "RuntimeError: boom".to_owned()),
        backtrace: Vec::new(),
    }
}

pub fn done(u: &UnitOfWork, now: f64) -> Completion {
    Completion {
        unit: u.clone(),
        outcome: Outcome::Done,
        record: Some(record(u, RunOutcome::Done, now)),
    }
}
