//! The `sessions` table (sign-in sessions, looked up by the hash of the
//! cookie's token, each with its CSRF secret) and `sign_in_failures` (the
//! record the sign-in throttle counts).

use rusqlite::{params, Connection, OptionalExtension};

use super::DbError;

#[derive(Debug, Clone, PartialEq)]
pub struct SessionRow {
    pub token_hash: String,
    pub user_id: Option<i64>,
    pub csrf: String,
    pub expires_at: f64,
}

/// The live session with this token hash.
pub fn find(c: &Connection, token_hash: &str, now: f64) -> Result<Option<SessionRow>, DbError> {
    Ok(c.query_row(
        "SELECT token_hash, user_id, csrf, expires_at FROM sessions
         WHERE token_hash = ?1 AND expires_at > ?2",
        params![token_hash, now],
        |r| {
            Ok(SessionRow {
                token_hash: r.get(0)?,
                user_id: r.get(1)?,
                csrf: r.get(2)?,
                expires_at: r.get(3)?,
            })
        },
    )
    .optional()?)
}

/// Stores a new session and drops expired ones.
pub fn insert(c: &Connection, row: &SessionRow, now: f64) -> Result<(), DbError> {
    c.execute("DELETE FROM sessions WHERE expires_at <= ?1", [now])?;
    c.execute(
        "INSERT INTO sessions (token_hash, user_id, csrf, created_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![row.token_hash, row.user_id, row.csrf, now, row.expires_at],
    )?;
    Ok(())
}

pub fn delete(c: &Connection, token_hash: &str) -> Result<(), DbError> {
    c.execute("DELETE FROM sessions WHERE token_hash = ?1", [token_hash])?;
    Ok(())
}

/// Failed sign-ins under `key` since `since`.
pub fn failures_since(c: &Connection, key: &str, since: f64) -> Result<u64, DbError> {
    let n: i64 = c.query_row(
        "SELECT count(*) FROM sign_in_failures WHERE key = ?1 AND at > ?2",
        params![key, since],
        |r| r.get(0),
    )?;
    Ok(n.max(0) as u64)
}

/// One key of an attempt: `(key, limit, since)`: refused when `key` has
/// `limit` records after `since`.
pub type Limit<'a> = (&'a str, u64, f64);

/// Counts an attempt before it is made, atomically: in one transaction,
/// refuses it (`Err(i)`, the first of `limits` already at its limit) or
/// records it under every key and returns the records' ids. Drops records
/// older than `forget_before`.
pub fn count_attempt(
    c: &mut Connection,
    limits: &[Limit<'_>],
    now: f64,
    forget_before: f64,
) -> Result<Result<Vec<i64>, usize>, DbError> {
    let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    tx.execute(
        "DELETE FROM sign_in_failures WHERE at < ?1",
        [forget_before],
    )?;
    for (i, (key, limit, since)) in limits.iter().enumerate() {
        if failures_since(&tx, key, *since)? >= *limit {
            tx.commit()?;
            return Ok(Err(i));
        }
    }
    let mut ids = Vec::with_capacity(limits.len());
    for (key, _, _) in limits {
        tx.execute(
            "INSERT INTO sign_in_failures (key, at) VALUES (?1, ?2)",
            params![key, now],
        )?;
        ids.push(tx.last_insert_rowid());
    }
    tx.commit()?;
    Ok(Ok(ids))
}

/// Takes back records `count_attempt` made (an attempt that was not made).
pub fn uncount(c: &Connection, ids: &[i64]) -> Result<(), DbError> {
    for id in ids {
        c.execute("DELETE FROM sign_in_failures WHERE rowid = ?1", [id])?;
    }
    Ok(())
}

pub fn clear_failures(c: &Connection, key: &str) -> Result<(), DbError> {
    c.execute("DELETE FROM sign_in_failures WHERE key = ?1", [key])?;
    Ok(())
}
