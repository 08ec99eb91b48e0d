//! One argument type per job class, shared by the code that enqueues the job
//! and the handler that runs it, so a job setting lives in one place.
//!
//! A `JobClass` names the class, its Sidekiq options (queue, retry) and its
//! `Args`: a struct declared with `job_args!`, whose fields are Sidekiq's
//! positional `args` array in order. The worker parses the array back with
//! the messages Ruby's `ArgumentError` gives (a Ruby client on the same Redis
//! can enqueue these classes, so bad arguments do reach us). Adding a field
//! makes every place that builds the arguments fail to compile.
//!
//! The typed entry points to the client and the registry are here, as
//! `impl` blocks, so `client.rs` and `registry.rs` stay untyped (the console
//! and the dashboard push any class by name).

use std::future::Future;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::client::{Client, PushOptions};
use super::job::Job;
use super::registry::{JobContext, JobError, JobOptions, Registry};
use super::store::Result;

/// A job class: `class Name; include Sidekiq::Job; sidekiq_options …; def perform(args…)`.
pub trait JobClass: 'static {
    /// The class name in payloads (what Ruby and the dashboard see).
    const NAME: &'static str;
    /// The arguments of `perform`, in order.
    type Args: JobArgs;

    /// `sidekiq_options`: Sidekiq's defaults (queue `default`, retry on)
    /// unless a class says otherwise.
    fn options() -> JobOptions {
        JobOptions::default()
    }

    /// A payload of this class with its options and a fresh jid.
    fn job(args: &Self::Args) -> Job {
        let o = Self::options();
        Job::new(Self::NAME, args.to_args(), o.queue, o.retry)
    }
}

/// A job's arguments as Sidekiq's positional `args` array.
pub trait JobArgs: Sized + Send + 'static {
    fn to_args(&self) -> Vec<Value>;
    /// Parses `args` as the handler receives them; bad input is an
    /// `ArgumentError` worded like Ruby's.
    fn from_args(args: &[Value]) -> std::result::Result<Self, JobError>;
}

/// Whatever arguments a job is given, unchecked (`NoopWorker`).
impl JobArgs for Vec<Value> {
    fn to_args(&self) -> Vec<Value> {
        self.clone()
    }

    fn from_args(args: &[Value]) -> std::result::Result<Self, JobError> {
        Ok(args.to_vec())
    }
}

/// One positional argument.
pub trait JobArg: Sized {
    fn to_arg(&self) -> Value;
    /// `pos` counts from 1 and `name` is the parameter's, for the message.
    fn from_arg(v: &Value, pos: usize, name: &str) -> std::result::Result<Self, JobError>;
}

/// An argument read by serde: "argument 2 (length) is invalid: … : \"x\"".
pub fn deserialize_arg<T: DeserializeOwned>(
    v: &Value,
    pos: usize,
    name: &str,
) -> std::result::Result<T, JobError> {
    T::deserialize(v)
        .map_err(|e| JobError::argument(format!("argument {pos} ({name}) is invalid: {e}: {v}")))
}

/// Ruby's arity check.
pub fn expect_arity(args: &[Value], n: usize) -> std::result::Result<(), JobError> {
    let given = args.len();
    if given == n {
        Ok(())
    } else {
        Err(JobError::argument(format!(
            "wrong number of arguments (given {given}, expected {n})"
        )))
    }
}

macro_rules! plain_arg {
    ($($t:ty),*) => {$(
        impl JobArg for $t {
            fn to_arg(&self) -> Value {
                Value::from(self.clone())
            }
            fn from_arg(v: &Value, pos: usize, name: &str) -> std::result::Result<Self, JobError> {
                deserialize_arg(v, pos, name)
            }
        }
    )*};
}
plain_arg!(bool, String);
// Integers and floats: `number_args`, which reads them from their text.

/// Any JSON value, taken as given.
impl JobArg for Value {
    fn to_arg(&self) -> Value {
        self.clone()
    }

    fn from_arg(v: &Value, _pos: usize, _name: &str) -> std::result::Result<Self, JobError> {
        Ok(v.clone())
    }
}

