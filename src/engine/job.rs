//! The job payload: Sidekiq's JSON hash, kept as an ordered map so that every
//! field (known or not) survives a round trip in its original position, with
//! typed accessors for the fields the engine reads and writes.
//!
//! Sidekiq 6.x/7.x write times as float epoch seconds; 8.x writes integer
//! epoch milliseconds. Readers accept both (a JSON integer is milliseconds, a
//! JSON float is seconds), writers always produce float seconds.

use std::fmt;

use rand::RngCore;
use serde_json::{Map, Value};

use super::queue::QueueName;

/// Why a payload could not be used as a job.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum PayloadError {
    #[error("payload is not valid UTF-8")]
    InvalidUtf8,
    #[error("payload is not valid JSON: {0}")]
    InvalidJson(String),
    #[error("payload is not a JSON object")]
    NotAnObject,
    #[error("payload has no \"class\" string")]
    MissingClass,
    #[error("payload has no \"args\"")]
    MissingArgs,
    #[error("\"args\" must be a JSON array, got {0}")]
    ArgsNotArray(&'static str),
    #[error("\"jid\" must be a string")]
    BadJid,
    #[error("invalid \"queue\": {0}")]
    BadQueue(String),
    #[error("\"retry\" must be true, false or a non-negative integer")]
    BadRetry,
    #[error("payload is {size} bytes, over the {limit}-byte limit")]
    TooLarge { size: usize, limit: usize },
}

/// The `retry` option: `true` (the default maximum), an explicit count, or off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    Default,
    Count(u32),
    Off,
}

impl Retry {
    pub fn to_value(self) -> Value {
        match self {
            Retry::Default => Value::Bool(true),
            Retry::Count(n) => Value::from(n),
            Retry::Off => Value::Bool(false),
        }
    }

    fn from_value(v: Option<&Value>) -> Result<Retry, PayloadError> {
        match v {
            None | Some(Value::Null) | Some(Value::Bool(true)) => Ok(Retry::Default),
            Some(Value::Bool(false)) => Ok(Retry::Off),
            Some(Value::Number(n)) => n
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .map(Retry::Count)
                .ok_or(PayloadError::BadRetry),
            // Ruby treats any other value as truthy.
            Some(_) => Ok(Retry::Default),
        }
    }

    /// Parses the CLI/console form: `true`, `false` or a count.
    pub fn parse(s: &str) -> Result<Retry, String> {
        match s {
            "true" => Ok(Retry::Default),
            "false" => Ok(Retry::Off),
            n => n
                .parse::<u32>()
                .map(Retry::Count)
                .map_err(|_| format!("retry must be true, false or a count, not {n:?}")),
        }
    }
}

/// A 24-character lowercase hex job id, as `SecureRandom.hex(12)` makes.
pub fn new_jid() -> String {
    let mut bytes = [0u8; 12];
    rand::rng().fill_bytes(&mut bytes);
    hex(&bytes)
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 0xf) as usize] as char);
    }
    s
}

/// Integer times below this are epoch seconds, others epoch milliseconds
/// (1e11 s is the year 5138; 1e11 ms is March 1973).
pub const MILLIS_FROM: i64 = 100_000_000_000;

/// Converts a Sidekiq time value to float epoch seconds. The rule: a float
/// is seconds (Sidekiq before 8); an integer is milliseconds (Sidekiq 8)
/// when it is 1e11 or more, else seconds (Sidekiq before 8 reads integers
/// as seconds, and some non-Ruby clients write them); a string is parsed as
/// float seconds.
pub fn time_value_secs(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) if n.is_f64() => n.as_f64(),
        Value::Number(n) => n.as_i64().map(|t| {
            if t >= MILLIS_FROM {
                t as f64 / 1000.0
            } else {
                t as f64
            }
        }),
        Value::String(s) => s.parse::<f64>().ok(),
        _ => None,
    }
}

