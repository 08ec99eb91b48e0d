//! The process registry on Redis: heartbeats (and the signals they pick
//! up), clearing them, returning the held jobs of dead processes to their
//! queues, and reading it back as `Sidekiq::ProcessSet` and `WorkSet` do.

use std::collections::BTreeMap;

use redis::aio::ConnectionManager;

use super::scripts::{parse_wip_key, RECOVER, WIP_REGISTRY};
use super::write::score_arg;
use crate::engine::store::{Heartbeat, LocalHost, ProcessRecord, Result, WorkRecord};

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
        .arg("concurrency")
        .arg(beat.concurrency)
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

type ProcFields = (
    Option<String>,
    Option<u64>,
    Option<u64>,
    Option<f64>,
    Option<String>,
    Option<u64>,
    Option<u64>,
);

/// Sidekiq 7's `ProcessSet#cleanup` lock: whoever sets it prunes, at most
/// once a minute across every reader of this Redis.
const CLEANUP_LOCK: &str = "process_cleanup";
const CLEANUP_LOCK_SECS: u64 = 60;

/// Live processes, as `Sidekiq::ProcessSet` reads them: the hash's own
/// `concurrency` field (Sidekiq 8's) overrides `info.concurrency`. Members
/// whose heartbeat hash has expired are left out, and removed from
/// `processes` only by the reader that wins Sidekiq 7's `process_cleanup`
/// lock (`SET NX EX 60`), so kiqlab, 7.x and 8.x prune at most once a minute
/// between them (6.x, which prunes on every read, takes no lock).
pub async fn processes(con: &mut ConnectionManager) -> Result<Vec<ProcessRecord>> {
    let mut ids: Vec<String> = redis::cmd("SMEMBERS")
        .arg("processes")
        .query_async(con)
        .await?;
    ids.sort();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut pipe = redis::pipe();
    for id in &ids {
        pipe.cmd("HMGET")
            .arg(id)
            .arg("info")
            .arg("concurrency")
            .arg("busy")
            .arg("beat")
            .arg("quiet")
            .arg("rss")
            .arg("rtt_us");
    }
    let rows: Vec<ProcFields> = pipe.query_async(con).await?;
    let mut out = Vec::new();
    let mut gone = Vec::new();
    for (id, (info, concurrency, busy, beat, quiet, rss, rtt)) in ids.into_iter().zip(rows) {
        let Some(mut info) = info.and_then(|i| serde_json::from_str::<serde_json::Value>(&i).ok())
        else {
            gone.push(id);
            continue;
        };
        if let (Some(c), Some(obj)) = (concurrency, info.as_object_mut()) {
            obj.insert("concurrency".into(), c.into());
        }
        out.push(ProcessRecord {
            identity: id,
            info,
            busy: busy.unwrap_or(0),
            beat: beat.unwrap_or(0.0),
            quiet: quiet.as_deref() == Some("true"),
            rss_kb: rss.unwrap_or(0),
            rtt_us: rtt.unwrap_or(0),
        });
    }
    if !gone.is_empty() {
        let won: Option<String> = redis::cmd("SET")
            .arg(CLEANUP_LOCK)
            .arg("1")
            .arg("NX")
            .arg("EX")
            .arg(CLEANUP_LOCK_SECS)
            .query_async(con)
            .await?;
        if won.is_some() {
            let _: () = redis::cmd("SREM")
                .arg("processes")
                .arg(&gone)
                .query_async(con)
                .await?;
        }
    }
    Ok(out)
}

pub async fn work(con: &mut ConnectionManager) -> Result<Vec<WorkRecord>> {
    let procs = processes(con).await?;
    let mut out = Vec::new();
    for p in procs {
        let mut entries: Vec<(String, String)> = redis::cmd("HGETALL")
            .arg(format!("{}:work", p.identity))
            .query_async(con)
            .await?;
        if entries.is_empty() {
            entries = redis::cmd("HGETALL")
                .arg(format!("{}:workers", p.identity))
                .query_async(con)
                .await?;
        }
        out.extend(
            entries
                .iter()
                .filter_map(|(tid, json)| WorkRecord::parse(&p.identity, tid, json)),
        );
    }
    out.sort_by(|a, b| a.run_at.total_cmp(&b.run_at));
    Ok(out)
}
