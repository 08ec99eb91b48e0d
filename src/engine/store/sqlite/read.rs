//! `ReadSide` on SQLite, shaped like Sidekiq's API (`Stats`, `Queue`,
//! `JobSet`, `Stats::History`), plus the recent-jobs feed and per-class
//! metrics. All run on read connections, each in one snapshot.

use async_trait::async_trait;
use rusqlite::{params, OptionalExtension, Transaction};

use super::procs::busy_totals;
use super::{admin, procs, SqliteStore};
use crate::engine::clock::utc_date;
use crate::engine::job::Job;
use crate::engine::queue::QueueName;
use crate::engine::store::metrics::{minute_of, ClassMinute, Histogram, BUCKETS};
use crate::engine::store::{
    DayStat, EntryKey, JobRecord, Page, ProcessRecord, QueueSummary, QueuedJob, ReadSide, Result,
    SetKind, SetQuery, SortedEntry, Stats, WorkRecord,
};

#[async_trait]
impl ReadSide for SqliteStore {
    async fn stats(&self, now: f64) -> Result<Stats> {
        self.read(move |tx| stats(tx, now)).await
    }

    async fn queues(&self, now: f64) -> Result<Vec<QueueSummary>> {
        self.read(move |tx| queues(tx, now)).await
    }

    async fn queue_jobs(&self, queue: &QueueName, page: Page) -> Result<Vec<QueuedJob>> {
        let queue = queue.clone();
        self.read(move |tx| queue_jobs(tx, &queue, page)).await
    }

    async fn set_size(&self, set: SetKind) -> Result<u64> {
        self.read(move |tx| set_size(tx, set)).await
    }

    async fn set_entries(&self, query: &SetQuery) -> Result<Vec<SortedEntry>> {
        let query = query.clone();
        self.read(move |tx| set_entries(tx, &query)).await
    }

    async fn find_entry(&self, set: SetKind, key: &EntryKey) -> Result<Option<SortedEntry>> {
        let key = key.clone();
        self.read(move |tx| admin::find_or_take(tx, set, &key, false))
            .await
    }

    async fn processes(&self, _now: f64) -> Result<Vec<ProcessRecord>> {
        let (live, expired) = self.read(procs::processes).await?;
        if expired {
            self.write(procs::prune).await?;
        }
        Ok(live)
    }

    async fn work(&self, _now: f64) -> Result<Vec<WorkRecord>> {
        self.read(procs::work).await
    }

    async fn history(&self, now: f64, days: u32) -> Result<Vec<DayStat>> {
        self.read(move |tx| history(tx, now, days)).await
    }

    async fn recent_jobs(&self, limit: u64, host: Option<&str>) -> Result<Vec<JobRecord>> {
        let host = host.map(str::to_owned);
        self.read(move |tx| recent_jobs(tx, limit, host.as_deref()))
            .await
    }

    async fn class_metrics(&self, since: f64, now: f64) -> Result<Vec<ClassMinute>> {
        self.read(move |tx| class_metrics(tx, since, now)).await
    }

    async fn class_histogram(&self, class: &str, since: f64, now: f64) -> Result<Histogram> {
        let class = class.to_owned();
        self.read(move |tx| class_histogram(tx, &class, since, now))
            .await
    }
}

pub fn counter(tx: &Transaction<'_>, name: &str) -> Result<u64> {
    let v: Option<i64> = tx
        .prepare_cached("SELECT value FROM counters WHERE name = ?1")?
        .query_row([name], |r| r.get(0))
        .optional()?;
    Ok(v.unwrap_or(0).max(0) as u64)
}

pub fn set_size(tx: &Transaction<'_>, set: SetKind) -> Result<u64> {
    let n: i64 = tx
        .prepare_cached("SELECT count(*) FROM jobs WHERE state = ?1 AND score IS NOT NULL")?
        .query_row([set.key()], |r| r.get(0))?;
    Ok(n.max(0) as u64)
}

pub fn stats(tx: &Transaction<'_>, now: f64) -> Result<Stats> {
    let (processes, busy) = busy_totals(tx)?;
    let queues = queues(tx, now)?;
    Ok(Stats {
        processed: counter(tx, "processed")?,
        failed: counter(tx, "failed")?,
        busy,
        processes,
        enqueued: queues.iter().map(|q| q.size).sum(),
        scheduled: set_size(tx, SetKind::Schedule)?,
        retries: set_size(tx, SetKind::Retry)?,
        dead: set_size(tx, SetKind::Dead)?,
        queues,
    })
}

