//! `ReadSide` on Redis, shaped like Sidekiq's API (`Stats`, `Queue`,
//! `JobSet`, `Stats::History`); `ProcessSet` and `WorkSet` are read in
//! `procs`, the feed and metrics in `feed`.

use async_trait::async_trait;
use redis::aio::ConnectionManager;

use super::{feed, procs, write, RedisStore};
use crate::engine::clock::utc_date;
use crate::engine::job::Job;
use crate::engine::queue::QueueName;
use crate::engine::store::{
    ClassMinute, DayStat, EntryKey, Histogram, JobRecord, Page, ProcessRecord, QueueSummary,
    QueuedJob, ReadSide, Result, SetKind, SetQuery, SortedEntry, Stats, WorkRecord,
};

#[async_trait]
impl ReadSide for RedisStore {
    async fn stats(&self, now: f64) -> Result<Stats> {
        self.healing(|mut c| async move { stats(&mut c, now).await })
            .await
    }

    async fn queues(&self, now: f64) -> Result<Vec<QueueSummary>> {
        self.healing(|mut c| async move { queues(&mut c, now).await })
            .await
    }

    async fn queue_jobs(&self, queue: &QueueName, page: Page) -> Result<Vec<QueuedJob>> {
        self.healing(|mut c| async move { queue_jobs(&mut c, queue, page).await })
            .await
    }

    async fn set_size(&self, set: SetKind) -> Result<u64> {
        self.healing(|mut c| async move {
            Ok(redis::cmd("ZCARD")
                .arg(set.key())
                .query_async(&mut c)
                .await?)
        })
        .await
    }

    async fn set_entries(&self, query: &SetQuery) -> Result<Vec<SortedEntry>> {
        self.healing(|mut c| async move { set_entries(&mut c, query).await })
            .await
    }

    async fn find_entry(&self, set: SetKind, key: &EntryKey) -> Result<Option<SortedEntry>> {
        self.healing(|mut c| async move { write::find_or_take(&mut c, set, key, false).await })
            .await
    }

    async fn processes(&self, _now: f64) -> Result<Vec<ProcessRecord>> {
        self.healing(|mut c| async move { procs::processes(&mut c).await })
            .await
    }

    async fn work(&self, _now: f64) -> Result<Vec<WorkRecord>> {
        self.healing(|mut c| async move { procs::work(&mut c).await })
            .await
    }

    async fn history(&self, now: f64, days: u32) -> Result<Vec<DayStat>> {
        self.healing(|mut c| async move { history(&mut c, now, days).await })
            .await
    }

    async fn recent_jobs(&self, limit: u64, host: Option<&str>) -> Result<Vec<JobRecord>> {
        self.healing(|mut c| async move { feed::recent_jobs(&mut c, limit, host).await })
            .await
    }

    async fn class_metrics(&self, since: f64, now: f64) -> Result<Vec<ClassMinute>> {
        self.healing(|mut c| async move { feed::class_metrics(&mut c, since, now).await })
            .await
    }

    async fn class_histogram(&self, class: &str, since: f64, now: f64) -> Result<Histogram> {
        self.healing(|mut c| async move { feed::class_histogram(&mut c, class, since, now).await })
            .await
    }
}

pub async fn stats(con: &mut ConnectionManager, now: f64) -> Result<Stats> {
    let (processed, failed, scheduled, retries, dead): (Option<u64>, Option<u64>, u64, u64, u64) =
        redis::pipe()
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
    let procs = procs::processes(con).await?;
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
    let raw: Vec<Vec<u8>> = redis::cmd("SMEMBERS")
        .arg("queues")
        .query_async(con)
        .await?;
    // A name that is not UTF-8 cannot be shown or addressed; it is skipped,
    // and does not hide the others.
    let mut names: Vec<String> = raw
        .into_iter()
        .filter_map(|n| String::from_utf8(n).ok())
        .collect();
    names.sort();
    let names: Vec<QueueName> = names.iter().filter_map(|n| QueueName::foreign(n)).collect();
    if names.is_empty() {
        return Ok(Vec::new());
    }
    let mut pipe = redis::pipe();
    for q in &names {
        let key = format!("queue:{q}");
        pipe.cmd("LLEN").arg(&key).cmd("LINDEX").arg(&key).arg(-1);
    }
    let replies: Vec<(u64, Option<Vec<u8>>)> = {
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
            odd: name.is_odd(),
            name,
            size,
            latency_s: last
                .and_then(|raw| Job::parse(&String::from_utf8_lossy(&raw)).ok())
                .and_then(|j| j.enqueued_at())
                .map(|t| (now - t).max(0.0))
                .unwrap_or(0.0),
        })
        .collect())
}

pub async fn queue_jobs(
    con: &mut ConnectionManager,
    queue: &QueueName,
    page: Page,
) -> Result<Vec<QueuedJob>> {
    let Page {
        offset,
        limit,
        newest_first,
    } = page;
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
    let mut raws: Vec<Vec<u8>> = redis::cmd("LRANGE")
        .arg(&key)
        .arg(start)
        .arg(stop)
        .query_async(con)
        .await?;
    if !newest_first {
        raws.reverse();
    }
    // Foreign clients may have written anything; show it rather than fail.
    Ok(raws
        .into_iter()
        .map(|r| QueuedJob::new(String::from_utf8_lossy(&r).into_owned()))
        .collect())
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
    query: &SetQuery,
) -> Result<Vec<SortedEntry>> {
    let Page {
        offset,
        limit,
        newest_first,
    } = query.page;
    if limit == 0 {
        return Ok(Vec::new());
    }
    let key = query.set.key();
    match query.filter() {
        None => {
            let start = i64::try_from(offset).unwrap_or(i64::MAX / 2);
            let stop = start + i64::try_from(limit).unwrap_or(i64::MAX / 2) - 1;
            let cmd = if newest_first { "ZREVRANGE" } else { "ZRANGE" };
            let items: Vec<(Vec<u8>, f64)> = redis::cmd(cmd)
                .arg(key)
                .arg(start)
                .arg(stop)
                .arg("WITHSCORES")
                .query_async(con)
                .await?;
            Ok(items
                .into_iter()
                .map(|(m, s)| SortedEntry::new(s, String::from_utf8_lossy(&m).into_owned()))
                .collect())
        }
        Some(f) => {
            let pattern = format!("*{}*", glob_escape(f));
            let mut cursor: u64 = 0;
            let mut found: Vec<(Vec<u8>, f64)> = Vec::new();
            loop {
                let (next, batch): (u64, Vec<(Vec<u8>, f64)>) = redis::cmd("ZSCAN")
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
                .map(|(m, s)| SortedEntry::new(s, String::from_utf8_lossy(&m).into_owned()))
                .collect())
        }
    }
}

pub async fn history(con: &mut ConnectionManager, now: f64, days: u32) -> Result<Vec<DayStat>> {
    let dates: Vec<String> = (0..days)
        .map(|i| utc_date(now - f64::from(i) * 86_400.0))
        .collect();
    if dates.is_empty() {
        return Ok(Vec::new());
    }
    let mut pipe = redis::pipe();
    pipe.cmd("MGET").arg(
        dates
            .iter()
            .map(|d| format!("stat:processed:{d}"))
            .collect::<Vec<_>>(),
    );
    pipe.cmd("MGET").arg(
        dates
            .iter()
            .map(|d| format!("stat:failed:{d}"))
            .collect::<Vec<_>>(),
    );
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
