//! Writes on Redis: pushes, requeues, the scheduler's moves, and finding an
//! entry of a sorted set by its key (and taking it out).

use std::collections::BTreeMap;

use redis::aio::ConnectionManager;

use super::scripts::{wip_key, MOVE_DUE, REQUEUE};
use super::worker::stored_bytes;
use crate::engine::job::Job;
use crate::engine::store::{
    DeadLimits, EncodedJob, EntryKey, Result, SetKind, SortedEntry, UnitOfWork,
};

pub async fn push(con: &mut ConnectionManager, jobs: &[EncodedJob]) -> Result<()> {
    if jobs.is_empty() {
        return Ok(());
    }
    let mut now_by_queue: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let mut scheduled: Vec<(f64, &str)> = Vec::new();
    for job in jobs {
        match job.at {
            Some(at) => scheduled.push((at, &job.payload)),
            None => now_by_queue
                .entry(job.queue.as_str())
                .or_default()
                .push(&job.payload),
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
            z.arg(score_arg(*at)).arg(*json);
        }
        pipe.add_command(z).ignore();
    }
    let _: () = pipe.query_async(con).await?;
    Ok(())
}

/// A score as Sidekiq writes it (`Float#to_s`).
pub(super) fn score_arg(score: f64) -> String {
    crate::engine::store::format_score(score)
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
            .arg(stored_bytes(u)?.as_ref())
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