pub fn queues(tx: &Transaction<'_>, now: f64) -> Result<Vec<QueueSummary>> {
    let names: Vec<String> = tx
        .prepare_cached("SELECT name FROM queues ORDER BY name")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut size =
        tx.prepare_cached("SELECT count(*) FROM jobs WHERE state = 'ready' AND queue = ?1")?;
    let mut head = tx.prepare_cached(
        "SELECT payload FROM jobs WHERE state = 'ready' AND queue = ?1 ORDER BY pos, id LIMIT 1",
    )?;
    let mut out = Vec::with_capacity(names.len());
    for n in names {
        let Some(name) = QueueName::foreign(&n) else {
            continue;
        };
        let count: i64 = size.query_row([&n], |r| r.get(0))?;
        let next: Option<String> = head.query_row([&n], |r| r.get(0)).optional()?;
        out.push(QueueSummary {
            odd: name.is_odd(),
            name,
            size: count.max(0) as u64,
            latency_s: next
                .and_then(|raw| Job::parse(&raw).ok())
                .and_then(|j| j.enqueued_at())
                .map(|t| (now - t).max(0.0))
                .unwrap_or(0.0),
        });
    }
    Ok(out)
}

fn sql_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

pub fn queue_jobs(tx: &Transaction<'_>, queue: &QueueName, page: Page) -> Result<Vec<QueuedJob>> {
    let Page {
        offset,
        limit,
        newest_first,
    } = page;
    let sql = if newest_first {
        "SELECT payload FROM jobs WHERE state = 'ready' AND queue = ?1
         ORDER BY pos DESC, id DESC LIMIT ?2 OFFSET ?3"
    } else {
        "SELECT payload FROM jobs WHERE state = 'ready' AND queue = ?1
         ORDER BY pos, id LIMIT ?2 OFFSET ?3"
    };
    let raws: Vec<String> = tx
        .prepare_cached(sql)?
        .query_map(
            params![queue.as_str(), sql_i64(limit), sql_i64(offset)],
            |r| r.get(0),
        )?
        .collect::<rusqlite::Result<_>>()?;
    Ok(raws.into_iter().map(QueuedJob::new).collect())
}

/// Entries by score (ties by payload bytes, as Redis orders members), with
/// an optional case-sensitive substring filter on the payload.
pub fn set_entries(tx: &Transaction<'_>, query: &SetQuery) -> Result<Vec<SortedEntry>> {
    let Page {
        offset,
        limit,
        newest_first,
    } = query.page;
    let order = if newest_first {
        "score DESC, payload DESC"
    } else {
        "score, payload"
    };
    let sql = format!(
        "SELECT score, payload FROM jobs WHERE state = ?1 AND score IS NOT NULL
         AND (?2 IS NULL OR instr(payload, ?2) > 0)
         ORDER BY {order} LIMIT ?3 OFFSET ?4"
    );
    let rows: Vec<(f64, String)> = tx
        .prepare_cached(&sql)?
        .query_map(
            params![
                query.set.key(),
                query.filter(),
                sql_i64(limit),
                sql_i64(offset)
            ],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows
        .into_iter()
        .map(|(s, raw)| SortedEntry::new(s, raw))
        .collect())
}

pub fn history(tx: &Transaction<'_>, now: f64, days: u32) -> Result<Vec<DayStat>> {
    (0..days)
        .map(|i| {
            let date = utc_date(now - f64::from(i) * 86_400.0);
            Ok(DayStat {
                processed: counter(tx, &format!("processed:{date}"))?,
                failed: counter(tx, &format!("failed:{date}"))?,
                date,
            })
        })
        .collect()
}

/// The newest `limit` execution records, newest first, optionally of one host.
pub fn recent_jobs(tx: &Transaction<'_>, limit: u64, host: Option<&str>) -> Result<Vec<JobRecord>> {
    let rows: Vec<String> = tx
        .prepare_cached(
            "SELECT record FROM recent WHERE ?2 IS NULL OR json_extract(record, '$.host') = ?2
             ORDER BY id DESC LIMIT ?1",
        )?
        .query_map(params![sql_i64(limit), host], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows
        .iter()
        .filter_map(|s| serde_json::from_str(s).ok())
        .collect())
}

pub fn class_metrics(tx: &Transaction<'_>, since: f64, now: f64) -> Result<Vec<ClassMinute>> {
    let rows = tx
        .prepare_cached(
            "SELECT minute, class, ms, executions, failures FROM metrics
             WHERE minute >= ?1 AND minute <= ?2 ORDER BY minute, class",
        )?
        .query_map([minute_of(since), minute_of(now)], |r| {
            Ok(ClassMinute {
                minute: r.get(0)?,
                class: r.get(1)?,
                ms: r.get::<_, i64>(2)?.max(0) as u64,
                executions: r.get::<_, i64>(3)?.max(0) as u64,
                failures: r.get::<_, i64>(4)?.max(0) as u64,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

pub fn class_histogram(
    tx: &Transaction<'_>,
    class: &str,
    since: f64,
    now: f64,
) -> Result<Histogram> {
    let mut out = [0u64; BUCKETS];
    let mut stmt = tx.prepare_cached(
        "SELECT bucket, sum(count) FROM histogram
         WHERE class = ?1 AND minute >= ?2 AND minute <= ?3 GROUP BY bucket",
    )?;
    let rows = stmt.query_map(params![class, minute_of(since), minute_of(now)], |r| {
        Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?))
    })?;
    for row in rows {
        let (bucket, n) = row?;
        if let Some(slot) = usize::try_from(bucket).ok().and_then(|b| out.get_mut(b)) {
            *slot += n.max(0) as u64;
        }
    }
    Ok(out)
}
