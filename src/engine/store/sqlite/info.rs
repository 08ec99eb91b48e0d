//! The database's own figures for the dashboard's store panel: file and
//! WAL sizes, pages, schema and library versions, and row counts per state.

use rusqlite::Transaction;
use serde::Serialize;

use super::procs::busy_totals;
use crate::engine::store::{Result, SetKind};

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
