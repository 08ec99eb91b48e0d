//! `HighlightWorker(snippet_id)` (Railscast #366's `PygmentsWorker`): load the
//! snippet from the web node, wait the tutorial's delay, highlight it with
//! syntect, store the HTML and who did it back on the web node.

use std::sync::Arc;
use std::time::Instant;

use super::highlighter;
use super::internal::HighlightResult;
use crate::apps::services::Services;
use crate::apps::stamp::WorkerStamp;
use crate::engine::job_class::JobClass;
use crate::engine::registry::{JobContext, JobError, Registry};

pub struct HighlightWorker;

impl JobClass for HighlightWorker {
    const NAME: &'static str = "HighlightWorker";
    type Args = HighlightArgs;
}

crate::job_args! {
    /// `perform(snippet_id)`.
    pub struct HighlightArgs {
        pub snippet_id: i64,
    }
}

pub fn register(r: &mut Registry, services: Arc<Services>) {
    r.register_class::<HighlightWorker, _, _>(move |ctx, args| {
        perform(ctx, args, services.clone())
    });
}

async fn perform(
    ctx: JobContext,
    args: HighlightArgs,
    services: Arc<Services>,
) -> Result<(), JobError> {
    let id = args.snippet_id;
    let started = Instant::now();
    let api = services.web_api()?;
    let snippet = api.snippet(id).await?;
    let delay = services.config.highlight_delay;
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let language = snippet.language;
    let html = tokio::task::spawn_blocking(move || highlighter::highlight(language, &snippet.code))
        .await??;
    let result = HighlightResult {
        html,
        by: WorkerStamp::new(&ctx, started),
    };
    api.store_highlight(id, &result).await?;
    tracing::info!(
        jid = ctx.jid(),
        snippet_id = id,
        seconds = %format_args!("{:.3}", result.by.duration_ms / 1000.0),
        "snippet highlighted"
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::job::Retry;
    use crate::engine::job_class::JobArgs;

    #[test]
    fn the_payload_is_the_one_ruby_enqueues() {
        let job = HighlightWorker::job(&HighlightArgs { snippet_id: 7 });
        assert_eq!(job.class(), "HighlightWorker");
        assert_eq!(serde_json::to_string(job.args()).unwrap(), "[7]");
        assert_eq!(
            (job.queue().as_str(), job.retry()),
            ("default", Retry::Default)
        );
        let e = HighlightArgs::from_args(&[serde_json::json!("seven")]).unwrap_err();
        assert!(
            e.message.starts_with("argument 1 (snippet_id) is invalid"),
            "{e}"
        );
    }
}
