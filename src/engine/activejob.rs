//! Rails' ActiveJob on Sidekiq's wire: a job enqueued with `perform_later`
//! is a Sidekiq job of a wrapper class (Rails' adapter's
//! `ActiveJob::QueueAdapters::SidekiqAdapter::JobWrapper`, or Sidekiq 8's
//! `Sidekiq::ActiveJob::Wrapper`) whose one argument is ActiveJob's
//! envelope (`job_class`, `job_id`, `arguments`, …) and whose `wrapped`
//! field names the real class.
//!
//! - [`display`]: what Sidekiq::Web shows for such a job (`display_class`,
//!   `display_args`): the wrapped class, mailers as `Mailer#method`, the
//!   job's own arguments with ActiveJob's `_aj_*` markers decoded.
//! - [`unwrap`]: the job a kiqlab handler runs: the wrapped class with the
//!   envelope's arguments deserialized as `ActiveJob::Arguments` does, or a
//!   clear error for what only Rails can load (GlobalID records, custom
//!   serializers).
//! - [`envelope`]: the payload Rails' adapter writes (`kiqlab enqueue
//!   --activejob`).

use serde_json::{json, Map, Value};

use super::job::{new_jid, Job, Retry};
use super::queue::QueueName;
use super::registry::JobError;

/// Rails' own adapter's wrapper class.
pub const RAILS_WRAPPER: &str = "ActiveJob::QueueAdapters::SidekiqAdapter::JobWrapper";
/// Sidekiq 8's adapter's wrapper class.
pub const SIDEKIQ_WRAPPER: &str = "Sidekiq::ActiveJob::Wrapper";

const MAILER_JOBS: [&str; 2] = ["ActionMailer::DeliveryJob", "ActionMailer::MailDeliveryJob"];
const GLOBALID_KEY: &str = "_aj_globalid";
const SERIALIZER_KEY: &str = "_aj_serialized";
const MARKER_PREFIX: &str = "_aj_";

/// True for both wrapper classes.
pub fn is_wrapper(class: &str) -> bool {
    class == RAILS_WRAPPER || class == SIDEKIQ_WRAPPER
}

fn envelope_of(job: &Job) -> Option<&Map<String, Value>> {
    job.args().first().and_then(Value::as_object)
}

/// The wrapped class: `wrapped`, else the envelope's `job_class`.
fn wrapped_class(job: &Job) -> Option<&str> {
    job.get("wrapped")
        .and_then(Value::as_str)
        .or_else(|| envelope_of(job)?.get("job_class")?.as_str())
}

