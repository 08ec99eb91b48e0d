//! Writes on Redis: pushes, acknowledgements with their retry/dead/stat side
//! effects, requeues, the scheduler's moves, orphan recovery and heartbeats.

use std::collections::BTreeMap;

use redis::aio::ConnectionManager;

use super::scripts::{parse_wip_key, wip_key, ACK, MOVE_DUE, RECOVER, REQUEUE, WIP_REGISTRY};
use crate::engine::clock::utc_date;
use crate::engine::job::{float_value, Job};
use crate::engine::store::metrics::{batch_deltas, METRICS_KEEP_SECS};
use crate::engine::store::{
    Completion, DeadLimits, EntryKey, Heartbeat, LocalHost, Outcome, Result, SetKind, SortedEntry,
    UnitOfWork,
};

/// Daily stat keys live five years, as Sidekiq's `STATS_TTL`.
const STATS_TTL: u64 = 5 * 365 * 24 * 60 * 60;
/// sidekiq-failures' default `failures_max_count`.
const FAILURES_MAX: i64 = 1000;
/// Length of the recent-jobs feed.
pub const RECENT_MAX: i64 = 1000;
pub const RECENT_KEY: &str = "kiqlab:recent";
/// Sidekiq 7 per-minute metrics expire after 8 hours.
const METRICS_TTL: i64 = METRICS_KEEP_SECS;

pub async fn push(con: &mut ConnectionManager, jobs: &[Job]) -> Result<()> {
    if jobs.is_empty() {
        return Ok(());
    }
    let mut now_by_queue: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    let mut scheduled: Vec<(f64, String)> = Vec::new();
    for job in jobs {
        match job.at() {
            Some(at) => {
                let mut j = job.clone();
                j.remove("at");
                scheduled.push((at, j.to_json()));
            }
            None => now_by_queue
                .entry(job.queue().as_str())
                .or_default()
                .push(job.to_json()),
        }
    }
    let mut pipe = redis::pipe();
    pipe.atomic();
    for (queue, payloads) in &now_by_queue {
        pipe.cmd("SADD").arg("queues").arg(*queue).ignore();
        pipe.cmd("LPUSH")
            .arg(format!("queue:{queue}"))
            .arg(payloads)
            .ignore();
    }
    if !scheduled.is_empty() {
        let mut z = redis::cmd("ZADD");
        z.arg("schedule");
        for (at, json) in &scheduled {
            z.arg(score_arg(*at)).arg(json);
        }
        pipe.add_command(z).ignore();
    }
    let _: () = pipe.query_async(con).await?;
    Ok(())
}

/// A score as Sidekiq writes it (`Float#to_s`).
fn score_arg(score: f64) -> String {
    crate::engine::store::format_score(score)
}

fn add_dead(pipe: &mut redis::Pipeline, json: &str, now: f64, limits: DeadLimits) {
    pipe.cmd("ZADD")
        .arg("dead")
        .arg(score_arg(now))
        .arg(json)
        .ignore();
    trim_dead(pipe, now, limits);
}

/// Trims the dead set to its limits, as Sidekiq does after each kill.
pub(crate) fn trim_dead(pipe: &mut redis::Pipeline, now: f64, limits: DeadLimits) {
    pipe.cmd("ZREMRANGEBYSCORE")
        .arg("dead")
        .arg("-inf")
        .arg(format!("({}", score_arg(now - limits.timeout_secs)))
        .ignore();
    let keep = i64::try_from(limits.max_jobs).unwrap_or(i64::MAX);
    pipe.cmd("ZREMRANGEBYRANK")
        .arg("dead")
        .arg(0)
        .arg(-(keep + 1))
        .ignore();
}

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
            .arg(c.unit.raw.as_ref())
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

/// The entry sidekiq-failures keeps for a failed execution: the job with its
/// error fields, plus `processor` (host:pid).
pub(crate) fn failure_json(c: &Completion) -> Option<String> {
    let record = c.record.as_ref()?;
    let mut job = match &c.outcome {
        Outcome::Done => return None,
        Outcome::Retry { job, .. } => job.clone(),
        Outcome::Dead { job_json } => Job::parse(job_json).ok()?,
        Outcome::Discard => {
            let raw = std::str::from_utf8(&c.unit.raw).ok()?;
            let mut job = Job::parse(raw).ok()?;
            if let Some(e) = &record.error {
                job.set("error_message", serde_json::Value::from(e.as_str()));
            }
            job
        }
    };
    job.set(
        "processor",
        serde_json::Value::from(format!("{}:{}", record.host, record.pid)),
    );
    job.set(
        "failed_at",
        float_value(record.started_at + record.duration_ms / 1000.0),
    );
    Some(job.to_json())
}

