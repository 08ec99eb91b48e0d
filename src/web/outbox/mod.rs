//! The transactional outbox: the apps write a record and its job into
//! `web.db` in one transaction (`stage`), and the relay (`relay`) moves the
//! jobs to the job store, in order, deleting each row only once the store
//! has it. A record is therefore never without its job, even when the store
//! is down when it is saved; the price is at-least-once delivery into the
//! queue (see docs/reliability.md).
//!
//! - this file: the table's queries and `Outbox`, the handle the web node
//!   shares (wake the relay, wait briefly for a row to be relayed, backlog)
//! - `relay`: the task that sends rows to the store, with backoff

mod relay;

use std::sync::Arc;
use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension};
use tokio::sync::{watch, Notify};

pub use relay::{Relay, RelayConfig};

use super::db::{Db, DbError};
use crate::engine::job::Job;
use crate::web::timing::Mode;

/// Adds `job` to the outbox on `c` (the caller's transaction); returns its
/// row id, the order in which it is relayed.
pub fn add(c: &Connection, job: &Job, now: f64) -> Result<i64, DbError> {
    c.execute(
        "INSERT INTO outbox (jid, class, payload, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![job.jid(), job.class(), job.to_json(), now],
    )?;
    Ok(c.last_insert_rowid())
}

/// What an app's create or update path does with its job inside the record's
/// transaction: an async job goes into the outbox (its row id is returned),
/// a sync one is run inline after the commit, so nothing is staged.
pub fn stage(c: &Connection, job: &Job, mode: Mode) -> Result<Option<i64>, DbError> {
    match mode {
        Mode::Async => add(c, job, crate::engine::clock::now_secs()).map(Some),
        Mode::Sync => Ok(None),
    }
}

/// Rows waiting for the store.
pub fn backlog(c: &Connection) -> Result<u64, DbError> {
    Ok(c.query_row("SELECT COUNT(*) FROM outbox", [], |r| r.get(0))?)
}

/// Whether the job `jid` is still in the outbox (not yet in the queue).
pub fn is_waiting(c: &Connection, jid: &str) -> Result<bool, DbError> {
    Ok(
        c.query_row("SELECT 1 FROM outbox WHERE jid = ?1 LIMIT 1", [jid], |_| {
            Ok(())
        })
        .optional()?
        .is_some(),
    )
}

/// One row: its id and the payload's JSON.
#[derive(Debug, Clone)]
pub struct Row {
    pub id: i64,
    pub payload: String,
}

/// The oldest `limit` rows, oldest first.
pub fn oldest(c: &Connection, limit: usize) -> Result<Vec<Row>, DbError> {
    let mut stmt = c.prepare_cached("SELECT id, payload FROM outbox ORDER BY id LIMIT ?1")?;
    let rows = stmt.query_map([limit as i64], |r| {
        Ok(Row {
            id: r.get(0)?,
            payload: r.get(1)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Deletes the rows `ids` (the store has them), in one transaction.
pub fn remove(c: &mut Connection, ids: &[i64]) -> Result<(), DbError> {
    let tx = c.transaction()?;
    {
        let mut stmt = tx.prepare_cached("DELETE FROM outbox WHERE id = ?1")?;
        for id in ids {
            stmt.execute([id])?;
        }
    }
    tx.commit()?;
    Ok(())
}

/// Records a failed attempt on the rows `ids`.
pub fn note_failure(c: &Connection, ids: &[i64], error: &str) -> Result<(), DbError> {
    let mut stmt = c.prepare_cached(
        "UPDATE outbox SET attempts = attempts + 1, last_error = ?2 WHERE id = ?1",
    )?;
    for id in ids {
        stmt.execute(params![id, error])?;
    }
    Ok(())
}

/// The relay's progress, as the web node sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Every row up to this id has been relayed (or was there before).
    pub through: i64,
    /// False after a failed attempt, until one succeeds.
    pub healthy: bool,
}

/// The handle handlers share: wakes the relay, waits for a row to be relayed.
#[derive(Debug, Clone)]
pub struct Outbox {
    db: Db,
    wake: Arc<Notify>,
    progress: watch::Receiver<Progress>,
}

/// How long a request waits for its job to reach the store while the relay
/// is healthy (so a page shown right after a post sees the job queued).
pub const SETTLE_WAIT: Duration = Duration::from_secs(2);

impl Outbox {
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Tells the relay a row was committed.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    pub fn progress(&self) -> Progress {
        *self.progress.borrow()
    }

    /// Wakes the relay and waits up to `limit` for row `id` to reach the
    /// store; true when it did. Returns at once while the store is
    /// unreachable: the row waits in the outbox and the page says so.
    pub async fn settle(&self, id: i64, limit: Duration) -> bool {
        self.wake();
        let mut rx = self.progress.clone();
        let wait = async {
            rx.wait_for(|p| p.through >= id || !p.healthy)
                .await
                .map(|p| p.through >= id)
        };
        matches!(tokio::time::timeout(limit, wait).await, Ok(Ok(true)))
    }

    /// Rows waiting for the store.
    pub async fn backlog(&self) -> Result<u64, DbError> {
        self.db.call(|c| backlog(c)).await
    }

    /// Whether `jid` is still waiting for the queue.
    pub async fn is_waiting(&self, jid: String) -> Result<bool, DbError> {
        self.db.call(move |c| is_waiting(c, &jid)).await
    }
}