/// Declares a job's argument struct: its fields, in order, are the job's
/// positional `args` (each a `JobArg`).
///
/// ```
/// kiqlab::job_args! {
///     /// `perform(snippet_id)`.
///     pub struct ExampleArgs {
///         pub snippet_id: i64,
///     }
/// }
/// use kiqlab::engine::job_class::JobArgs;
/// let a = ExampleArgs { snippet_id: 7 };
/// assert_eq!(serde_json::to_string(&a.to_args()).unwrap(), "[7]");
/// assert_eq!(ExampleArgs::from_args(&a.to_args()).unwrap(), a);
/// ```
#[macro_export]
macro_rules! job_args {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident {
            $($(#[$fmeta:meta])* $fvis:vis $field:ident : $ty:ty),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq)]
        $vis struct $name {
            $($(#[$fmeta])* $fvis $field: $ty),+
        }

        impl $crate::engine::job_class::JobArgs for $name {
            fn to_args(&self) -> ::std::vec::Vec<::serde_json::Value> {
                ::std::vec![$($crate::engine::job_class::JobArg::to_arg(&self.$field)),+]
            }

            fn from_args(
                args: &[::serde_json::Value],
            ) -> ::std::result::Result<Self, $crate::engine::registry::JobError> {
                const NAMES: &[&str] = &[$(stringify!($field)),+];
                $crate::engine::job_class::expect_arity(args, NAMES.len())?;
                let mut pos = 0usize;
                $(
                    pos += 1;
                    let $field = <$ty as $crate::engine::job_class::JobArg>::from_arg(
                        &args[pos - 1],
                        pos,
                        stringify!($field),
                    )?;
                )+
                let _ = pos;
                Ok($name { $($field),+ })
            }
        }
    };
}

impl Registry {
    /// Registers `J` with its options; the handler gets the parsed arguments
    /// (a job whose arguments do not parse fails with `ArgumentError`).
    pub fn register_class<J, F, Fut>(&mut self, perform: F) -> &mut Self
    where
        J: JobClass,
        F: Fn(JobContext, J::Args) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = std::result::Result<(), JobError>> + Send + 'static,
    {
        let perform = Arc::new(perform);
        self.register(J::NAME, J::options(), move |ctx| {
            let perform = perform.clone();
            async move {
                let args = J::Args::from_args(ctx.args())?;
                perform(ctx, args).await
            }
        })
    }
}

impl Client {
    /// `J.perform_async(args…)`; returns the jid.
    pub async fn enqueue<J: JobClass>(&self, args: &J::Args) -> Result<String> {
        self.push_job(J::job(args)).await
    }

    /// `J.perform_at(at, args…)` (or `perform_in` for `at` below 1e9 seconds).
    pub async fn enqueue_at<J: JobClass>(&self, at: f64, args: &J::Args) -> Result<String> {
        let opts = PushOptions {
            at: Some(at),
            ..class_options::<J>()
        };
        self.push(J::NAME, args.to_args(), &opts).await
    }

    /// `Sidekiq::Client.push_bulk` of `J`, one job per argument set.
    pub async fn enqueue_bulk<J: JobClass>(&self, args: &[J::Args]) -> Result<Vec<String>> {
        let list = args.iter().map(JobArgs::to_args).collect();
        self.push_bulk(J::NAME, list, &class_options::<J>()).await
    }
}

fn class_options<J: JobClass>() -> PushOptions {
    let o = J::options();
    PushOptions {
        queue: Some(o.queue),
        retry: Some(o.retry),
        at: None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::engine::job::Retry;
    use crate::engine::queue::QueueName;
    use crate::engine::registry::WorkerInfo;

    crate::job_args! {
        struct TwoArgs {
            email: String,
            length: u64,
        }
    }

    struct Two;
    impl JobClass for Two {
        const NAME: &'static str = "TwoWorker";
        type Args = TwoArgs;
        fn options() -> JobOptions {
            JobOptions {
                queue: QueueName::parse("mail").unwrap(),
                retry: Retry::Count(3),
            }
        }
    }

    fn ctx(job: Job) -> JobContext {
        JobContext {
            job,
            worker: Arc::new(WorkerInfo {
                hostname: "h".into(),
                ip: "127.0.0.1".into(),
                pid: 1,
                identity: "h:1:x".into(),
            }),
        }
    }

    #[test]
    fn args_are_positional_and_errors_read_like_ruby() {
        let a = TwoArgs {
            email: "ada@example.com".into(),
            length: 10,
        };
        assert_eq!(
            serde_json::to_string(&a.to_args()).unwrap(),
            r#"["ada@example.com",10]"#
        );
        assert_eq!(TwoArgs::from_args(&a.to_args()).unwrap(), a);
        assert_eq!(
            TwoArgs::from_args(&[json!("x")]).unwrap_err(),
            JobError::argument("wrong number of arguments (given 1, expected 2)")
        );
        let e = TwoArgs::from_args(&[json!("x"), json!("ten")]).unwrap_err();
        assert_eq!(e.class, "ArgumentError");
        assert!(
            e.message.starts_with("argument 2 (length) is invalid: ")
                && e.message.ends_with("\"ten\""),
            "{}",
            e.message
        );
        let job = Two::job(&a);
        assert_eq!(
            (job.class(), job.queue().as_str(), job.retry()),
            ("TwoWorker", "mail", Retry::Count(3))
        );
        assert_eq!(job.args(), &a.to_args()[..]);
    }

    #[tokio::test]
    async fn registered_classes_get_parsed_arguments() {
        let mut r = Registry::new();
        r.register_class::<Two, _, _>(|_ctx, args: TwoArgs| async move {
            if args.length == 10 {
                Ok(())
            } else {
                Err(JobError::runtime("wrong length"))
            }
        });
        assert_eq!(r.options("TwoWorker").retry, Retry::Count(3));
        let handler = r.get("TwoWorker").unwrap().handler.clone();
        let good = Two::job(&TwoArgs {
            email: "a@b.c".into(),
            length: 10,
        });
        assert!(handler(ctx(good)).await.is_ok());
        let bad = Job::new(
            "TwoWorker",
            vec![json!(1)],
            QueueName::default_queue(),
            Retry::Default,
        );
        assert_eq!(handler(ctx(bad)).await.unwrap_err().class, "ArgumentError");
    }
}
