//! `SequenceEmailWorker(email, length)` (FibTastic): compute the sequence and
//! mail it over SMTP, then tell the web node it was delivered (best effort:
//! the mail is out, so a web node that is down must not make us send it twice).

use std::sync::Arc;
use std::time::Instant;

use serde_json::Value;

use super::internal::DeliveryReport;
use super::mail;
use super::sequence_length::SequenceLength;
use crate::apps::services::Services;
use crate::apps::stamp::WorkerStamp;
use crate::domain::EmailAddress;
use crate::engine::job_class::{deserialize_arg, JobArg, JobClass};
use crate::engine::registry::{JobContext, JobError, Registry};

pub struct SequenceEmailWorker;

impl JobClass for SequenceEmailWorker {
    const NAME: &'static str = "SequenceEmailWorker";
    type Args = SequenceEmailArgs;
}

crate::job_args! {
    /// `perform(email, length)`.
    pub struct SequenceEmailArgs {
        pub email: EmailAddress,
        pub length: SequenceLength,
    }
}

/// A string that must be a mail address.
impl JobArg for EmailAddress {
    fn to_arg(&self) -> Value {
        Value::from(self.as_str())
    }

    fn from_arg(v: &Value, pos: usize, name: &str) -> Result<Self, JobError> {
        let s: String = deserialize_arg(v, pos, name)?;
        EmailAddress::parse(&s).map_err(|e| JobError::argument(e.to_string()))
    }
}

/// A whole number from 1 to the cap.
impl JobArg for SequenceLength {
    fn to_arg(&self) -> Value {
        Value::from(self.get())
    }

    fn from_arg(v: &Value, pos: usize, name: &str) -> Result<Self, JobError> {
        let n: u64 = deserialize_arg(v, pos, name)?;
        SequenceLength::new(n).map_err(|e| JobError::argument(e.to_string()))
    }
}

pub fn register(r: &mut Registry, services: Arc<Services>) {
    r.register_class::<SequenceEmailWorker, _, _>(move |ctx, args| {
        perform(ctx, args, services.clone())
    });
}

async fn perform(
    ctx: JobContext,
    args: SequenceEmailArgs,
    services: Arc<Services>,
) -> Result<(), JobError> {
    let SequenceEmailArgs { email, length } = args;
    let started = Instant::now();
    let cfg = &services.config;
    mail::send(
        &cfg.smtp,
        cfg.smtp_timeout,
        cfg.source_ip.map(|s| s.ip()),
        &email,
        length,
    )
    .await
    .map_err(job_error)?;
    let report = DeliveryReport {
        email: email.to_string(),
        length: length.get(),
        by: WorkerStamp::new(&ctx, started),
    };
    tracing::info!(
        jid = ctx.jid(),
        length = length.get(),
        smtp = %cfg.smtp,
        seconds = %format_args!("{:.3}", report.by.duration_ms / 1000.0),
        "sequence mailed"
    );
    if cfg.internal_token.is_some() {
        if let Err(e) = services.web_api()?.report_delivery(&report).await {
            tracing::warn!(jid = ctx.jid(), error = %e, "could not report the delivery to the web node");
        }
    }
    Ok(())
}

/// A failed delivery as the job reports it, with Ruby's `Net::SMTP` class
/// names: a 5xx answer (552 too big, 550 no such mailbox) is permanent and
/// goes to Dead at once; a 4xx (421, 451) or a timeout is retried.
fn job_error(e: mail::MailError) -> JobError {
    let class = match &e {
        mail::MailError::Smtp { source, .. } if source.is_permanent() => {
            Some("Net::SMTPFatalError")
        }
        mail::MailError::Smtp { source, .. } if source.is_transient() => {
            Some("Net::SMTPServerBusy")
        }
        mail::MailError::Smtp { source, .. } if source.is_timeout() => Some("Net::ReadTimeout"),
        _ => None,
    };
    let permanent = matches!(&e, mail::MailError::Smtp { source, .. } if source.is_permanent())
        || matches!(&e, mail::MailError::Address(_));
    let mut err = JobError::from(e);
    if let Some(c) = class {
        err.class = c.to_owned();
    }
    if permanent {
        err.permanently()
    } else {
        err
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::engine::job::Retry;
    use crate::engine::job_class::JobArgs;

    #[test]
    fn the_payload_is_the_one_ruby_enqueues() {
        let args = SequenceEmailArgs {
            email: EmailAddress::parse("ada@example.com").unwrap(),
            length: SequenceLength::new(10).unwrap(),
        };
        let job = SequenceEmailWorker::job(&args);
        assert_eq!(job.class(), "SequenceEmailWorker");
        assert_eq!(
            serde_json::to_string(job.args()).unwrap(),
            r#"["ada@example.com",10]"#
        );
        assert_eq!(
            (job.queue().as_str(), job.retry()),
            ("default", Retry::Default)
        );
        assert_eq!(SequenceEmailArgs::from_args(job.args()).unwrap(), args);
        let bad = SequenceEmailArgs::from_args(&[json!("nope"), json!(10)]).unwrap_err();
        assert_eq!(bad.class, "ArgumentError");
        assert!(bad.message.contains("is not an email address"), "{bad}");
        let long = SequenceEmailArgs::from_args(&[json!("a@b.co"), json!(10_001)]).unwrap_err();
        assert!(long.message.contains("premium"), "{long}");
        let typed = SequenceEmailArgs::from_args(&[json!(5), json!(1)]).unwrap_err();
        assert!(
            typed.message.starts_with("argument 1 (email) is invalid"),
            "{typed}"
        );
    }
}
