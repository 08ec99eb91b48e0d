//! The job classes every worker knows: the tutorials' `DemoWorker` and
//! `UrgentWorker` (sleep, then log a message), and `NoopWorker` for benchmarks.

use std::time::Duration;

use serde_json::Value;

use super::job::Retry;
use super::queue::QueueName;
use super::registry::{JobContext, JobError, JobOptions, Registry};

/// Longest sleep a demo job accepts (a day), so a typo cannot hang a slot forever.
const MAX_DELAY_SECS: f64 = 86_400.0;

pub fn register(r: &mut Registry) {
    r.register("DemoWorker", JobOptions::default(), demo);
    r.register(
        "UrgentWorker",
        JobOptions {
            queue: QueueName::parse("urgent").unwrap_or_else(|_| QueueName::default_queue()),
            retry: Retry::Off,
        },
        demo,
    );
    r.register("NoopWorker", JobOptions::default(), |_ctx| async { Ok(()) });
}

/// A registry with the built-in classes.
pub fn registry() -> Registry {
    let mut r = Registry::new();
    register(&mut r);
    r
}

/// `perform(delay_seconds, message)`: sleep, then log the message verbatim.
async fn demo(ctx: JobContext) -> Result<(), JobError> {
    ctx.expect_args(2)?;
    let delay = match ctx.args()[0].as_f64() {
        Some(d) if d.is_finite() && (0.0..=MAX_DELAY_SECS).contains(&d) => d,
        _ => {
            return Err(JobError::argument(format!(
                "delay_seconds must be a number of seconds between 0 and {MAX_DELAY_SECS}, got {}",
                ctx.args()[0]
            )))
        }
    };
    tokio::time::sleep(Duration::from_secs_f64(delay)).await;
    let message = match &ctx.args()[1] {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    tracing::info!(jid = ctx.jid(), class = ctx.job.class(), "{message}");
    Ok(())
}
