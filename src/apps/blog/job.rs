//! `AutoTagWorker(post_id)` (`retry: 3`, as in the tutorial): load the post
//! from the web node, ask the tagger for tags, store them on the post.

use std::sync::Arc;
use std::time::Instant;

use super::internal::AutoTagResult;
use super::tagger_client::Tagger;
use crate::apps::services::Services;
use crate::apps::stamp::WorkerStamp;
use crate::engine::job::Retry;
use crate::engine::job_class::JobClass;
use crate::engine::queue::QueueName;
use crate::engine::registry::{JobContext, JobError, JobOptions, Registry};

pub struct AutoTagWorker;

impl JobClass for AutoTagWorker {
    const NAME: &'static str = "AutoTagWorker";
    type Args = AutoTagArgs;

    fn options() -> JobOptions {
        JobOptions {
            queue: QueueName::default_queue(),
            retry: Retry::Count(3),
        }
    }
}

crate::job_args! {
    /// `perform(post_id)`.
    pub struct AutoTagArgs {
        pub post_id: i64,
    }
}

pub fn register(r: &mut Registry, services: Arc<Services>) {
    r.register_class::<AutoTagWorker, _, _>(move |ctx, args| perform(ctx, args, services.clone()));
}

async fn perform(
    ctx: JobContext,
    args: AutoTagArgs,
    services: Arc<Services>,
) -> Result<(), JobError> {
    let id = args.post_id;
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
    let tags = tagger.suggest(&post.title, &post.body).await.map_err(|e| {
        let permanent = e.is_permanent();
        let err = JobError::from(e);
        if permanent {
            err.permanently()
        } else {
            err
        }
    })?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_payload_is_the_one_ruby_enqueues() {
        let job = AutoTagWorker::job(&AutoTagArgs { post_id: 3 });
        assert_eq!(job.class(), "AutoTagWorker");
        assert_eq!(serde_json::to_string(job.args()).unwrap(), "[3]");
        assert_eq!(
            (job.queue().as_str(), job.retry()),
            ("default", Retry::Count(3))
        );
    }
}
