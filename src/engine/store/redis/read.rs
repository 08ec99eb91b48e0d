//! Reads on Redis, shaped like Sidekiq's API (`Stats`, `Queue`, `JobSet`,
//! `ProcessSet`, `WorkSet`, `Stats::History`).

use redis::aio::ConnectionManager;

use crate::engine::clock::utc_date;
use crate::engine::job::Job;
use crate::engine::queue::QueueName;
use crate::engine::store::{
    DayStat, ProcessRecord, QueueSummary, QueuedJob, Result, SetKind, SortedEntry, Stats,
    WorkRecord,
};

pub async fn stats(con: &mut ConnectionManager, now: f64) -> Result<Stats> {
    let (processed, failed, scheduled, retries, dead): (
        Option<u64>,
        Option<u64>,
        u64,
        u64,
        u64,
    ) = redis::pipe()
        .cmd("GET")
        .arg("stat:processed")
        .cmd("GET")
        .arg("stat:failed")
        .cmd("ZCARD")
        .arg("schedule")
        .cmd("ZCARD")
        .arg("retry")
        .cmd("ZCARD")
        .arg("dead")
        .query_async(con)
        .await?;
    let procs = processes(con).await?;
    let queues = queues(con, now).await?;
    Ok(Stats {
        processed: processed.unwrap_or(0),
        failed: failed.unwrap_or(0),
        busy: procs.iter().map(|p| p.busy).sum(),
        processes: procs.len() as u64,
        enqueued: queues.iter().map(|q| q.size).sum(),
        scheduled,
        retries,
        dead,
        queues,
    })
}

pub async fn queues(con: &mut ConnectionManager, now: f64) -> Result<Vec<QueueSummary>> {
    let mut names: Vec<String> = redis::cmd("SMEMBERS")
        .arg("queues")
        .query_async(con)
        .await?;
    names.sort();
    let names: Vec<QueueName> = names
        .iter()
        .filter_map(|n| QueueName::parse(n).ok())
        .collect();
    if names.is_empty() {
        return Ok(Vec::new());
    }
    let mut pipe = redis::pipe();
    for q in &names {
        let key = format!("queue:{q}");
        pipe.cmd("LLEN").arg(&key).cmd("LINDEX").arg(&key).arg(-1);
    }
    let replies: Vec<(u64, Option<String>)> = {
        let flat: Vec<redis::Value> = pipe.query_async(con).await?;
        let mut out = Vec::with_capacity(names.len());
        let mut it = flat.into_iter();
        while let (Some(len), Some(last)) = (it.next(), it.next()) {
            out.push((
                redis::from_redis_value(len)?,
                redis::from_redis_value(last)?,
            ));
        }
        out
    };
    Ok(names
        .into_iter()
        .zip(replies)
        .map(|(name, (size, last))| QueueSummary {
            name,
            size,
            latency_s: last
                .and_then(|raw| Job::parse(&raw).ok())
                .and_then(|j| j.enqueued_at())
                .map(|t| (now - t).max(0.0))
                .unwrap_or(0.0),
        })
        .collect())
}

pub async fn queue_jobs(
    con: &mut ConnectionManager,
    queue: &QueueName,
    offset: u64,
    limit: u64,
    newest_first: bool,
) -> Result<Vec<QueuedJob>> {
    if limit == 0 {
        return Ok(Vec::new());
    }
    let key = format!("queue:{queue}");
    let offset = i64::try_from(offset).unwrap_or(i64::MAX / 2);
    let limit = i64::try_from(limit).unwrap_or(i64::MAX / 2);
    // The head (index 0) is the newest; the tail (-1) runs next.
    let (start, stop) = if newest_first {
        (offset, offset + limit - 1)
    } else {
        (-(offset + limit), -(offset + 1))
    };
    let mut raws: Vec<String> = redis::cmd("LRANGE")
        .arg(&key)
        .arg(start)
        .arg(stop)
        .query_async(con)
        .await?;
    if !newest_first {
        raws.reverse();
    }
    Ok(raws.into_iter().map(QueuedJob::new).collect())
}

/// Escapes glob characters for `ZSCAN MATCH`.
fn glob_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    for c in s.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