fn envelope_arguments(job: &Job) -> &[Value] {
    envelope_of(job)
        .and_then(|e| e.get("arguments"))
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// `(class, args)` as Sidekiq::Web shows an ActiveJob job; `None` for
/// other jobs. A `display_class` field wins, as in Sidekiq.
pub fn display(job: &Job) -> Option<(String, Vec<Value>)> {
    if !is_wrapper(job.class()) {
        return None;
    }
    let inner = wrapped_class(job).unwrap_or(job.class());
    let args: Vec<Value> = envelope_arguments(job).iter().map(shown).collect();
    let (class, args) = if MAILER_JOBS.contains(&inner) {
        // [Mailer, method, "deliver_now", rest…]
        let name = args
            .iter()
            .take(2)
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join("#");
        let rest: Vec<Value> = args.into_iter().skip(3).collect();
        let rest = if inner == "ActionMailer::MailDeliveryJob" {
            // {"params": …, "args": […]} ⇒ [params, args]
            let h = rest.first().and_then(Value::as_object);
            let field = |k: &str| h.and_then(|h| h.get(k)).cloned().unwrap_or(Value::Null);
            vec![field("params"), field("args")]
        } else {
            rest
        };
        (name, rest)
    } else {
        (inner.to_owned(), args)
    };
    let class = job
        .get("display_class")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .unwrap_or(class);
    Some((class, args))
}

/// Sidekiq::Web's `deserialize_argument`: a GlobalID shows as its URI,
/// `_aj_*` keys are dropped.
fn shown(v: &Value) -> Value {
    match v {
        Value::Array(a) => Value::Array(a.iter().map(shown).collect()),
        Value::Object(h) => {
            if h.len() == 1 {
                if let Some(gid) = h.get(GLOBALID_KEY) {
                    return gid.clone();
                }
            }
            Value::Object(
                h.iter()
                    .filter(|(k, _)| !k.starts_with(MARKER_PREFIX))
                    .map(|(k, v)| (k.clone(), shown(v)))
                    .collect(),
            )
        }
        other => other.clone(),
    }
}

/// For a wrapped job, the job as its class's handler sees it: `class` the
/// wrapped class, `args` the envelope's arguments deserialized (or why they
/// cannot be). `None` for other jobs.
pub fn unwrap(job: &Job) -> Option<Result<Job, JobError>> {
    if !is_wrapper(job.class()) {
        return None;
    }
    let Some(inner) = wrapped_class(job) else {
        return Some(Err(JobError::argument(format!(
            "{} job without a wrapped class (no `wrapped` field, no job_class in its envelope)",
            job.class()
        ))));
    };
    let inner = inner.to_owned();
    let args = match envelope_arguments(job)
        .iter()
        .map(deserialize)
        .collect::<Result<Vec<_>, _>>()
    {
        Ok(a) => a,
        Err(e) => return Some(Err(e)),
    };
    let mut run = job.clone();
    run.set("class", Value::from(inner));
    run.set("args", Value::Array(args));
    Some(Ok(run))
}

fn deserialization_error(msg: String) -> JobError {
    JobError::new("ActiveJob::DeserializationError", msg)
}

/// `ActiveJob::Arguments.deserialize` for what a kiqlab handler can take:
/// plain JSON; hashes with their `_aj_symbol_keys`, `_aj_ruby2_keywords`
/// and `_aj_hash_with_indifferent_access` markers dropped; the built-in
/// serializers that carry a `value` (Symbol, Time, Date, DateTime,
/// Duration, BigDecimal, Module) as that value. A GlobalID (an Active Record
/// object) or a serializer without a `value` is an error naming it.
pub fn deserialize(v: &Value) -> Result<Value, JobError> {
    match v {
        Value::Array(a) => a
            .iter()
            .map(deserialize)
            .collect::<Result<_, _>>()
            .map(Value::Array),
        Value::Object(h) => {
            if let Some(gid) = h.get(GLOBALID_KEY) {
                return Err(deserialization_error(format!(
                    "argument {gid} is a GlobalID (a Rails record): kiqlab cannot load it; pass the record's id instead"
                )));
            }
            if let Some(ser) = h.get(SERIALIZER_KEY) {
                return match h.get("value") {
                    Some(value) => deserialize(value),
                    None => Err(deserialization_error(format!(
                        "argument serialized by {ser} has no plain value kiqlab can pass on"
                    ))),
                };
            }
            h.iter()
                .filter(|(k, _)| !k.starts_with(MARKER_PREFIX))
                .map(|(k, v)| Ok((k.clone(), deserialize(v)?)))
                .collect::<Result<Map<_, _>, _>>()
                .map(Value::Object)
        }
        other => Ok(other.clone()),
    }
}

/// The job Rails' adapter writes for `Class.perform_later(*args)` on
/// `queue`: Rails' JobWrapper with `wrapped` and ActiveJob 7.2's envelope
/// (its `enqueued_at` in ISO 8601, as Rails writes it). Times, jid and
/// `created_at` are the client's to set. Arguments that ActiveJob would
/// reject (hashes with non-string keys cannot occur in JSON) pass as they are.
pub fn envelope(class: &str, args: Vec<Value>, queue: QueueName, now: f64) -> Job {
    let enqueued = chrono::DateTime::from_timestamp_micros((now * 1e6) as i64)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%S%.9fZ")
        .to_string();
    let env = json!({
        "job_class": class,
        "job_id": job_id(),
        "provider_job_id": null,
        "queue_name": queue.as_str(),
        "priority": null,
        "arguments": args,
        "executions": 0,
        "exception_executions": {},
        "locale": "en",
        "timezone": "UTC",
        "enqueued_at": enqueued,
        "scheduled_at": null,
    });
    let mut job = Job::new(RAILS_WRAPPER, vec![env], queue, Retry::Default);
    job.set("wrapped", Value::from(class));
    job
}

/// A UUID v4, as ActiveJob's `job_id` (`SecureRandom.uuid`).
fn job_id() -> String {
    let hex = format!("{}{}", new_jid(), new_jid());
    let mut b: Vec<char> = hex.chars().take(32).collect();
    b[12] = '4';
    b[16] = ['8', '9', 'a', 'b'][b[16].to_digit(16).unwrap_or(0) as usize % 4];
    let s: String = b.into_iter().collect();
    format!(
        "{}-{}-{}-{}-{}",
        &s[0..8],
        &s[8..12],
        &s[12..16],
        &s[16..20],
        &s[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `DemoWorker.perform_later(0, "aj now")` writes through Rails'
    /// adapter (ActiveJob 7.2, Sidekiq 8.1), trimmed.
    const RAILS: &str = r#"{"retry":true,"queue":"default","wrapped":"DemoWorker","args":[{"job_class":"DemoWorker","job_id":"7d1c0c9e-3f63-4a3b-9f5c-4a8c2f1b9e2d","provider_job_id":null,"queue_name":"default","priority":null,"arguments":[0,"aj now"],"executions":0,"exception_executions":{},"locale":"en","timezone":"UTC","enqueued_at":"2026-12-02T18:00:00.000000000Z","scheduled_at":null}],"class":"ActiveJob::QueueAdapters::SidekiqAdapter::JobWrapper","jid":"0123456789abcdef01234567","created_at":1796234400000,"enqueued_at":1796234400001}"#;

    #[test]
    fn wrapped_jobs_show_and_run_as_their_class() {
        let job = Job::parse(RAILS).unwrap();
        assert_eq!(
            display(&job),
            Some(("DemoWorker".to_owned(), vec![json!(0), json!("aj now")]))
        );
        let run = unwrap(&job).unwrap().unwrap();
        assert_eq!(run.class(), "DemoWorker");
        assert_eq!(run.args(), &[json!(0), json!("aj now")]);
        assert_eq!(run.jid(), job.jid());
        let plain = Job::parse(r#"{"class":"DemoWorker","args":[1]}"#).unwrap();
        assert!(display(&plain).is_none() && unwrap(&plain).is_none());
        // Sidekiq 8's wrapper, no `wrapped`: the envelope's job_class.
        let sk = RAILS
            .replace(RAILS_WRAPPER, SIDEKIQ_WRAPPER)
            .replace(r#""wrapped":"DemoWorker","#, "");
        let run = unwrap(&Job::parse(&sk).unwrap()).unwrap().unwrap();
        assert_eq!(run.class(), "DemoWorker");
    }

    #[test]
    fn markers_are_decoded_and_records_refused() {
        let kw = json!({"name": "x", "_aj_symbol_keys": ["name"], "when": {"_aj_serialized": "ActiveJob::Serializers::TimeSerializer", "value": "2026-12-02T18:00:00Z"}});
        assert_eq!(shown(&kw)["name"], "x");
        assert_eq!(
            deserialize(&kw).unwrap(),
            json!({"name": "x", "when": "2026-12-02T18:00:00Z"})
        );
        let gid = json!({"_aj_globalid": "gid://blog/Post/7"});
        assert_eq!(shown(&gid), json!("gid://blog/Post/7"));
        let err = deserialize(&json!([1, gid])).unwrap_err();
        assert_eq!(err.class, "ActiveJob::DeserializationError");
        assert!(err.message.contains("gid://blog/Post/7"), "{err}");
        let range = json!({"_aj_serialized": "ActiveJob::Serializers::RangeSerializer", "begin": 1, "end": 3});
        assert!(deserialize(&range).is_err());
    }

    #[test]
    fn mailers_show_as_mailer_and_method() {
        let args = json!([{"job_class": "ActionMailer::MailDeliveryJob", "arguments": [
            "UserMailer", "welcome", "deliver_now",
            {"params": {"user": "ann"}, "args": [7], "_aj_ruby2_keywords": ["params", "args"]}]}]);
        let raw = json!({"class": RAILS_WRAPPER, "wrapped": "ActionMailer::MailDeliveryJob",
            "args": args, "jid": "0123456789abcdef01234567", "queue": "mailers"});
        let job = Job::parse(&raw.to_string()).unwrap();
        let (class, shown_args) = display(&job).unwrap();
        assert_eq!(class, "UserMailer#welcome");
        assert_eq!(shown_args, vec![json!({"user": "ann"}), json!([7])]);
    }

    #[test]
    fn envelopes_are_rails_7_2s() {
        let job = envelope(
            "DemoWorker",
            vec![json!(0), json!("hi")],
            QueueName::default_queue(),
            1796234400.5,
        );
        assert_eq!(job.class(), RAILS_WRAPPER);
        assert_eq!(job.get("wrapped"), Some(&json!("DemoWorker")));
        let env = &job.args()[0];
        assert_eq!(env["job_class"], "DemoWorker");
        assert_eq!(env["arguments"], json!([0, "hi"]));
        assert_eq!(env["enqueued_at"], "2026-12-02T18:00:00.500000000Z");
        let id = env["job_id"].as_str().unwrap();
        assert_eq!((id.len(), &id[14..15]), (36, "4"));
        let run = unwrap(&job).unwrap().unwrap();
        assert_eq!(run.args(), &[json!(0), json!("hi")]);
    }
}
