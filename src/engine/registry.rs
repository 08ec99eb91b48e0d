//! Job classes by name: each has Sidekiq-style options (queue, retry) used by
//! the client, and an async handler run by the worker. A job's handler gets a
//! `JobContext` (payload, arguments, which worker runs it) and returns
//! `Result<(), JobError>`.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::Arc;

use futures::future::BoxFuture;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::job::{Job, Retry};
use super::queue::QueueName;

/// A failure inside a job, with a Ruby-style exception class name so that
/// Sidekiq's UI shows something familiar (`ArgumentError`, `RuntimeError`…).
#[derive(Debug, Clone, PartialEq)]
pub struct JobError {
    pub class: String,
    pub message: String,
    pub backtrace: Vec<String>,
    /// Retrying cannot help (a mail the server refuses for good, a request
    /// the API rejects): the job goes to the dead set at once.
    pub permanent: bool,
}

impl JobError {
    pub fn new(class: impl Into<String>, message: impl Into<String>) -> JobError {
        JobError {
            class: class.into(),
            message: message.into(),
            backtrace: Vec::new(),
            permanent: false,
        }
    }

    /// The same failure, marked permanent: no retries, straight to Dead
    /// (what Sidekiq users do with a discard or `retry: false` on one error).
    pub fn permanently(mut self) -> JobError {
        self.permanent = true;
        self
    }

    /// Wrong arguments, as Ruby reports them.
    pub fn argument(message: impl Into<String>) -> JobError {
        JobError::new("ArgumentError", message)
    }

    /// A generic failure (`raise "…"` in Ruby).
    pub fn runtime(message: impl Into<String>) -> JobError {
        JobError::new("RuntimeError", message)
    }

    fn from_chain(class: String, err: &(dyn std::error::Error + 'static)) -> JobError {
        let mut backtrace = Vec::new();
        let mut source = err.source();
        while let Some(s) = source {
            backtrace.push(format!("caused by: {s}"));
            source = s.source();
        }
        JobError {
            class,
            message: err.to_string(),
            backtrace,
            permanent: false,
        }
    }
}

impl fmt::Display for JobError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.class, self.message)
    }
}

impl<E: std::error::Error + Send + Sync + 'static> From<E> for JobError {
    fn from(e: E) -> JobError {
        JobError::from_chain(std::any::type_name::<E>().to_owned(), &e)
    }
}

impl JobError {
    /// A `RuntimeError` from an `anyhow` error, its causes as the backtrace.
    pub fn from_anyhow(e: anyhow::Error) -> JobError {
        let mut err = JobError::runtime(e.to_string());
        err.backtrace = e
            .chain()
            .skip(1)
            .map(|c| format!("caused by: {c}"))
            .collect();
        err
    }
}

/// Which worker process runs a job, for "processed by worker-01 (10.0.0.11)".
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct WorkerInfo {
    /// The process name (hostname, or `--name`).
    pub hostname: String,
    pub ip: String,
    pub pid: u32,
    pub identity: String,
}

/// What a handler gets.
#[derive(Debug, Clone)]
pub struct JobContext {
    pub job: Job,
    pub worker: Arc<WorkerInfo>,
}

impl JobContext {
    pub fn jid(&self) -> &str {
        self.job.jid()
    }

    pub fn args(&self) -> &[Value] {
        self.job.args()
    }

    /// Fails like Ruby's arity check unless there are exactly `n` arguments.
    pub fn expect_args(&self, n: usize) -> Result<(), JobError> {
        let given = self.args().len();
        if given == n {
            Ok(())
        } else {
            Err(JobError::argument(format!(
                "wrong number of arguments (given {given}, expected {n})"
            )))
        }
    }

    /// Argument `i` converted to `T`, or an `ArgumentError` naming it.
    pub fn arg<T: DeserializeOwned>(&self, i: usize, name: &str) -> Result<T, JobError> {
        let v = self
            .args()
            .get(i)
            .ok_or_else(|| JobError::argument(format!("missing argument {} ({name})", i + 1)))?;
        T::deserialize(v).map_err(|e| {
            // A number refused by a number type (`u64` given 2**64+1, kept
            // exact in the payload) says so instead of serde's "invalid number".
            let ty = std::any::type_name::<T>();
            if v.is_number() && !ty.contains("::") {
                JobError::argument(format!(
                    "argument {} ({name}): {v} does not fit in {ty}",
                    i + 1
                ))
            } else {
                JobError::argument(format!("argument {} ({name}) is invalid: {e}: {v}", i + 1))
            }
        })
    }
}