pub async fn requeue(
    con: &mut ConnectionManager,
    identity: &str,
    units: Vec<UnitOfWork>,
) -> Result<()> {
    if units.is_empty() {
        return Ok(());
    }
    let mut pipe = redis::pipe();
    // Reverse, so the oldest ends up at the tail and is fetched first.
    for u in units.iter().rev() {
        pipe.cmd("EVAL")
            .arg(REQUEUE)
            .arg(2)
            .arg(wip_key(identity, u.queue.as_str()))
            .arg(format!("queue:{}", u.queue))
            .arg(u.raw.as_ref())
            .ignore();
    }
    let _: () = pipe.query_async(con).await?;
    Ok(())
}

/// Moves due jobs from `retry` then `schedule` into their queues, in batches
/// of 100, each move atomic (a ZREM that fails means someone else moved it).
pub async fn enqueue_due(con: &mut ConnectionManager, now: f64) -> Result<usize> {
    const BATCH: usize = 100;
    let mut moved = 0;
    for set in ["retry", "schedule"] {
        loop {
            let due: Vec<Vec<u8>> = redis::cmd("ZRANGEBYSCORE")
                .arg(set)
                .arg("-inf")
                .arg(score_arg(now))
                .arg("LIMIT")
                .arg(0)
                .arg(BATCH)
                .query_async(con)
                .await?;
            if due.is_empty() {
                break;
            }
            let mut pipe = redis::pipe();
            for member in &due {
                match Job::from_bytes(member, usize::MAX) {
                    Ok(mut job) => {
                        job.set_time("enqueued_at", now);
                        if job.created_at().is_none() {
                            job.set_time("created_at", now);
                        }
                        pipe.cmd("EVAL")
                            .arg(MOVE_DUE)
                            .arg(2)
                            .arg(set)
                            .arg(format!("queue:{}", job.queue()))
                            .arg(member)
                            .arg(job.to_json())
                            .arg(job.queue().as_str());
                    }
                    Err(e) => {
                        // Unusable entry: move it to the dead set rather than
                        // retrying it forever.
                        tracing::warn!(set, error = %e, "malformed entry in sorted set; moving it to dead");
                        pipe.cmd("ZADD")
                            .arg("dead")
                            .arg(score_arg(now))
                            .arg(member)
                            .ignore();
                        pipe.cmd("ZREM").arg(set).arg(member).ignore();
                    }
                }
            }
            let results: Vec<i64> = pipe.query_async(con).await?;
            moved += results.iter().filter(|r| **r == 1).count();
            if due.len() < BATCH {
                break;
            }
        }
    }
    Ok(moved)
}

pub async fn recover_orphans(con: &mut ConnectionManager, local: &LocalHost) -> Result<usize> {
    let keys: Vec<String> = redis::cmd("SMEMBERS")
        .arg(WIP_REGISTRY)
        .query_async(con)
        .await?;
    let mut by_identity: BTreeMap<&str, Vec<(&str, &str)>> = BTreeMap::new();
    for k in &keys {
        if let Some((identity, queue)) = parse_wip_key(k) {
            by_identity.entry(identity).or_default().push((k, queue));
        }
    }
    let mut total = 0usize;
    for (identity, lists) in by_identity {
        let info: Option<String> = redis::cmd("HGET")
            .arg(identity)
            .arg("info")
            .query_async(con)
            .await?;
        let force = match &info {
            None => true,
            Some(info) => serde_json::from_str(info)
                .map(|v| local.is_dead_locally(&v))
                .unwrap_or(false),
        };
        if !force {
            continue;
        }
        for (wip, queue) in lists {
            let n: i64 = RECOVER
                .key(wip)
                .key(format!("queue:{queue}"))
                .key(WIP_REGISTRY)
                .key(identity)
                .arg(if force { "1" } else { "0" })
                .arg(queue)
                .invoke_async(con)
                .await?;
            if n > 0 {
                tracing::warn!(
                    identity,
                    queue,
                    jobs = n,
                    "recovered jobs of a dead process"
                );
                total += n as usize;
            }
        }
        if info.is_some() {
            // Known dead on this machine: drop it from the Busy page now.
            forget_process(con, identity).await?;
        }
    }
    Ok(total)
}

