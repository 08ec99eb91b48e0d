//! The `fib_requests` table: FibTastic requests and their deliveries.

use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::Serialize;

use super::sequence_length::SequenceLength;
use crate::apps::stamp::{self, WorkerStamp};
use crate::domain::EmailAddress;
use crate::web::db::DbError;

#[derive(Debug, Clone, Serialize)]
pub struct FibRequest {
    pub id: i64,
    pub email: String,
    pub length: u32,
    pub mode: String,
    pub jid: String,
    pub created_at: f64,
    pub delivered_by: Option<WorkerStamp>,
}

pub fn insert(
    c: &Connection,
    email: &EmailAddress,
    length: SequenceLength,
    mode: &str,
    jid: &str,
    now: f64,
) -> Result<i64, DbError> {
    c.execute(
        "INSERT INTO fib_requests (email, length, mode, jid, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![email.as_str(), length.get(), mode, jid, now],
    )?;
    Ok(c.last_insert_rowid())
}

const COLUMNS: &str = "id, email, length, mode, jid, created_at, delivered_by";

fn from_row(r: &Row<'_>) -> rusqlite::Result<(FibRequest, Option<String>)> {
    Ok((
        FibRequest {
            id: r.get(0)?,
            email: r.get(1)?,
            length: r.get(2)?,
            mode: r.get(3)?,
            jid: r.get(4)?,
            created_at: r.get(5)?,
            delivered_by: None,
        },
        r.get(6)?,
    ))
}

fn finish((mut f, stamp): (FibRequest, Option<String>)) -> Result<FibRequest, DbError> {
    f.delivered_by = stamp::from_json(stamp)?;
    Ok(f)
}

pub fn get(c: &Connection, id: i64) -> Result<Option<FibRequest>, DbError> {
    c.query_row(
        &format!("SELECT {COLUMNS} FROM fib_requests WHERE id = ?1"),
        [id],
        from_row,
    )
    .optional()?
    .map(finish)
    .transpose()
}

pub fn list(c: &Connection, limit: u32) -> Result<Vec<FibRequest>, DbError> {
    let mut stmt = c.prepare(&format!(
        "SELECT {COLUMNS} FROM fib_requests ORDER BY id DESC LIMIT ?1"
    ))?;
    let rows = stmt.query_map([limit], from_row)?;
    rows.map(|r| finish(r?)).collect()
}

/// Marks the request enqueued as `by.jid` delivered; false if unknown.
pub fn mark_delivered(c: &Connection, by: &WorkerStamp) -> Result<bool, DbError> {
    let n = c.execute(
        "UPDATE fib_requests SET delivered_by = ?2 WHERE jid = ?1",
        params![by.jid, stamp::to_json(by)?],
    )?;
    Ok(n == 1)
}
