//! `SequenceEmailWorker(email, length)` (FibTastic): compute the sequence and
//! mail it over SMTP, then tell the web node it was delivered (best effort:
//! the mail is out, so a web node that is down must not make us send it twice).

use std::sync::Arc;
use std::time::Instant;

use super::Services;
use crate::domain::{EmailAddress, SequenceLength};
use crate::engine::registry::{JobContext, JobError, JobOptions, Registry};
use crate::internal_api::{DeliveryReport, WorkerStamp};
use crate::work::sequence_mail;

pub const CLASS: &str = "SequenceEmailWorker";

pub fn register(r: &mut Registry, services: Arc<Services>) {
    r.register(CLASS, JobOptions::default(), move |ctx| {
        perform(ctx, services.clone())
    });
}

async fn perform(ctx: JobContext, services: Arc<Services>) -> Result<(), JobError> {
    ctx.expect_args(2)?;
    let email: String = ctx.arg(0, "email")?;
    let email = EmailAddress::parse(&email).map_err(|e| JobError::argument(e.to_string()))?;
    let length: u64 = ctx.arg(1, "length")?;
    let length = SequenceLength::new(length).map_err(|e| JobError::argument(e.to_string()))?;
    let started = Instant::now();
    let cfg = &services.config;
    sequence_mail::send(&cfg.smtp, cfg.smtp_timeout, &email, length).await?;
    let report = DeliveryReport {
        email: email.to_string(),
        length: length.get(),
        by: WorkerStamp::new(&ctx, started),
    };
    tracing::info!(
        jid = ctx.jid(),
        length = length.get(),
        smtp = %cfg.smtp,
        ms = report.by.duration_ms,
        "sequence mailed"
    );
    if cfg.internal_token.is_some() {
        if let Err(e) = services.web_api()?.report_delivery(&report).await {
            tracing::warn!(jid = ctx.jid(), error = %e, "could not report the delivery to the web node");
        }
    }
    Ok(())
}
