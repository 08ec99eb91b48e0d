//! Processes on Redis: heartbeats, clearing them, and returning the held
//! jobs of dead processes to their queues.

use std::collections::BTreeMap;

use redis::aio::ConnectionManager;

use super::scripts::{parse_wip_key, RECOVER, WIP_REGISTRY};
use super::write::score_arg;
use crate::engine::store::{Heartbeat, LocalHost, Result};

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
