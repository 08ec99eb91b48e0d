//! Acknowledgements on SQLite, as `redis/ack.rs` does them: one transaction
//! per batch deletes (or refiles) the rows this process still holds, files
//! their retry, dead and sidekiq-failures entries, adds to the counters
//! (total and daily), and writes the recent-jobs feed and per-class metrics.

use rusqlite::{params, Transaction};

use super::worker::row_id;
use super::write::{insert_entry, trim_dead, trim_set};
use crate::engine::clock::utc_date;
use crate::engine::store::metrics::{batch_deltas, minute_of, METRICS_KEEP_SECS};
use crate::engine::store::{failure_json, queue_and_jid, Completion, DeadLimits, Outcome, Result};

/// sidekiq-failures' default `failures_max_count`.
const FAILURES_MAX: u64 = 1000;
/// Length of the recent-jobs feed.
pub const RECENT_MAX: i64 = 1000;

/// Turns this identity's claimed row `id` into a set entry, or inserts the
/// entry when the row is gone (it was recovered, or never held).
fn claimed_to_set(
    tx: &Transaction<'_>,
    identity: &str,
    id: i64,
    set: &str,
    score: f64,
    payload: &str,
) -> Result<bool> {
    let (queue, jid) = queue_and_jid(payload);
    let changed = tx
        .prepare_cached(
            "UPDATE jobs SET state = ?3, score = ?4, payload = ?5, queue = ?6, jid = ?7, pos = 0,
                 claimed_by = NULL, claimed_at = NULL
             WHERE id = ?1 AND state = 'claimed' AND claimed_by = ?2",
        )?
        .execute(params![id, identity, set, score, payload, queue, jid])?;
    Ok(changed > 0)
}

fn add_counter(tx: &Transaction<'_>, name: &str, n: u64) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO counters(name, value) VALUES (?1, ?2)
         ON CONFLICT(name) DO UPDATE SET value = value + excluded.value",
    )?
    .execute(params![name, i64::try_from(n).unwrap_or(i64::MAX)])?;
    Ok(())
}

/// Acknowledges a batch and records its outcomes.
pub fn complete(
    tx: &Transaction<'_>,
    identity: &str,
    batch: &[Completion],
    now: f64,
    limits: DeadLimits,
) -> Result<()> {
    let mut failed = 0u64;
    let mut any_dead = false;
    let mut failures = Vec::new();
    // Indexes of the completions this call acknowledged.
    let mut counted: Vec<usize> = Vec::new();
    let mut ack = tx.prepare_cached(
        "DELETE FROM jobs WHERE id = ?1 AND state = 'claimed' AND claimed_by = ?2",
    )?;
    let mut recent = tx.prepare_cached("INSERT INTO recent(record) VALUES (?1)")?;
    let mut processed = 0u64;
    for (i, c) in batch.iter().enumerate() {
        let id = row_id(&c.unit)?;
        // Side effects only for rows this process still holds, so a batch
        // sent twice (or a job recovered meanwhile) changes nothing.
        let held = match &c.outcome {
            Outcome::Done | Outcome::Discard => ack.execute(params![id, identity])? > 0,
            Outcome::Retry { job, at } => {
                claimed_to_set(tx, identity, id, "retry", *at, &job.to_json())?
            }
            Outcome::Dead { job_json } => {
                let held = claimed_to_set(tx, identity, id, "dead", now, job_json)?;
                any_dead |= held;
                held
            }
        };
        if !held {
            continue;
        }
        processed += 1;
        if c.failed() {
            failed += 1;
        }
        if let Some(f) = failure_json(c) {
            failures.push(f);
        }
        if let Some(r) = &c.record {
            if let Ok(s) = serde_json::to_string(r) {
                recent.execute([s])?;
            }
            counted.push(i);
        }
    }
    if any_dead {
        trim_dead(tx, now, limits)?;
    }
    let date = utc_date(now);
    for (name, n) in [("processed", processed), ("failed", failed)] {
        if n > 0 {
            add_counter(tx, name, n)?;
            add_counter(tx, &format!("{name}:{date}"), n)?;
        }
    }
    if !failures.is_empty() {
        for f in &failures {
            insert_entry(tx, "failed", now, f)?;
        }
        trim_set(tx, "failed", FAILURES_MAX)?;
    }
    if batch.iter().any(|c| c.record.is_some()) {
        tx.prepare_cached("DELETE FROM recent WHERE id <= (SELECT max(id) FROM recent) - ?1")?
            .execute([RECENT_MAX])?;
    }
    record_metrics(tx, counted.iter().map(|&i| &batch[i]), now)?;
    Ok(())
}

/// Adds a batch's per-class counters and histogram buckets to the current
/// minute (one upsert per class and bucket) and drops minutes older than 8 h.
fn record_metrics<'a>(
    tx: &Transaction<'_>,
    batch: impl IntoIterator<Item = &'a Completion>,
    now: f64,
) -> Result<()> {
    let deltas = batch_deltas(batch);
    if deltas.is_empty() {
        return Ok(());
    }
    let minute = minute_of(now);
    let mut up = tx.prepare_cached(
        "INSERT INTO metrics(minute, class, ms, executions, failures) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT(minute, class) DO UPDATE SET ms = ms + excluded.ms,
             executions = executions + excluded.executions, failures = failures + excluded.failures",
    )?;
    let mut hist = tx.prepare_cached(
        "INSERT INTO histogram(minute, class, bucket, count) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT(class, minute, bucket) DO UPDATE SET count = count + excluded.count",
    )?;
    let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    for (class, d) in &deltas {
        up.execute(params![
            minute,
            class,
            n(d.ms),
            n(d.executions),
            n(d.failures)
        ])?;
        for (bucket, count) in &d.buckets {
            hist.execute(params![minute, class, *bucket as i64, n(*count)])?;
        }
    }
    let oldest = minute - METRICS_KEEP_SECS;
    tx.prepare_cached("DELETE FROM metrics WHERE minute < ?1")?
        .execute([oldest])?;
    tx.prepare_cached("DELETE FROM histogram WHERE minute < ?1")?
        .execute([oldest])?;
    Ok(())
}
