//! `HighlightWorker(snippet_id)` (Railscast #366's `PygmentsWorker`): load the
//! snippet from the web node, wait the tutorial's delay, highlight it with
//! syntect, store the HTML and who did it back on the web node.

use std::sync::Arc;
use std::time::Instant;

use super::Services;
use crate::engine::registry::{JobContext, JobError, JobOptions, Registry};
use crate::internal_api::{HighlightResult, WorkerStamp};
use crate::work::highlighter;

pub const CLASS: &str = "HighlightWorker";

pub fn register(r: &mut Registry, services: Arc<Services>) {
    r.register(CLASS, JobOptions::default(), move |ctx| {
        perform(ctx, services.clone())
    });
}

async fn perform(ctx: JobContext, services: Arc<Services>) -> Result<(), JobError> {
    ctx.expect_args(1)?;
    let id: i64 = ctx.arg(0, "snippet_id")?;
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
        ms = result.by.duration_ms,
        "snippet highlighted"
    );
    Ok(())
}
