//! Payload helpers every store uses: a job encoded once for storing
//! (`EncodedJob`), the entry sidekiq-failures keeps for a failed execution,
//! and the queue and jid a stored payload names.

use super::unit::{Completion, Outcome};
use crate::engine::job::{float_value, Job};
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

/// The entry sidekiq-failures keeps for a failed execution: the job with its
/// error fields, plus `processor` (host:pid) and `failed_at`.
pub fn failure_json(c: &Completion) -> Option<String> {
    let record = c.record.as_ref()?;
    let mut job = match &c.outcome {
        Outcome::Done => return None,
        Outcome::Retry { job, .. } => job.clone(),
        Outcome::Dead { job_json } => Job::parse(job_json).ok()?,
        Outcome::Discard => {
            let raw = std::str::from_utf8(&c.unit.payload).ok()?;
            let mut job = Job::parse(raw).ok()?;
            if let Some(e) = &record.error {
                job.set("error_message", serde_json::Value::from(e.as_str()));
            }
            job
        }
    };
    job.set(
        "processor",
        serde_json::Value::from(format!("{}:{}", record.host, record.pid)),
    );
    job.set(
        "failed_at",
        float_value(record.started_at + record.duration_ms / 1000.0),
    );
    // sidekiq-failures keeps the backtrace as a plain array of lines.
    if !record.backtrace.is_empty() {
        job.set(
            "error_backtrace",
            serde_json::Value::from(record.backtrace.clone()),
        );
    }
    Some(job.to_json())
}

/// (queue, jid) of a stored payload; empty strings when it is not a job.
pub fn queue_and_jid(payload: &str) -> (String, String) {
    match Job::parse(payload) {
        Ok(j) => (j.queue().as_str().to_owned(), j.jid().to_owned()),
        Err(_) => (String::new(), String::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::job::Retry;
    use crate::engine::store::record::{JobRecord, RunOutcome};
    use crate::engine::store::unit::UnitOfWork;

    #[test]
    fn a_discarded_job_is_listed_with_its_processor() {
        let job = Job::new("A", vec![], QueueName::default_queue(), Retry::Off);
        let c = Completion {
            unit: UnitOfWork::unheld(QueueName::default_queue(), job.to_json()),
            outcome: Outcome::Discard,
            record: Some(JobRecord {
                jid: job.jid().to_owned(),
                class: "A".into(),
                queue: "default".into(),
                host: "w1".into(),
                ip: "10.0.0.1".into(),
                pid: 7,
                started_at: 100.0,
                duration_ms: 500.0,
                outcome: RunOutcome::Discarded,
                error: Some("RuntimeError: boom".into()),
                backtrace: Vec::new(),
            }),
        };
        let f = Job::parse(&failure_json(&c).unwrap()).unwrap();
        assert_eq!(f.get("processor"), Some(&serde_json::json!("w1:7")));
        assert_eq!(f.time("failed_at"), Some(100.5));
        assert_eq!(f.error_message(), Some("RuntimeError: boom"));
        assert_eq!(queue_and_jid(&job.to_json()).1, job.jid());
        assert_eq!(queue_and_jid("nope"), (String::new(), String::new()));
    }
}