pub type HandlerFn =
    Arc<dyn Fn(JobContext) -> BoxFuture<'static, Result<(), JobError>> + Send + Sync>;

/// Sidekiq's `sidekiq_options` for a class.
#[derive(Debug, Clone, PartialEq)]
pub struct JobOptions {
    pub queue: QueueName,
    pub retry: Retry,
}

impl Default for JobOptions {
    fn default() -> Self {
        JobOptions {
            queue: QueueName::default_queue(),
            retry: Retry::Default,
        }
    }
}

#[derive(Clone)]
pub struct JobClass {
    pub name: String,
    pub options: JobOptions,
    pub handler: HandlerFn,
}

impl fmt::Debug for JobClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JobClass")
            .field("name", &self.name)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, Default)]
pub struct Registry {
    classes: HashMap<String, JobClass>,
}

impl Registry {
    pub fn new() -> Registry {
        Registry::default()
    }

    /// Registers (or replaces) a class.
    pub fn register<F, Fut>(&mut self, name: &str, options: JobOptions, handler: F) -> &mut Self
    where
        F: Fn(JobContext) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), JobError>> + Send + 'static,
    {
        let handler: HandlerFn = Arc::new(move |ctx| Box::pin(handler(ctx)));
        self.classes.insert(
            name.to_owned(),
            JobClass {
                name: name.to_owned(),
                options,
                handler,
            },
        );
        self
    }

    pub fn get(&self, name: &str) -> Option<&JobClass> {
        self.classes.get(name)
    }

    /// The options to enqueue `name` with (Sidekiq's defaults for unknown classes,
    /// so a web node can enqueue classes only a remote worker knows).
    pub fn options(&self, name: &str) -> JobOptions {
        self.get(name)
            .map(|c| c.options.clone())
            .unwrap_or_default()
    }

    pub fn names(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self.classes.keys().map(String::as_str).collect();
        v.sort_unstable();
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(args: Vec<Value>) -> JobContext {
        JobContext {
            job: Job::new("X", args, QueueName::default_queue(), Retry::Default),
            worker: Arc::new(WorkerInfo {
                hostname: "h".into(),
                ip: "127.0.0.1".into(),
                pid: 1,
                identity: "h:1:x".into(),
            }),
        }
    }

    #[test]
    fn arity_errors_read_like_ruby() {
        let c = ctx(vec![Value::from(1)]);
        assert_eq!(
            c.expect_args(2).unwrap_err(),
            JobError::argument("wrong number of arguments (given 1, expected 2)")
        );
        assert_eq!(c.arg::<f64>(0, "delay").unwrap(), 1.0);
        assert_eq!(
            c.arg::<String>(0, "message").unwrap_err().class,
            "ArgumentError"
        );
    }

    #[test]
    fn a_number_too_big_for_its_type_says_so() {
        let big: Value = serde_json::from_str("18446744073709551617").unwrap();
        let c = ctx(vec![big]);
        assert_eq!(
            c.arg::<u64>(0, "id").unwrap_err().message,
            "argument 1 (id): 18446744073709551617 does not fit in u64"
        );
        assert_eq!(c.arg::<u128>(0, "id").unwrap(), (1u128 << 64) + 1);
        assert_eq!(c.arg::<f64>(0, "id").unwrap(), 18446744073709551616.0);
    }

    #[test]
    fn io_errors_convert_with_their_type_name() {
        let e: JobError = std::io::Error::other("disk on fire").into();
        assert_eq!(e.class, "std::io::error::Error");
        assert_eq!(e.message, "disk on fire");
    }

    #[tokio::test]
    async fn registered_handlers_run() {
        let mut r = Registry::new();
        r.register("Ok", JobOptions::default(), |_ctx| async { Ok(()) });
        r.register("Boom", JobOptions::default(), |_ctx| async {
            Err(JobError::runtime("boom"))
        });
        assert!((r.get("Ok").unwrap().handler)(ctx(vec![])).await.is_ok());
        assert_eq!(
            (r.get("Boom").unwrap().handler)(ctx(vec![]))
                .await
                .unwrap_err()
                .message,
            "boom"
        );
        assert_eq!(r.options("Unknown"), JobOptions::default());
        assert_eq!(r.names(), vec!["Boom", "Ok"]);
    }
}
