//! `AutoTagWorker(post_id)` (`retry: 3`, as in the tutorial): load the post
//! from the web node, ask the tagger for tags, store them on the post.

use std::sync::Arc;
use std::time::Instant;

use super::Services;
use crate::engine::job::Retry;
use crate::engine::queue::QueueName;
use crate::engine::registry::{JobContext, JobError, JobOptions, Registry};
use crate::internal_api::{AutoTagResult, WorkerStamp};
use crate::work::tagger_client::Tagger;

pub const CLASS: &str = "AutoTagWorker";

pub fn register(r: &mut Registry, services: Arc<Services>) {
    let options = JobOptions {
        queue: QueueName::default_queue(),
        retry: Retry::Count(3),
    };
    r.register(CLASS, options, move |ctx| perform(ctx, services.clone()));
}

async fn perform(ctx: JobContext, services: Arc<Services>) -> Result<(), JobError> {
    ctx.expect_args(1)?;
    let id: i64 = ctx.arg(0, "post_id")?;
    let started = Instant::now();
    let api = services.web_api()?;
    let post = api.post(id).await?;
    let cfg = &services.config;
    let tagger = Tagger {
        http: services.http()?,
        url: cfg.tagger_url.as_str(),
        key: cfg.tagger_key.as_ref(),
        timeout: cfg.http_timeout,
    };
    let tags = tagger.suggest(&post.title, &post.body).await?;
    let result = AutoTagResult {
        tags,
        by: WorkerStamp::new(&ctx, started),
    };
    api.store_auto_tags(id, &result).await?;
    tracing::info!(
        jid = ctx.jid(),
        post_id = id,
        tags = result.tags.len(),
        "post auto-tagged"
    );
    Ok(())
}
