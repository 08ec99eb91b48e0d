//! The usage meter in SQLite: two rows of the `counters` table,
//! `kiqlab:usage:since_ms` (set once) and `kiqlab:usage:worker_ms`.

use rusqlite::{OptionalExtension, Transaction};

use crate::engine::store::{Result, WorkerTime};

const SINCE: &str = "kiqlab:usage:since_ms";
const WORKER_MS: &str = "kiqlab:usage:worker_ms";

fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

pub fn add(tx: &Transaction<'_>, ms: u64, now_ms: u64) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO counters(name, value) VALUES (?1, ?2) ON CONFLICT(name) DO NOTHING",
    )?
    .execute((SINCE, to_i64(now_ms)))?;
    tx.prepare_cached(
        "INSERT INTO counters(name, value) VALUES (?1, ?2)
         ON CONFLICT(name) DO UPDATE SET value = value + excluded.value",
    )?
    .execute((WORKER_MS, to_i64(ms)))?;
    Ok(())
}

pub fn get(tx: &Transaction<'_>) -> Result<Option<WorkerTime>> {
    let mut stmt = tx.prepare_cached("SELECT value FROM counters WHERE name = ?1")?;
    let since: Option<i64> = stmt.query_row([SINCE], |r| r.get(0)).optional()?;
    let worker: Option<i64> = stmt.query_row([WORKER_MS], |r| r.get(0)).optional()?;
    Ok(since.map(|s| WorkerTime {
        since_ms: u64::try_from(s).unwrap_or(0),
        worker_ms: worker.and_then(|w| u64::try_from(w).ok()).unwrap_or(0),
    }))
}

pub fn reset(tx: &Transaction<'_>) -> Result<()> {
    tx.prepare_cached("DELETE FROM counters WHERE name IN (?1, ?2)")?
        .execute((SINCE, WORKER_MS))?;
    Ok(())
}
