//! The client side of the engine (Sidekiq's `Client` and `perform_*`):
//! builds payloads with the class's options, sets `created_at`/`enqueued_at`,
//! turns `perform_in`/`perform_at` into scheduled jobs, and pushes in bulk.

use std::sync::Arc;

use serde_json::Value;

use super::clock::Clock;
use super::job::{float_value, new_jid, Job, Retry};
use super::queue::QueueName;
use super::registry::Registry;
use super::store::{EncodedJob, Queueing, Result};

/// `push_bulk` sends this many jobs per store call, as Sidekiq does.
pub const BULK_BATCH: usize = 1000;
/// Store calls of one `push_bulk` in flight at once.
const BULK_PIPELINE: usize = 4;

/// Per-push overrides of the class's options.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PushOptions {
    pub queue: Option<QueueName>,
    pub retry: Option<Retry>,
    /// Run at this epoch time (or, below 1e9, this many seconds from now).
    pub at: Option<f64>,
}

#[derive(Debug, Clone)]
pub struct Client {
    store: Arc<dyn Queueing>,
    registry: Arc<Registry>,
    clock: Arc<dyn Clock>,
}

impl Client {
    /// A client pushing to `store` (a `SharedStore` coerces to it).
    pub fn new(store: Arc<dyn Queueing>, registry: Arc<Registry>, clock: Arc<dyn Clock>) -> Client {
        Client {
            store,
            registry,
            clock,
        }
    }

    /// Where this client pushes.
    pub fn store(&self) -> &Arc<dyn Queueing> {
        &self.store
    }

    pub async fn perform_async(&self, class: &str, args: Vec<Value>) -> Result<String> {
        self.push(class, args, &PushOptions::default()).await
    }

    /// Runs `secs` seconds from now (Sidekiq's rule: values of 1e9 and more
    /// are taken as an epoch time).
    pub async fn perform_in(&self, class: &str, secs: f64, args: Vec<Value>) -> Result<String> {
        let opts = PushOptions {
            at: Some(secs),
            ..PushOptions::default()
        };
        self.push(class, args, &opts).await
    }

    /// Runs at epoch time `at`; a time in the past means now.
    pub async fn perform_at(&self, class: &str, at: f64, args: Vec<Value>) -> Result<String> {
        self.perform_in(class, at, args).await
    }

    pub async fn push(&self, class: &str, args: Vec<Value>, opts: &PushOptions) -> Result<String> {
        let job = self.build(class, args, opts, self.clock.now());
        let jid = job.jid().to_owned();
        self.store.push(std::slice::from_ref(&job)).await?;
        Ok(jid)
    }

    /// Pushes an existing payload (e.g. from a dashboard "retry"), refreshing
    /// its times as `Client.push` does.
    pub async fn push_job(&self, job: Job) -> Result<String> {
        let jid = job.jid().to_owned();
        repush(self.store.as_ref(), vec![job], self.clock.now()).await?;
        Ok(jid)
    }

    /// `push_job` for many payloads in one store call (the dashboard's
    /// "retry all" and "add all to queue").
    pub async fn push_jobs(&self, jobs: Vec<Job>) -> Result<usize> {
        repush(self.store.as_ref(), jobs, self.clock.now()).await
    }

    /// Pushes one job per argument list, in batches of 1,000 with several
    /// batches in flight. Returns the jids in order. The payloads are written
    /// straight to JSON, in the field order of Sidekiq's own `push_bulk`.
    pub async fn push_bulk(
        &self,
        class: &str,
        args_list: Vec<Vec<Value>>,
        opts: &PushOptions,
    ) -> Result<Vec<String>> {
        use futures::stream::{self, TryStreamExt};
        let now = self.clock.now();
        let defaults = self.registry.options(class);
        let queue = opts.queue.clone().unwrap_or(defaults.queue);
        let retry = opts.retry.unwrap_or(defaults.retry);
        let at = scheduled_at(opts.at, now);
        let encoder = BulkEncoder::new(class, &queue, retry, now, at);
        let jobs: Vec<EncodedJob> = args_list
            .iter()
            .map(|args| encoder.encode(args, &queue))
            .collect();
        let jids = jobs.iter().map(|j| j.jid.clone()).collect();
        stream::iter(jobs.chunks(BULK_BATCH).map(Ok))
            .try_for_each_concurrent(BULK_PIPELINE, |chunk| self.store.push_encoded(chunk))
            .await?;
        Ok(jids)
    }

    fn build(&self, class: &str, args: Vec<Value>, opts: &PushOptions, now: f64) -> Job {
        let defaults = self.registry.options(class);
        let queue = opts.queue.clone().unwrap_or(defaults.queue);
        let retry = opts.retry.unwrap_or(defaults.retry);
        let mut job = Job::new(class, args, queue, retry);
        job.set_time("created_at", now);
        match scheduled_at(opts.at, now) {
            Some(at) => job.set_time("at", at),
            None => job.set_time("enqueued_at", now),
        }
        job
    }
}

