//! The job classes every worker knows: the tutorials' `DemoWorker` and
//! `UrgentWorker` (sleep, then log a message), and `NoopWorker` for benchmarks.

use std::time::Duration;

use serde_json::{Number, Value};

use super::job::Retry;
use super::job_class::{JobArg, JobClass};
use super::queue::QueueName;
use super::registry::{JobContext, JobError, JobOptions, Registry};

/// Longest sleep a demo job accepts (a day), so a typo cannot hang a slot forever.
const MAX_DELAY_SECS: f64 = 86_400.0;

/// `DemoWorker.perform_async(delay_seconds, message)`.
pub struct DemoWorker;

impl JobClass for DemoWorker {
    const NAME: &'static str = "DemoWorker";
    type Args = DemoArgs;
}

/// `DemoWorker` on the `urgent` queue, never retried: it jumps the line of
/// workers started with `-q urgent,10 -q default,1` (mostly) or `-q urgent -q default` (always).
pub struct UrgentWorker;

impl JobClass for UrgentWorker {
    const NAME: &'static str = "UrgentWorker";
    type Args = DemoArgs;

    fn options() -> JobOptions {
        JobOptions {
            queue: QueueName::parse("urgent").unwrap_or_else(|_| QueueName::default_queue()),
            retry: Retry::Off,
        }
    }
}

/// Does nothing with whatever arguments it gets (benchmarks, tests).
pub struct NoopWorker;

impl JobClass for NoopWorker {
    const NAME: &'static str = "NoopWorker";
    type Args = Vec<Value>;
}

crate::job_args! {
    /// `perform(delay_seconds, message)`.
    pub struct DemoArgs {
        pub delay_seconds: DemoDelay,
        /// Logged verbatim (a string), or as JSON (anything else).
        pub message: Value,
    }
}

/// How long a demo job sleeps: 0 to a day, kept as the JSON number it was
/// given (a Ruby client's `5` stays `5`, not `5.0`).
#[derive(Debug, Clone, PartialEq)]
pub struct DemoDelay(Number);

impl DemoDelay {
    /// Whole seconds.
    pub fn whole(secs: u32) -> DemoDelay {
        DemoDelay(Number::from(secs))
    }

    /// Seconds, or `None` when not a number from 0 to a day.
    pub fn secs(secs: f64) -> Option<DemoDelay> {
        if !(0.0..=MAX_DELAY_SECS).contains(&secs) {
            return None;
        }
        Number::from_f64(secs).map(DemoDelay)
    }

    pub fn as_secs(&self) -> f64 {
        self.0.as_f64().unwrap_or(0.0)
    }
}

impl JobArg for DemoDelay {
    fn to_arg(&self) -> Value {
        Value::Number(self.0.clone())
    }

    fn from_arg(v: &Value, _pos: usize, _name: &str) -> Result<Self, JobError> {
        match v {
            Value::Number(n)
                if n.as_f64()
                    .is_some_and(|d| d.is_finite() && (0.0..=MAX_DELAY_SECS).contains(&d)) =>
            {
                Ok(DemoDelay(n.clone()))
            }
            _ => Err(JobError::argument(format!(
                "delay_seconds must be a number of seconds between 0 and {MAX_DELAY_SECS}, got {v}"
            ))),
        }
    }
}

pub fn register(r: &mut Registry) {
    r.register_class::<DemoWorker, _, _>(demo);
    r.register_class::<UrgentWorker, _, _>(demo);
    r.register_class::<NoopWorker, _, _>(|_ctx, _args| async { Ok(()) });
}

/// A registry with the built-in classes.
pub fn registry() -> Registry {
    let mut r = Registry::new();
    register(&mut r);
    r
}

/// Sleeps, then logs the message verbatim.
async fn demo(ctx: JobContext, args: DemoArgs) -> Result<(), JobError> {
    tokio::time::sleep(Duration::from_secs_f64(args.delay_seconds.as_secs())).await;
    let message = match args.message {
        Value::String(s) => s,
        other => other.to_string(),
    };
    tracing::info!(worker = %ctx.worker.hostname, jid = %ctx.jid(), class = %ctx.job.class(), "{message}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::engine::job_class::JobArgs;

    #[test]
    fn wire_format_and_messages_are_sidekiqs() {
        let a = DemoArgs {
            delay_seconds: DemoDelay::whole(5),
            message: json!("slow"),
        };
        assert_eq!(
            serde_json::to_string(&a.to_args()).unwrap(),
            r#"[5,"slow"]"#
        );
        let b = DemoArgs {
            delay_seconds: DemoDelay::secs(1.0).unwrap(),
            message: json!("hi"),
        };
        assert_eq!(
            serde_json::to_string(&b.to_args()).unwrap(),
            r#"[1.0,"hi"]"#
        );
        assert!(DemoDelay::secs(-1.0).is_none() && DemoDelay::secs(f64::NAN).is_none());
        let u = UrgentWorker::job(&a);
        assert_eq!((u.queue().as_str(), u.retry()), ("urgent", Retry::Off));
        let d = DemoWorker::job(&a);
        assert_eq!((d.queue().as_str(), d.retry()), ("default", Retry::Default));
        assert_eq!(
            DemoArgs::from_args(&[json!("not a delay")]).unwrap_err(),
            JobError::argument("wrong number of arguments (given 1, expected 2)")
        );
        assert_eq!(
            DemoArgs::from_args(&[json!("x"), json!("m")]).unwrap_err(),
            JobError::argument(
                "delay_seconds must be a number of seconds between 0 and 86400, got \"x\""
            )
        );
        assert_eq!(
            DemoArgs::from_args(&[json!(0), json!({"a": 1})])
                .unwrap()
                .message,
            json!({"a": 1})
        );
        let r = registry();
        assert_eq!(r.names(), vec!["DemoWorker", "NoopWorker", "UrgentWorker"]);
    }
}
