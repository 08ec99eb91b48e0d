//! Acknowledgements on Redis: one Lua call per batch that removes finished
//! jobs from the in-progress list and files their retry, dead and failure
//! entries and counters; then the recent-jobs feed and per-class metrics.

use redis::aio::ConnectionManager;

use super::scripts::{wip_key, ACK};
use super::worker::stored_bytes;
use super::write::score_arg;
use crate::engine::clock::utc_date;
use crate::engine::store::metrics::{batch_deltas, METRICS_KEEP_SECS};
use crate::engine::store::{failure_json, Completion, DeadLimits, Outcome, Result};

/// Daily stat keys live five years, as Sidekiq's `STATS_TTL`.
const STATS_TTL: u64 = 5 * 365 * 24 * 60 * 60;
/// sidekiq-failures' default `failures_max_count`.
const FAILURES_MAX: i64 = 1000;
/// Length of the recent-jobs feed.
pub const RECENT_MAX: i64 = 1000;
pub const RECENT_KEY: &str = "kiqlab:recent";
/// Sidekiq 7 per-minute metrics expire after 8 hours.
const METRICS_TTL: i64 = METRICS_KEEP_SECS;

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
    let deltas = batch_deltas(batch);
    if !deltas.is_empty() {
        let key = metrics_key(now);
        for (class, d) in &deltas {
            if d.ms > 0 {
                pipe.cmd("HINCRBY")
                    .arg(&key)
                    .arg(format!("{class}|ms"))
                    .arg(d.ms)
                    .ignore();
            }
            pipe.cmd("HINCRBY")
                .arg(&key)
                .arg(format!("{class}|p"))
                .arg(d.executions)
                .ignore();
            if d.failures > 0 {
                pipe.cmd("HINCRBY")
                    .arg(&key)
                    .arg(format!("{class}|f"))
                    .arg(d.failures)
                    .ignore();
            }
            if !d.buckets.is_empty() {
                // Sidekiq 7's histogram: saturating u16 counters per bucket.
                let hkey = histogram_key(class, now);
                let mut bf = redis::cmd("BITFIELD");
                bf.arg(&hkey).arg("OVERFLOW").arg("SAT");
                for (bucket, n) in &d.buckets {
                    bf.arg("INCRBY")
                        .arg("u16")
                        .arg(format!("#{bucket}"))
                        .arg(*n);
                }
                pipe.add_command(bf).ignore();
                pipe.cmd("EXPIRE").arg(&hkey).arg(METRICS_TTL).ignore();
            }
        }
        pipe.cmd("EXPIRE").arg(&key).arg(METRICS_TTL).ignore();
    }
    let _: () = pipe.query_async(con).await?;
    Ok(())
}

/// Sidekiq 7's per-minute metrics key, `j|YYYYMMDD|H:M` in UTC without padding.
pub fn metrics_key(now: f64) -> String {
    let t = chrono::DateTime::from_timestamp(now as i64, 0).unwrap_or_default();
    format!("j|{}", t.format("%Y%m%d|%-H:%-M"))
}

/// Sidekiq 7's per-minute histogram key of `class`: `Class-DD-HH:M` in UTC
/// (day and hour zero-padded, minute not).
pub fn histogram_key(class: &str, now: f64) -> String {
    let t = chrono::DateTime::from_timestamp(now as i64, 0).unwrap_or_default();
    format!("{class}-{}", t.format("%d-%H:%-M"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_key_is_unpadded_utc() {
        // 2024-01-15 09:05:30 UTC
        assert_eq!(metrics_key(1705309530.0), "j|20240115|9:5");
        assert_eq!(histogram_key("A", 1705309530.0), "A-15-09:5");
    }
}