/// Pushes existing payloads in one store call, as `Client.push` does with
/// a payload it is given again (see `refresh_times`). Returns how many.
pub async fn repush(store: &dyn Queueing, mut jobs: Vec<Job>, now: f64) -> Result<usize> {
    for job in &mut jobs {
        refresh_times(job, now);
    }
    store.push(&jobs).await?;
    Ok(jobs.len())
}

/// What `Client.push` does to a payload it is given again: `created_at` if
/// missing, and `enqueued_at` now unless it is still scheduled for later.
fn refresh_times(job: &mut Job, now: f64) {
    if job.created_at().is_none() {
        job.set_time("created_at", now);
    }
    match job.at() {
        Some(at) if at > now => {}
        _ => {
            job.remove("at");
            job.set_time("enqueued_at", now);
        }
    }
}

/// Sidekiq's rule for `perform_in`/`perform_at`: values below 1e9 are
/// seconds from now, others epoch times; a time not in the future means now.
fn scheduled_at(at: Option<f64>, now: f64) -> Option<f64> {
    at.map(|t| if t < 1_000_000_000.0 { now + t } else { t })
        .filter(|t| *t > now)
}

/// Writes many payloads of one class: everything but the arguments and the
/// jid is serialised once.
struct BulkEncoder {
    /// `{"retry":…,"queue":"…","class":"…","args":`
    head: String,
    /// `,"created_at":T[,"enqueued_at":T]}`
    tail: String,
    at: Option<f64>,
}

impl BulkEncoder {
    fn new(class: &str, queue: &QueueName, retry: Retry, now: f64, at: Option<f64>) -> BulkEncoder {
        let json = |v: &Value| v.to_string();
        let head = format!(
            r#"{{"retry":{},"queue":{},"class":{},"args":"#,
            json(&retry.to_value()),
            json(&Value::from(queue.as_str())),
            json(&Value::from(class)),
        );
        let time = json(&float_value(now));
        let tail = match at {
            Some(_) => format!(r#","created_at":{time}}}"#),
            None => format!(r#","created_at":{time},"enqueued_at":{time}}}"#),
        };
        BulkEncoder { head, tail, at }
    }

    fn encode(&self, args: &[Value], queue: &QueueName) -> EncodedJob {
        let jid = new_jid();
        let mut payload = String::with_capacity(self.head.len() + self.tail.len() + 64);
        payload.push_str(&self.head);
        // Serialising JSON values into a String cannot fail.
        let _ = serde_json::to_writer(StringWriter(&mut payload), args);
        payload.push_str(r#","jid":""#);
        payload.push_str(&jid);
        payload.push('"');
        payload.push_str(&self.tail);
        EncodedJob {
            queue: queue.clone(),
            jid,
            payload,
            at: self.at,
        }
    }
}

/// Lets serde_json write straight into a `String` (it only writes UTF-8).
struct StringWriter<'a>(&'a mut String);

impl std::io::Write for StringWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let s = std::str::from_utf8(buf).map_err(std::io::Error::other)?;
        self.0.push_str(s);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bulk_payloads_are_sidekiq_payloads() {
        let q = QueueName::parse("mail:high").unwrap();
        let enc = BulkEncoder::new("Deliver\"Now", &q, Retry::Count(3), 1795618640.5, None);
        let args = vec![
            Value::from(1),
            Value::from("é \"quoted\" \u{1}"),
            serde_json::json!({"a": [1.5]}),
        ];
        let e = enc.encode(&args, &q);
        let job = Job::parse(&e.payload).expect("a valid payload");
        assert_eq!(job.class(), "Deliver\"Now");
        assert_eq!(job.args(), &args[..]);
        assert_eq!(job.jid(), e.jid);
        assert_eq!(job.retry(), Retry::Count(3));
        assert_eq!(job.queue().as_str(), "mail:high");
        assert_eq!(job.created_at(), Some(1795618640.5));
        assert_eq!(job.enqueued_at(), Some(1795618640.5));
        assert!(e
            .payload
            .starts_with(r#"{"retry":3,"queue":"mail:high","class":"Deliver\"Now","args":[1,"#));
        // Round-trips byte for byte through the ordered map.
        assert_eq!(job.to_json(), e.payload);
        let later = BulkEncoder::new("A", &q, Retry::Default, 1700000000.0, Some(1700000100.0));
        let e = later.encode(&[], &q);
        assert_eq!(e.at, Some(1700000100.0));
        assert!(
            e.payload.ends_with(r#""created_at":1700000000.0}"#),
            "{}",
            e.payload
        );
        assert!(!e.payload.contains("enqueued_at"));
    }

    #[test]
    fn perform_in_rule() {
        assert_eq!(scheduled_at(Some(60.0), 1e9), Some(1e9 + 60.0));
        assert_eq!(scheduled_at(Some(2e9), 1.5e9), Some(2e9));
        assert_eq!(scheduled_at(Some(1.2e9), 1.5e9), None);
        assert_eq!(scheduled_at(Some(-5.0), 1.5e9), None);
        assert_eq!(scheduled_at(None, 1.5e9), None);
    }
}
