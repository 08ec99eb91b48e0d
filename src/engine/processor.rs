//! Runs one unit of work: parse the payload, find the class, run its handler
//! (catching panics), and turn the result into a `Completion` — done, retry,
//! dead or discarded — with an execution record of who ran it and for how long.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Instant;

use futures::FutureExt;
use serde_json::{Map, Value};

use super::activejob;
use super::clock::Clock;
use super::job::{new_jid, time_like, Job, PayloadError};
use super::registry::{JobContext, JobError, Registry, WorkerInfo};
use super::retry::{self, Decision};
use super::store::{Completion, JobRecord, Outcome, RunOutcome, UnitOfWork};

/// The target of the per-job `start` / `done` / `fail` lines (Sidekiq's
/// job logger), so a filter can quieten them: `RUST_LOG=info,job=warn`.
pub const JOB_LOG: &str = "job";

/// Payloads above this size are refused (straight to the dead set).
pub const DEFAULT_MAX_PAYLOAD: usize = 1024 * 1024;
/// How much of a malformed payload is kept in its dead-set entry.
const KEPT_MALFORMED_BYTES: usize = 64 * 1024;

#[derive(Debug, Clone)]
pub struct ProcessorEnv {
    pub registry: Arc<Registry>,
    pub worker: Arc<WorkerInfo>,
    pub clock: Arc<dyn Clock>,
    pub max_payload: usize,
}

pub async fn process(env: &ProcessorEnv, unit: &UnitOfWork) -> Completion {
    let started_at = env.clock.now();
    let timer = Instant::now();
    let mut job = match Job::from_bytes(&unit.payload, env.max_payload) {
        Ok(job) => job,
        Err(e) => return malformed(env, unit, &e, started_at),
    };
    // An ActiveJob job runs as its wrapped class, with its own arguments;
    // the wrapper payload is what goes to retry or dead.
    let run = match activejob::unwrap(&job) {
        None => Ok(job.clone()),
        Some(unwrapped) => unwrapped,
    };
    let result = match run.map(|r| (env.registry.get(r.class()), r)) {
        Err(e) => Err(e),
        Ok((None, r)) => Err(unknown_class(env, r.class())),
        Ok((Some(class), run)) => {
            let ctx = JobContext {
                job: run,
                worker: env.worker.clone(),
            };
            tracing::info!(
                target: JOB_LOG,
                worker = %env.worker.hostname,
                class = %job.display_class(),
                jid = %job.jid(),
                queue = %job.queue(),
                "start"
            );
            match AssertUnwindSafe((class.handler)(ctx)).catch_unwind().await {
                Ok(r) => r,
                Err(panic) => Err(JobError::new("Panic", panic_message(panic.as_ref()))),
            }
        }
    };
    let duration_ms = timer.elapsed().as_secs_f64() * 1000.0;
    let (outcome, error) = match result {
        Ok(()) => {
            tracing::info!(
                target: JOB_LOG,
                worker = %env.worker.hostname,
                class = %job.display_class(),
                jid = %job.jid(),
                queue = %job.queue(),
                "done: {:.3} sec",
                duration_ms / 1000.0
            );
            (Outcome::Done, None)
        }
        Err(err) => {
            let now = env.clock.now();
            let decision = retry::on_failure(&mut job, &err, now, &mut rand::rng());
            tracing::warn!(
                target: JOB_LOG,
                worker = %env.worker.hostname,
                class = %job.display_class(),
                jid = %job.jid(),
                queue = %job.queue(),
                error = %err,
                next = %retry::describe(&decision, &job, now, err.permanent),
                "fail: {:.3} sec",
                duration_ms / 1000.0
            );
            let outcome = match decision {
                Decision::Retry { at } => Outcome::Retry {
                    job: job.clone(),
                    at,
                },
                Decision::Dead => Outcome::Dead {
                    job_json: job.to_json(),
                },
                Decision::Discard => Outcome::Discard,
            };
            (outcome, Some(err))
        }
    };
    let record = record(env, &job, unit, started_at, duration_ms, &outcome, error);
    Completion {
        unit: unit.clone(),
        outcome,
        record: Some(record),
    }
}