/// True when `v` is a Sidekiq 8 time: integer epoch milliseconds.
pub fn is_millis(v: &Value) -> bool {
    v.as_i64().is_some_and(|t| t >= MILLIS_FROM)
}

/// `secs` in the unit of `like`: integer milliseconds when `like` is
/// (Sidekiq 8), else a float of seconds.
pub fn time_like(like: Option<&Value>, secs: f64) -> Value {
    if like.is_some_and(is_millis) {
        Value::from((secs * 1000.0).round() as i64)
    } else {
        float_value(secs)
    }
}

/// A validated job payload.
#[derive(Clone, PartialEq)]
pub struct Job {
    map: Map<String, Value>,
    class: String,
    jid: String,
    queue: QueueName,
}

impl fmt::Debug for Job {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Job")
            .field("class", &self.class)
            .field("jid", &self.jid)
            .field("queue", &self.queue.as_str())
            .finish_non_exhaustive()
    }
}

impl Job {
    /// A new job with Sidekiq's defaults, fields in the order Sidekiq 6.4's
    /// `perform_async` writes them: retry, queue, args, class, jid.
    pub fn new(class: impl Into<String>, args: Vec<Value>, queue: QueueName, retry: Retry) -> Job {
        let class = class.into();
        let jid = new_jid();
        let mut map = Map::new();
        map.insert("retry".into(), retry.to_value());
        map.insert("queue".into(), Value::String(queue.as_str().to_owned()));
        map.insert("args".into(), Value::Array(args));
        map.insert("class".into(), Value::String(class.clone()));
        map.insert("jid".into(), Value::String(jid.clone()));
        Job {
            map,
            class,
            jid,
            queue,
        }
    }

    /// Parses raw bytes as read from a queue, enforcing a size limit.
    pub fn from_bytes(raw: &[u8], limit: usize) -> Result<Job, PayloadError> {
        if raw.len() > limit {
            return Err(PayloadError::TooLarge {
                size: raw.len(),
                limit,
            });
        }
        let s = std::str::from_utf8(raw).map_err(|_| PayloadError::InvalidUtf8)?;
        Job::parse(s)
    }

    /// Parses and validates a JSON payload.
    pub fn parse(s: &str) -> Result<Job, PayloadError> {
        let value: Value =
            serde_json::from_str(s).map_err(|e| PayloadError::InvalidJson(e.to_string()))?;
        match value {
            Value::Object(map) => Job::from_map(map),
            _ => Err(PayloadError::NotAnObject),
        }
    }

    /// Validates a map the way Sidekiq's `normalize_item` does. A missing jid
    /// or queue is filled in rather than rejected, as Sidekiq's client does.
    pub fn from_map(mut map: Map<String, Value>) -> Result<Job, PayloadError> {
        let class = match map.get("class") {
            Some(Value::String(c)) if !c.is_empty() => c.clone(),
            _ => return Err(PayloadError::MissingClass),
        };
        match map.get("args") {
            Some(Value::Array(_)) => {}
            None => return Err(PayloadError::MissingArgs),
            Some(other) => return Err(PayloadError::ArgsNotArray(json_type(other))),
        }
        Retry::from_value(map.get("retry"))?;
        let jid = match map.get("jid") {
            Some(Value::String(j)) => j.clone(),
            None => {
                let j = new_jid();
                map.insert("jid".into(), Value::String(j.clone()));
                j
            }
            Some(_) => return Err(PayloadError::BadJid),
        };
        let queue = match map.get("queue") {
            Some(Value::String(q)) => {
                QueueName::parse(q).map_err(|e| PayloadError::BadQueue(e.to_string()))?
            }
            None => {
                map.insert("queue".into(), Value::String("default".into()));
                QueueName::default_queue()
            }
            Some(other) => return Err(PayloadError::BadQueue(json_type(other).into())),
        };
        Ok(Job {
            map,
            class,
            jid,
            queue,
        })
    }