async fn forget_process(con: &mut ConnectionManager, identity: &str) -> Result<()> {
    let _: () = redis::pipe()
        .atomic()
        .cmd("SREM")
        .arg("processes")
        .arg(identity)
        .ignore()
        .cmd("UNLINK")
        .arg(identity)
        .arg(format!("{identity}:work"))
        .arg(format!("{identity}:workers"))
        .ignore()
        .query_async(con)
        .await?;
    Ok(())
}

pub async fn heartbeat(con: &mut ConnectionManager, beat: &Heartbeat) -> Result<Option<String>> {
    let id = &beat.identity;
    let mut pipe = redis::pipe();
    pipe.atomic();
    // Sidekiq 6.4.2+ reads `:work`, 6.4.1 and earlier `:workers`.
    for suffix in ["work", "workers"] {
        let key = format!("{id}:{suffix}");
        pipe.cmd("UNLINK").arg(&key).ignore();
        if !beat.work.is_empty() {
            let mut h = redis::cmd("HSET");
            h.arg(&key);
            for (tid, json) in &beat.work {
                h.arg(tid).arg(json);
            }
            pipe.add_command(h).ignore();
            pipe.cmd("EXPIRE").arg(&key).arg(beat.ttl_secs).ignore();
        }
    }
    pipe.cmd("SADD").arg("processes").arg(id).ignore();
    pipe.cmd("HSET")
        .arg(id)
        .arg("info")
        .arg(&beat.info_json)
        .arg("busy")
        .arg(beat.busy)
        .arg("beat")
        .arg(score_arg(beat.beat))
        .arg("quiet")
        .arg(if beat.quiet { "true" } else { "false" })
        .arg("rss")
        .arg(beat.rss_kb)
        .arg("rtt_us")
        .arg(beat.rtt_us)
        .ignore();
    pipe.cmd("EXPIRE").arg(id).arg(beat.ttl_secs).ignore();
    pipe.cmd("RPOP").arg(format!("{id}-signals"));
    let (signal,): (Option<String>,) = pipe.query_async(con).await?;
    Ok(signal)
}

pub async fn clear_heartbeat(con: &mut ConnectionManager, identity: &str) -> Result<()> {
    // Return anything still held (normally nothing after a clean stop).
    let keys: Vec<String> = redis::cmd("SMEMBERS")
        .arg(WIP_REGISTRY)
        .query_async(con)
        .await?;
    for k in &keys {
        if let Some((id, queue)) = parse_wip_key(k) {
            if id == identity {
                let _: i64 = RECOVER
                    .key(k)
                    .key(format!("queue:{queue}"))
                    .key(WIP_REGISTRY)
                    .key(identity)
                    .arg("1")
                    .arg(queue)
                    .invoke_async(con)
                    .await?;
            }
        }
    }
    forget_process(con, identity).await
}

/// Finds `<score>-<jid>` as Sidekiq::Web does (ZRANGEBYSCORE score score, then
/// match the jid) and removes it.
pub async fn take_entry(
    con: &mut ConnectionManager,
    set: SetKind,
    key: &EntryKey,
) -> Result<Option<SortedEntry>> {
    find_or_take(con, set, key, true).await
}

/// Finds `<score>-<jid>` by score, then jid; removes it when `take`.
pub async fn find_or_take(
    con: &mut ConnectionManager,
    set: SetKind,
    key: &EntryKey,
    take: bool,
) -> Result<Option<SortedEntry>> {
    let score = score_arg(key.score);
    let members: Vec<(Vec<u8>, f64)> = redis::cmd("ZRANGEBYSCORE")
        .arg(set.key())
        .arg(&score)
        .arg(&score)
        .arg("WITHSCORES")
        .query_async(con)
        .await?;
    for (member, s) in members {
        let entry = SortedEntry::new(s, String::from_utf8_lossy(&member).into_owned());
        if entry.jid() != key.jid {
            continue;
        }
        if !take {
            return Ok(Some(entry));
        }
        let removed: i64 = redis::cmd("ZREM")
            .arg(set.key())
            .arg(&member)
            .query_async(con)
            .await?;
        if removed == 1 {
            return Ok(Some(entry));
        }
    }
    Ok(None)
}

pub async fn add_entry(
    con: &mut ConnectionManager,
    set: SetKind,
    score: f64,
    job: &Job,
    limits: DeadLimits,
) -> Result<()> {
    let mut pipe = redis::pipe();
    pipe.atomic();
    let json = job.to_json();
    if set == SetKind::Dead {
        add_dead(&mut pipe, &json, score, limits);
    } else {
        pipe.cmd("ZADD")
            .arg(set.key())
            .arg(score_arg(score))
            .arg(&json)
            .ignore();
    }
    let _: () = pipe.query_async(con).await?;
    Ok(())
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
