//! Acknowledgements on Redis: one Lua call per batch that removes finished
//! jobs from the in-progress list and files their retry, dead and failure
//! entries and counters; then the recent-jobs feed and per-class metrics
//! (in both Sidekiq 7's and 8's layouts).

use redis::aio::ConnectionManager;

use super::layouts;
use super::scripts::{wip_key, ACK};
use super::worker::stored_bytes;
use super::write::score_arg;
use crate::engine::clock::utc_date;
use crate::engine::store::metrics::batch_deltas;
use crate::engine::store::{failure_json, Completion, DeadLimits, Outcome, Result};

/// Daily stat keys live five years, as Sidekiq's `STATS_TTL`.
const STATS_TTL: u64 = 5 * 365 * 24 * 60 * 60;
/// sidekiq-failures' default `failures_max_count`.
const FAILURES_MAX: i64 = 1000;
/// Length of the recent-jobs feed.
pub const RECENT_MAX: i64 = 1000;
pub const RECENT_KEY: &str = "kiqlab:recent";

pub async fn complete(
    con: &mut ConnectionManager,
    identity: &str,
    batch: &[Completion],
    now: f64,
    limits: DeadLimits,
) -> Result<()> {
    if batch.is_empty() {
        return Ok(());
    }
    let date = utc_date(now);
    let mut inv = ACK.prepare_invoke();
    inv.key("stat:processed")
        .key(format!("stat:processed:{date}"))
        .key("stat:failed")
        .key(format!("stat:failed:{date}"))
        .key("retry")
        .key("dead")
        .key("failed");
    let mut wips: Vec<String> = Vec::new();
    for c in batch {
        let wip = wip_key(identity, c.unit.queue.as_str());
        if !wips.contains(&wip) {
            wips.push(wip);
        }
    }
    for w in &wips {
        inv.key(w);
    }
    inv.arg(score_arg(now))
        .arg(score_arg(now - limits.timeout_secs))
        .arg(limits.max_jobs)
        .arg(FAILURES_MAX)
        .arg(STATS_TTL);
    for c in batch {
        let wip = wip_key(identity, c.unit.queue.as_str());
        let idx = wips.iter().position(|w| *w == wip).unwrap_or(0);
        let (kind, payload, score) = match &c.outcome {
            Outcome::Done => ("d", String::new(), String::new()),
            Outcome::Discard => ("f", String::new(), String::new()),
            Outcome::Retry { job, at } => ("r", job.to_json(), score_arg(*at)),
            Outcome::Dead { job_json } => ("x", job_json.clone(), String::new()),
        };
        inv.arg(idx)
            .arg(stored_bytes(&c.unit)?.as_ref())
            .arg(kind)
            .arg(payload)
            .arg(score)
            .arg(failure_json(c).unwrap_or_default());
    }
    let (processed, _failed): (u64, u64) = inv.invoke_async(con).await?;
    if processed == 0 || batch.iter().all(|c| c.record.is_none()) {
        return Ok(());
    }
    // The recent-jobs feed and per-class metrics are informational: written
    // after the acknowledgement, they may count a job twice if a reply is lost.
    let mut pipe = redis::pipe();
    let recent: Vec<String> = batch
        .iter()
        .filter_map(|c| c.record.as_ref())
        .filter_map(|r| serde_json::to_string(r).ok())
        .collect();
    if !recent.is_empty() {
        let skip = recent.len().saturating_sub(RECENT_MAX as usize);
        pipe.cmd("LPUSH")
            .arg(RECENT_KEY)
            .arg(&recent[skip..])
            .ignore();
        pipe.cmd("LTRIM")
            .arg(RECENT_KEY)
            .arg(0)
            .arg(RECENT_MAX - 1)
            .ignore();
    }
    // Both Sidekiq 7's and 8's layouts (see `layouts` for why).
    layouts::write(&mut pipe, &batch_deltas(batch), now);
    let _: () = pipe.query_async(con).await?;
    Ok(())
}