    pub fn class(&self) -> &str {
        &self.class
    }

    pub fn jid(&self) -> &str {
        &self.jid
    }

    pub fn queue(&self) -> &QueueName {
        &self.queue
    }

    pub fn args(&self) -> &[Value] {
        match self.map.get("args") {
            Some(Value::Array(a)) => a,
            _ => &[],
        }
    }

    pub fn retry(&self) -> Retry {
        Retry::from_value(self.map.get("retry")).unwrap_or(Retry::Default)
    }

    /// The name to show for the job: ActiveJob's `wrapped` class or `display_class` when present.
    pub fn display_class(&self) -> &str {
        ["display_class", "wrapped"]
            .iter()
            .find_map(|k| self.map.get(*k).and_then(Value::as_str))
            .unwrap_or(&self.class)
    }

    pub fn time(&self, field: &str) -> Option<f64> {
        self.map.get(field).and_then(time_value_secs)
    }

    pub fn created_at(&self) -> Option<f64> {
        self.time("created_at")
    }

    pub fn enqueued_at(&self) -> Option<f64> {
        self.time("enqueued_at")
    }

    pub fn at(&self) -> Option<f64> {
        self.time("at")
    }

    pub fn retry_count(&self) -> Option<u32> {
        self.map
            .get("retry_count")
            .and_then(Value::as_u64)
            .and_then(|n| u32::try_from(n).ok())
    }

    pub fn error_class(&self) -> Option<&str> {
        self.map.get("error_class").and_then(Value::as_str)
    }

    pub fn error_message(&self) -> Option<&str> {
        self.map.get("error_message").and_then(Value::as_str)
    }

    pub fn get(&self, field: &str) -> Option<&Value> {
        self.map.get(field)
    }

    pub fn map(&self) -> &Map<String, Value> {
        &self.map
    }

    /// Sets a field; a new field goes last, an existing one keeps its place
    /// (Ruby Hash semantics, so the JSON matches Sidekiq's byte for byte).
    pub fn set(&mut self, field: &str, value: Value) {
        match field {
            "class" => {
                if let Value::String(s) = &value {
                    self.class = s.clone();
                }
            }
            "jid" => {
                if let Value::String(s) = &value {
                    self.jid = s.clone();
                }
            }
            _ => {}
        }
        self.map.insert(field.to_owned(), value);
    }

    /// Sets a time field in the payload's own unit: integer milliseconds
    /// when its `created_at` (else `enqueued_at`) is (Sidekiq 8), else float
    /// seconds. `at` is always float seconds (a sorted-set score, in 8.x too).
    pub fn set_time(&mut self, field: &str, secs: f64) {
        let value = if field == "at" {
            float_value(secs)
        } else {
            time_like(self.time_unit_reference(), secs)
        };
        self.set(field, value);
    }

    /// The field whose unit a new time follows.
    fn time_unit_reference(&self) -> Option<&Value> {
        self.map
            .get("created_at")
            .or_else(|| self.map.get("enqueued_at"))
    }

    pub fn remove(&mut self, field: &str) -> Option<Value> {
        // shift_remove keeps the order of the remaining fields.
        self.map.shift_remove(field)
    }

    /// Changes the queue, keeping the `queue` field in place.
    pub fn set_queue(&mut self, queue: QueueName) {
        self.map
            .insert("queue".into(), Value::String(queue.as_str().to_owned()));
        self.queue = queue;
    }

    pub fn to_json(&self) -> String {
        // Serialising a map of JSON values cannot fail.
        serde_json::to_string(&self.map).unwrap_or_default()
    }
}