fn run_outcome(o: &Outcome) -> RunOutcome {
    match o {
        Outcome::Done => RunOutcome::Done,
        Outcome::Retry { .. } => RunOutcome::Retry,
        Outcome::Dead { .. } => RunOutcome::Dead,
        Outcome::Discard => RunOutcome::Discarded,
    }
}

fn record(
    env: &ProcessorEnv,
    job: &Job,
    unit: &UnitOfWork,
    started_at: f64,
    duration_ms: f64,
    outcome: &Outcome,
    error: Option<JobError>,
) -> JobRecord {
    let backtrace = error
        .as_ref()
        .map(|e| failure_backtrace(env, job, e))
        .unwrap_or_default();
    JobRecord {
        jid: job.jid().to_owned(),
        class: job.display_class().to_owned(),
        queue: unit.queue.to_string(),
        host: env.worker.hostname.clone(),
        ip: env.worker.ip.clone(),
        pid: env.worker.pid,
        started_at,
        duration_ms,
        outcome: run_outcome(outcome),
        error: error.map(|e| e.to_string()),
        backtrace,
    }
}

/// What sidekiq-failures shows as the backtrace: the error's causes (the
/// handler's own lines, then each `caused by`), then where it ran.
fn failure_backtrace(env: &ProcessorEnv, job: &Job, err: &JobError) -> Vec<String> {
    let mut lines = err.backtrace.clone();
    lines.push(format!(
        "in {}#perform (jid {}, queue {}{})",
        job.display_class(),
        job.jid(),
        job.queue(),
        if err.permanent {
            ", a permanent error: not retried"
        } else {
            ""
        }
    ));
    lines.push(format!(
        "on {} ({}, pid {}, {})",
        env.worker.hostname, env.worker.ip, env.worker.pid, env.worker.identity
    ));
    lines
}

fn unknown_class(env: &ProcessorEnv, class: &str) -> JobError {
    JobError::new(
        "NameError",
        format!(
            "uninitialized constant {class}: this worker has no handler for job class {class:?} (it knows {})",
            env.registry.names().join(", ")
        ),
    )
}

fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        format!("job panicked: {s}")
    } else if let Some(s) = p.downcast_ref::<String>() {
        format!("job panicked: {s}")
    } else {
        "job panicked".to_owned()
    }
}

