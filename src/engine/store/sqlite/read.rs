//! Reads for `kiqlab stats` and the dashboard, shaped like Sidekiq's API
//! (`Stats`, `Queue`, `JobSet`, `Stats::History`), plus the recent-jobs feed,
//! per-class metrics and the database's own figures. All run on read
//! connections, each in one snapshot.

use rusqlite::{params, OptionalExtension, Transaction};
use serde::Serialize;

use super::procs::busy_totals;
use crate::engine::clock::utc_date;
use crate::engine::job::Job;
use crate::engine::queue::QueueName;
use crate::engine::store::metrics::{minute_of, ClassMinute, Histogram, BUCKETS};
use crate::engine::store::{
    DayStat, JobRecord, QueueSummary, QueuedJob, Result, SetKind, SortedEntry, Stats,
};

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
        let Ok(name) = QueueName::parse(&n) else {
            continue;
        };
        let count: i64 = size.query_row([&n], |r| r.get(0))?;
        let next: Option<String> = head.query_row([&n], |r| r.get(0)).optional()?;
        out.push(QueueSummary {
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

pub fn queue_jobs(
    tx: &Transaction<'_>,
    queue: &QueueName,
    offset: u64,
    limit: u64,
    newest_first: bool,
) -> Result<Vec<QueuedJob>> {
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
pub fn set_entries(
    tx: &Transaction<'_>,
    set: SetKind,
    offset: u64,
    limit: u64,
    newest_first: bool,
    filter: Option<&str>,
) -> Result<Vec<SortedEntry>> {
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
    let filter = filter.filter(|f| !f.is_empty());
    let rows: Vec<(f64, String)> = tx
        .prepare_cached(&sql)?
        .query_map(
            params![set.key(), filter, sql_i64(limit), sql_i64(offset)],
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

/// The database's own figures, for the dashboard's store panel.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SqliteInfo {
    pub path: String,
    pub file_bytes: u64,
    pub wal_bytes: u64,
    pub page_size: u64,
    pub page_count: u64,
    pub freelist_count: u64,
    pub schema_version: i64,
    pub sqlite_version: String,
    /// Jobs per state (`ready`, `claimed`, `schedule`, `retry`, `dead`, `failed`).
    pub jobs: Vec<(String, u64)>,
    pub queues: u64,
    pub processes: u64,
    pub recent: u64,
}

impl SqliteInfo {
    /// As `(name, value)` pairs, like `RedisStore::info`.
    pub fn pairs(&self) -> Vec<(String, String)> {
        let mut out = vec![
            ("path".to_owned(), self.path.clone()),
            ("sqlite_version".to_owned(), self.sqlite_version.clone()),
            ("schema_version".to_owned(), self.schema_version.to_string()),
            ("file_bytes".to_owned(), self.file_bytes.to_string()),
            ("wal_bytes".to_owned(), self.wal_bytes.to_string()),
            ("page_size".to_owned(), self.page_size.to_string()),
            ("page_count".to_owned(), self.page_count.to_string()),
            ("freelist_count".to_owned(), self.freelist_count.to_string()),
            ("queues".to_owned(), self.queues.to_string()),
            ("processes".to_owned(), self.processes.to_string()),
            ("recent".to_owned(), self.recent.to_string()),
        ];
        out.extend(
            self.jobs
                .iter()
                .map(|(s, n)| (format!("jobs_{s}"), n.to_string())),
        );
        out
    }
}

/// Everything but the file sizes, which the caller fills in.
pub fn info(tx: &Transaction<'_>) -> Result<SqliteInfo> {
    let pragma = |name: &str| -> Result<i64> {
        Ok(tx.query_row(&format!("PRAGMA {name}"), [], |r| r.get(0))?)
    };
    let count = |sql: &str| -> Result<u64> {
        let n: i64 = tx.query_row(sql, [], |r| r.get(0))?;
        Ok(n.max(0) as u64)
    };
    // One indexed count per state (a GROUP BY would scan the whole table).
    let mut jobs: Vec<(String, u64)> = vec![
        (
            "claimed".to_owned(),
            count("SELECT count(*) FROM jobs WHERE state = 'claimed'")?,
        ),
        (
            "ready".to_owned(),
            count("SELECT count(*) FROM jobs WHERE state = 'ready'")?,
        ),
    ];
    for set in SetKind::ALL {
        let n: i64 = tx
            .prepare_cached("SELECT count(*) FROM jobs WHERE state = ?1 AND score IS NOT NULL")?
            .query_row([set.key()], |r| r.get(0))?;
        jobs.push((set.key().to_owned(), n.max(0) as u64));
    }
    jobs.retain(|(_, n)| *n > 0);
    jobs.sort();
    Ok(SqliteInfo {
        path: String::new(),
        file_bytes: 0,
        wal_bytes: 0,
        page_size: pragma("page_size")?.max(0) as u64,
        page_count: pragma("page_count")?.max(0) as u64,
        freelist_count: pragma("freelist_count")?.max(0) as u64,
        schema_version: pragma("user_version")?,
        sqlite_version: rusqlite::version().to_owned(),
        jobs,
        queues: count("SELECT count(*) FROM queues")?,
        processes: busy_totals(tx)?.0,
        recent: count("SELECT count(*) FROM recent")?,
    })
}