/// A float JSON number; integral values are kept as floats (`1.0`) so that
/// readers do not mistake them for Sidekiq 8 milliseconds.
pub fn float_value(secs: f64) -> Value {
    serde_json::Number::from_f64(secs)
        .map(Value::Number)
        .unwrap_or(Value::Null)
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REAL_64: &str = r#"{"retry":true,"queue":"default","args":[1,"foo"],"class":"OkJob","jid":"d3c4a75f1edf14aa355683ed","created_at":1795617752.0111961,"enqueued_at":1795617752.0114791}"#;

    #[test]
    fn real_sidekiq_payload_round_trips_byte_for_byte() {
        let job = Job::parse(REAL_64).unwrap();
        assert_eq!(job.class(), "OkJob");
        assert_eq!(job.jid(), "d3c4a75f1edf14aa355683ed");
        assert_eq!(job.queue().as_str(), "default");
        assert_eq!(job.retry(), Retry::Default);
        assert_eq!(job.created_at(), Some(1795617752.0111961));
        assert_eq!(job.to_json(), REAL_64);
    }

    #[test]
    fn numbers_of_any_size_keep_their_text() {
        // 2**64+1, -(2**127)-1, a huge float, Ruby's float syntax, a decimal
        // no f64 holds, a nested one in an extra field: all byte for byte.
        let raw = r#"{"class":"A","args":[18446744073709551617,-170141183460469231731687303715884105729,1.5e+300,0.1,1.0e+20,3.14159265358979323846264338327950288],"jid":"x","queue":"default","bid":{"n":123456789012345678901234567890}}"#;
        let mut job = Job::parse(raw).unwrap();
        job.set("retry_count", Value::from(0));
        job.set_time("failed_at", 1700000000.5);
        let out = job.to_json();
        assert!(out.starts_with(&raw[..raw.len() - 1]), "{out}");
        assert_eq!(Job::parse(&out).unwrap().to_json(), out);
        assert_eq!(job.args()[0].to_string(), "18446744073709551617");
        assert_eq!(job.args()[4].as_f64(), Some(1e20));
        // The one rewrite: an exponent gets its sign, as Ruby writes it
        // (`1.5e300.to_s` is "1.5e+300"); every digit stays.
        let raw = r#"{"class":"A","args":[1.5e300,2E-5,-0.0],"jid":"x","queue":"default"}"#;
        assert_eq!(
            Job::parse(raw).unwrap().to_json(),
            r#"{"class":"A","args":[1.5e+300,2e-5,-0.0],"jid":"x","queue":"default"}"#
        );
    }

    #[test]
    fn unknown_fields_keep_their_place() {
        let raw = r#"{"retry":2,"queue":"default","backtrace":3,"tags":["alpha"],"args":[7],"class":"FailJob","jid":"a4edbc916f79eacd9a55925e","created_at":1795617752.0126622}"#;
        let mut job = Job::parse(raw).unwrap();
        assert_eq!(job.retry(), Retry::Count(2));
        job.set("error_message", Value::from("boom 7"));
        job.set("retry", Value::from(2));
        let out = job.to_json();
        assert!(out.starts_with(
            r#"{"retry":2,"queue":"default","backtrace":3,"tags":["alpha"],"args":[7]"#
        ));
        assert!(out.ends_with(r#""created_at":1795617752.0126622,"error_message":"boom 7"}"#));
    }

    #[test]
    fn sidekiq_8_millisecond_times_are_read_as_seconds() {
        let raw = r#"{"class":"A","args":[],"jid":"x","created_at":1700000000123,"enqueued_at":1700000000124.0}"#;
        let job = Job::parse(raw).unwrap();
        assert_eq!(job.created_at(), Some(1700000000.123));
        assert_eq!(job.enqueued_at(), Some(1700000000124.0));
    }

    #[test]
    fn integer_times_below_1e11_are_seconds() {
        let raw = r#"{"class":"A","args":[],"jid":"x","created_at":1700000000,"enqueued_at":99999999999}"#;
        let job = Job::parse(raw).unwrap();
        assert_eq!(job.created_at(), Some(1700000000.0));
        assert_eq!(job.enqueued_at(), Some(99999999999.0));
        assert_eq!(time_value_secs(&Value::from(MILLIS_FROM)), Some(1e8));
    }

    #[test]
    fn times_set_keep_the_payload_unit() {
        // Sidekiq 8: integer milliseconds stay integer milliseconds…
        let raw = r#"{"class":"A","args":[],"jid":"x","created_at":1700000000123}"#;
        let mut job = Job::parse(raw).unwrap();
        job.set_time("failed_at", 1700000001.5);
        job.set_time("enqueued_at", 1700000002.25);
        job.set_time("at", 1700000003.5);
        let out = job.to_json();
        assert!(out.contains(r#""failed_at":1700000001500"#), "{out}");
        assert!(out.contains(r#""enqueued_at":1700000002250"#), "{out}");
        assert!(
            out.contains(r#""at":1700000003.5"#),
            "at stays a float: {out}"
        );
        // …and floats (before 8) stay float seconds, integral ones too.
        let raw = r#"{"class":"A","args":[],"jid":"x","created_at":1700000000.5}"#;
        let mut job = Job::parse(raw).unwrap();
        job.set_time("retried_at", 1700000001.0);
        assert!(job.to_json().contains(r#""retried_at":1700000001.0"#));
        // No time yet (a payload kiqlab builds): float seconds.
        let mut job = Job::new("A", vec![], QueueName::default_queue(), Retry::Off);
        job.set_time("created_at", 1700000000.0);
        job.set_time("enqueued_at", 1700000000.0);
        assert!(job.to_json().contains(r#""enqueued_at":1700000000.0"#));
    }

    #[test]
    fn new_job_writes_sidekiq_field_order() {
        let job = Job::new(
            "DemoWorker",
            vec![Value::from(0), Value::from("hi")],
            QueueName::default_queue(),
            Retry::Default,
        );
        let out = job.to_json();
        assert!(out.starts_with(
            r#"{"retry":true,"queue":"default","args":[0,"hi"],"class":"DemoWorker","jid":""#
        ));
        assert_eq!(job.jid().len(), 24);
        assert!(job
            .jid()
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
    }

    #[test]
    fn integral_times_stay_floats() {
        let mut job = Job::new("A", vec![], QueueName::default_queue(), Retry::Off);
        job.set_time("created_at", 1700000000.0);
        assert!(job.to_json().contains(r#""created_at":1700000000.0"#));
        assert_eq!(job.created_at(), Some(1700000000.0));
    }

    #[test]
    fn malformed_payloads_are_typed_errors() {
        use PayloadError::*;
        assert!(matches!(Job::parse("{"), Err(InvalidJson(_))));
        assert_eq!(Job::parse("[1]"), Err(NotAnObject));
        assert_eq!(Job::parse(r#"{"args":[]}"#), Err(MissingClass));
        assert_eq!(Job::parse(r#"{"class":"A"}"#), Err(MissingArgs));
        assert_eq!(
            Job::parse(r#"{"class":"A","args":"x"}"#),
            Err(ArgsNotArray("a string"))
        );
        assert_eq!(
            Job::parse(r#"{"class":"A","args":[],"retry":-1}"#),
            Err(BadRetry)
        );
        assert!(matches!(
            Job::parse(r#"{"class":"A","args":[],"queue":"a b"}"#),
            Err(BadQueue(_))
        ));
        assert_eq!(Job::from_bytes(b"\xff\xfe", 100), Err(InvalidUtf8));
        assert_eq!(
            Job::from_bytes(&[b' '; 11], 10),
            Err(TooLarge {
                size: 11,
                limit: 10
            })
        );
    }

    #[test]
    fn retry_option_parses() {
        assert_eq!(Retry::parse("false"), Ok(Retry::Off));
        assert_eq!(Retry::parse("3"), Ok(Retry::Count(3)));
        assert!(Retry::parse("maybe").is_err());
    }
}