/// A payload that cannot be run goes to the dead set, with the reason and as
/// much of the original as is safe to keep.
fn malformed(env: &ProcessorEnv, unit: &UnitOfWork, err: &PayloadError, now: f64) -> Completion {
    tracing::error!(queue = %unit.queue, bytes = unit.payload.len(), error = %err, "malformed job payload; moving it to the dead set");
    let job_json = malformed_dead_json(&unit.payload, unit.queue.as_str(), err, now);
    let outcome = Outcome::Dead { job_json };
    let parsed: Option<Map<String, Value>> = serde_json::from_slice(&unit.payload).ok();
    let field = |k: &str| {
        parsed
            .as_ref()
            .and_then(|m| m.get(k))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let record = JobRecord {
        jid: field("jid").unwrap_or_default(),
        class: field("class").unwrap_or_else(|| "(malformed)".into()),
        queue: unit.queue.to_string(),
        host: env.worker.hostname.clone(),
        ip: env.worker.ip.clone(),
        pid: env.worker.pid,
        started_at: now,
        duration_ms: 0.0,
        outcome: RunOutcome::Dead,
        error: Some(format!("Kiqlab::MalformedPayload: {err}")),
        backtrace: vec![format!(
            "on {} ({}, pid {}): the payload could not be read",
            env.worker.hostname, env.worker.ip, env.worker.pid
        )],
    };
    Completion {
        unit: unit.clone(),
        outcome,
        record: Some(record),
    }
}

/// A valid Sidekiq payload describing a malformed one: the original class and
/// jid when readable, `args` emptied, the raw text under `payload`.
pub fn malformed_dead_json(raw: &[u8], queue: &str, err: &PayloadError, now: f64) -> String {
    let original: Option<Map<String, Value>> = if raw.len() <= KEPT_MALFORMED_BYTES {
        serde_json::from_slice(raw).ok()
    } else {
        None
    };
    let get = |k: &str| original.as_ref().and_then(|m| m.get(k)).cloned();
    let mut m = Map::new();
    m.insert("retry".into(), Value::Bool(false));
    m.insert("queue".into(), Value::from(queue));
    let class = get("class")
        .filter(|c| c.as_str().is_some_and(|s| !s.is_empty()))
        .unwrap_or_else(|| Value::from("Kiqlab::MalformedJob"));
    m.insert("class".into(), class);
    let args = get("args")
        .filter(Value::is_array)
        .unwrap_or(Value::Array(vec![]));
    m.insert("args".into(), args);
    let jid = get("jid")
        .filter(Value::is_string)
        .unwrap_or_else(|| Value::from(new_jid()));
    m.insert("jid".into(), jid);
    if let Some(t) = get("created_at") {
        m.insert("created_at".into(), t);
    }
    let kept = &raw[..raw.len().min(KEPT_MALFORMED_BYTES)];
    m.insert(
        "payload".into(),
        Value::from(String::from_utf8_lossy(kept).into_owned()),
    );
    m.insert("payload_bytes".into(), Value::from(raw.len()));
    m.insert("error_message".into(), Value::from(err.to_string()));
    m.insert(
        "error_class".into(),
        Value::from("Kiqlab::MalformedPayload"),
    );
    // In the unit of the payload's own created_at (Sidekiq 8: integer ms).
    let failed_at = time_like(m.get("created_at"), now);
    m.insert("failed_at".into(), failed_at);
    m.insert("retry_count".into(), Value::from(0));
    serde_json::to_string(&m).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::clock::ManualClock;
    use crate::engine::job::Retry;
    use crate::engine::queue::QueueName;
    use crate::engine::registry::JobOptions;

    fn env() -> ProcessorEnv {
        let mut r = Registry::new();
        r.register("Ok", JobOptions::default(), |_| async { Ok(()) });
        r.register("Boom", JobOptions::default(), |_| async {
            Err(JobError::runtime("boom"))
        });
        r.register("Panics", JobOptions::default(), |_| async {
            if true {
                panic!("kaboom");
            }
            Ok(())
        });
        ProcessorEnv {
            registry: Arc::new(r),
            worker: Arc::new(WorkerInfo {
                hostname: "worker-01".into(),
                ip: "10.0.0.11".into(),
                pid: 42,
                identity: "worker-01:42:abc".into(),
            }),
            clock: Arc::new(ManualClock::new(1000.0)),
            max_payload: DEFAULT_MAX_PAYLOAD,
        }
    }

    fn unit(json: &str) -> UnitOfWork {
        UnitOfWork::unheld(QueueName::default_queue(), json.to_owned())
    }

    fn job_unit(class: &str, retry: Retry) -> UnitOfWork {
        unit(&Job::new(class, vec![], QueueName::default_queue(), retry).to_json())
    }

    #[tokio::test]
    async fn success_is_done_with_a_record() {
        let c = process(&env(), &job_unit("Ok", Retry::Default)).await;
        assert!(matches!(c.outcome, Outcome::Done));
        let r = c.record.unwrap();
        assert_eq!(
            (r.host.as_str(), r.ip.as_str(), r.pid),
            ("worker-01", "10.0.0.11", 42)
        );
        assert_eq!(r.outcome, RunOutcome::Done);
    }

    #[tokio::test]
    async fn activejob_jobs_run_as_the_wrapped_class_with_their_own_args() {
        use crate::engine::activejob;
        let mut e = env();
        let mut r = Registry::new();
        r.register("Echo", JobOptions::default(), |ctx| async move {
            if ctx.args() == [Value::from(0), Value::from("aj now")] {
                Ok(())
            } else {
                Err(JobError::argument(format!("got {:?}", ctx.args())))
            }
        });
        e.registry = Arc::new(r);
        let args = vec![Value::from(0), Value::from("aj now")];
        let job = activejob::envelope("Echo", args, QueueName::default_queue(), 1.7e9);
        let c = process(&e, &unit(&job.to_json())).await;
        assert!(matches!(c.outcome, Outcome::Done), "{:?}", c.record);
        assert_eq!(c.record.unwrap().class, "Echo");
        // A GlobalID argument: a clear error, and the wrapper payload retried.
        let gid = serde_json::json!({"_aj_globalid": "gid://blog/Post/7"});
        let job = activejob::envelope("Echo", vec![gid], QueueName::default_queue(), 1.7e9);
        let c = process(&e, &unit(&job.to_json())).await;
        let Outcome::Retry { job, .. } = c.outcome else {
            panic!("expected retry")
        };
        assert_eq!(job.class(), activejob::RAILS_WRAPPER);
        assert_eq!(job.error_class(), Some("ActiveJob::DeserializationError"));
        assert!(job.error_message().unwrap().contains("gid://blog/Post/7"));
    }

    #[tokio::test]
    async fn failure_goes_to_retry_with_error_fields() {
        let c = process(&env(), &job_unit("Boom", Retry::Default)).await;
        let Outcome::Retry { job, at } = c.outcome else {
            panic!("expected retry")
        };
        assert!((1015.0..=1024.0).contains(&at));
        assert_eq!(job.error_message(), Some("boom"));
        assert_eq!(job.retry_count(), Some(0));
    }

    #[tokio::test]
    async fn panics_are_failures_with_the_message() {
        let c = process(&env(), &job_unit("Panics", Retry::Count(0))).await;
        let Outcome::Dead { job_json } = c.outcome else {
            panic!("expected dead")
        };
        let job = Job::parse(&job_json).unwrap();
        assert_eq!(job.error_class(), Some("Panic"));
        assert_eq!(job.error_message(), Some("job panicked: kaboom"));
    }

    #[tokio::test]
    async fn unknown_class_fails_clearly() {
        let c = process(&env(), &job_unit("Nope", Retry::Off)).await;
        assert!(matches!(c.outcome, Outcome::Discard));
        let err = c.record.unwrap().error.unwrap();
        assert!(
            err.contains("NameError: uninitialized constant Nope"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn malformed_payloads_go_dead_with_a_reason() {
        for raw in [
            "not json".to_owned(),
            r#"{"args":[1]}"#.to_owned(),
            r#"{"class":"Ok","args":"x","jid":"j1"}"#.to_owned(),
            format!(
                r#"{{"class":"Ok","args":["{}"]}}"#,
                "x".repeat(DEFAULT_MAX_PAYLOAD)
            ),
        ] {
            let c = process(&env(), &unit(&raw)).await;
            let Outcome::Dead { job_json } = c.outcome else {
                panic!("expected dead for {raw:.40}")
            };
            let job = Job::parse(&job_json).expect("dead entry is a valid job");
            assert_eq!(job.error_class(), Some("Kiqlab::MalformedPayload"));
            assert!(job.error_message().is_some_and(|m| !m.is_empty()));
        }
        let bad_utf8 = UnitOfWork::unheld(
            QueueName::default_queue(),
            bytes::Bytes::from_static(b"{\"class\":\"\xff\"}"),
        );
        let c = process(&env(), &bad_utf8).await;
        assert!(matches!(c.outcome, Outcome::Dead { .. }));
    }
}