pub async fn set_entries(
    con: &mut ConnectionManager,
    set: SetKind,
    offset: u64,
    limit: u64,
    newest_first: bool,
    filter: Option<&str>,
) -> Result<Vec<SortedEntry>> {
    if limit == 0 {
        return Ok(Vec::new());
    }
    let key = set.key();
    match filter.filter(|f| !f.is_empty()) {
        None => {
            let start = i64::try_from(offset).unwrap_or(i64::MAX / 2);
            let stop = start + i64::try_from(limit).unwrap_or(i64::MAX / 2) - 1;
            let cmd = if newest_first { "ZREVRANGE" } else { "ZRANGE" };
            let items: Vec<(String, f64)> = redis::cmd(cmd)
                .arg(key)
                .arg(start)
                .arg(stop)
                .arg("WITHSCORES")
                .query_async(con)
                .await?;
            Ok(items
                .into_iter()
                .map(|(m, s)| SortedEntry::new(s, m))
                .collect())
        }
        Some(f) => {
            let pattern = format!("*{}*", glob_escape(f));
            let mut cursor: u64 = 0;
            let mut found: Vec<(String, f64)> = Vec::new();
            loop {
                let (next, batch): (u64, Vec<(String, f64)>) = redis::cmd("ZSCAN")
                    .arg(key)
                    .arg(cursor)
                    .arg("MATCH")
                    .arg(&pattern)
                    .arg("COUNT")
                    .arg(1000)
                    .query_async(con)
                    .await?;
                found.extend(batch);
                cursor = next;
                if cursor == 0 {
                    break;
                }
            }
            found.sort_by(|a, b| a.1.total_cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
            if newest_first {
                found.reverse();
            }
            Ok(found
                .into_iter()
                .skip(usize::try_from(offset).unwrap_or(usize::MAX))
                .take(usize::try_from(limit).unwrap_or(usize::MAX))
                .map(|(m, s)| SortedEntry::new(s, m))
                .collect())
        }
    }
}

type ProcFields = (
    Option<String>,
    Option<u64>,
    Option<f64>,
    Option<String>,
    Option<u64>,
    Option<u64>,
);

/// Live processes; members whose heartbeat hash has expired are removed from
/// `processes`, as `Sidekiq::ProcessSet#cleanup` does.
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
            .arg("busy")
            .arg("beat")
            .arg("quiet")
            .arg("rss")
            .arg("rtt_us");
    }
    let rows: Vec<ProcFields> = pipe.query_async(con).await?;
    let mut out = Vec::new();
    let mut gone = Vec::new();
    for (id, (info, busy, beat, quiet, rss, rtt)) in ids.into_iter().zip(rows) {
        let Some(info) = info.and_then(|i| serde_json::from_str(&i).ok()) else {
            gone.push(id);
            continue;
        };
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
        let _: () = redis::cmd("SREM")
            .arg("processes")
            .arg(&gone)
            .query_async(con)
            .await?;
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

pub async fn history(con: &mut ConnectionManager, now: f64, days: u32) -> Result<Vec<DayStat>> {
    let dates: Vec<String> = (0..days)
        .map(|i| utc_date(now - f64::from(i) * 86_400.0))
        .collect();
    if dates.is_empty() {
        return Ok(Vec::new());
    }
    let mut pipe = redis::pipe();
    pipe.cmd("MGET")
        .arg(dates.iter().map(|d| format!("stat:processed:{d}")).collect::<Vec<_>>());
    pipe.cmd("MGET")
        .arg(dates.iter().map(|d| format!("stat:failed:{d}")).collect::<Vec<_>>());
    let (p, f): (Vec<Option<u64>>, Vec<Option<u64>>) = pipe.query_async(con).await?;
    Ok(dates
        .into_iter()
        .zip(p.into_iter().zip(f))
        .map(|(date, (p, f))| DayStat {
            date,
            processed: p.unwrap_or(0),
            failed: f.unwrap_or(0),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_chars_are_escaped() {
        assert_eq!(glob_escape("a*b?[c]\\"), "a\\*b\\?\\[c\\]\\\\");
    }
}
