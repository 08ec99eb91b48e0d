//! `AdminSide` on SQLite, the dashboard's actions on sets and queues: take
//! an entry out of a set (by key, or the lowest in batches), add or restore
//! entries, clear a set or a queue, delete one queued job, send a signal,
//! reset counters. Each runs in one write transaction.

use async_trait::async_trait;
use rusqlite::{params, Transaction};

use super::write::{insert_entry, trim_dead};
use super::{procs, SqliteStore};
use crate::engine::job::Job;
use crate::engine::queue::QueueName;
use crate::engine::store::{
    AdminSide, DeadLimits, EntryKey, Removal, Result, SetKind, Signal, SortedEntry,
};

#[async_trait]
impl AdminSide for SqliteStore {
    async fn take_entry(&self, set: SetKind, key: &EntryKey) -> Result<Removal<SortedEntry>> {
        let key = key.clone();
        let taken = self
            .write(move |tx| find_or_take(tx, set, &key, true))
            .await?;
        Ok(match taken {
            Some(e) => Removal::Removed(e),
            None => Removal::NotFound,
        })
    }

    async fn pop_entries(&self, set: SetKind, limit: u64) -> Result<Vec<SortedEntry>> {
        self.write(move |tx| pop_entries(tx, set, limit)).await
    }

    async fn add_entries(&self, set: SetKind, entries: &[(f64, Job)]) -> Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let entries = entries.to_vec();
        let limits = self.limits;
        self.write(move |tx| add_entries(tx, set, &entries, limits))
            .await
    }

    async fn restore_entries(&self, set: SetKind, entries: &[SortedEntry]) -> Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let rows: Vec<(f64, String)> = entries.iter().map(|e| (e.score, e.raw.clone())).collect();
        self.write(move |tx| {
            for (score, raw) in &rows {
                insert_entry(tx, set.key(), *score, raw)?;
            }
            Ok(())
        })
        .await
    }

    async fn clear_set(&self, set: SetKind) -> Result<u64> {
        self.write(move |tx| clear_set(tx, set)).await
    }

    async fn clear_queue(&self, queue: &QueueName) -> Result<u64> {
        let queue = queue.clone();
        self.write(move |tx| clear_queue(tx, &queue)).await
    }

    async fn delete_queued(&self, queue: &QueueName, raw: &str) -> Result<Removal> {
        let queue = queue.clone();
        let raw = raw.to_owned();
        let deleted = self
            .write(move |tx| delete_queued(tx, &queue, &raw))
            .await?;
        Ok(if deleted {
            Removal::Removed(())
        } else {
            Removal::NotFound
        })
    }

    async fn signal(&self, identity: &str, signal: &Signal) -> Result<()> {
        let identity = identity.to_owned();
        let signal = signal.as_str().to_owned();
        self.write(move |tx| procs::signal(tx, &identity, &signal))
            .await
    }

    async fn reset_stats(&self, processed: bool, failed: bool) -> Result<()> {
        self.write(move |tx| reset_stats(tx, processed, failed))
            .await
    }
}

/// Finds `<score>-<jid>` by score, then jid; removes it when `take`.
pub fn find_or_take(
    tx: &Transaction<'_>,
    set: SetKind,
    key: &EntryKey,
    take: bool,
) -> Result<Option<SortedEntry>> {
    let rows: Vec<(i64, f64, String)> = tx
        .prepare_cached(
            "SELECT id, score, payload FROM jobs WHERE state = ?1 AND score IS NOT NULL AND score = ?2
             ORDER BY payload",
        )?
        .query_map(params![set.key(), key.score], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?
        .collect::<rusqlite::Result<_>>()?;
    for (id, score, raw) in rows {
        let entry = SortedEntry::new(score, raw);
        if entry.jid() != key.jid {
            continue;
        }
        if !take {
            return Ok(Some(entry));
        }
        tx.prepare_cached("DELETE FROM jobs WHERE id = ?1")?
            .execute([id])?;
        return Ok(Some(entry));
    }
    Ok(None)
}

/// Takes up to `limit` lowest-score entries out of a set, in order.
pub fn pop_entries(tx: &Transaction<'_>, set: SetKind, limit: u64) -> Result<Vec<SortedEntry>> {
    let rows: Vec<(i64, f64, String)> = tx
        .prepare_cached(
            "SELECT id, score, payload FROM jobs WHERE state = ?1 AND score IS NOT NULL
             ORDER BY score, payload LIMIT ?2",
        )?
        .query_map(
            params![set.key(), i64::try_from(limit).unwrap_or(i64::MAX)],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?
        .collect::<rusqlite::Result<_>>()?;
    let mut delete = tx.prepare_cached("DELETE FROM jobs WHERE id = ?1")?;
    let mut out = Vec::with_capacity(rows.len());
    for (id, score, raw) in rows {
        delete.execute([id])?;
        out.push(SortedEntry::new(score, raw));
    }
    Ok(out)
}

/// Adds entries in one transaction; the dead set is trimmed once.
pub fn add_entries(
    tx: &Transaction<'_>,
    set: SetKind,
    entries: &[(f64, Job)],
    limits: DeadLimits,
) -> Result<()> {
    let mut newest = f64::MIN;
    for (score, job) in entries {
        insert_entry(tx, set.key(), *score, &job.to_json())?;
        newest = newest.max(*score);
    }
    if set == SetKind::Dead && !entries.is_empty() {
        trim_dead(tx, newest, limits)?;
    }
    Ok(())
}

pub fn clear_set(tx: &Transaction<'_>, set: SetKind) -> Result<u64> {
    let n = tx
        .prepare_cached("DELETE FROM jobs WHERE state = ?1 AND score IS NOT NULL")?
        .execute([set.key()])?;
    Ok(n as u64)
}

/// Deletes a queue's waiting jobs and unlists it (held jobs are untouched).
pub fn clear_queue(tx: &Transaction<'_>, queue: &QueueName) -> Result<u64> {
    let n = tx
        .prepare_cached("DELETE FROM jobs WHERE state = 'ready' AND queue = ?1")?
        .execute([queue.as_str()])?;
    tx.prepare_cached("DELETE FROM queues WHERE name = ?1")?
        .execute([queue.as_str()])?;
    Ok(n as u64)
}

/// Deletes one waiting job whose payload is exactly `raw`.
pub fn delete_queued(tx: &Transaction<'_>, queue: &QueueName, raw: &str) -> Result<bool> {
    let n = tx
        .prepare_cached(
            "DELETE FROM jobs WHERE id = (SELECT id FROM jobs
                 WHERE state = 'ready' AND queue = ?1 AND payload = ?2 ORDER BY pos DESC, id DESC LIMIT 1)",
        )?
        .execute([queue.as_str(), raw])?;
    Ok(n > 0)
}

pub fn reset_stats(tx: &Transaction<'_>, processed: bool, failed: bool) -> Result<()> {
    let mut set = tx.prepare_cached(
        "INSERT INTO counters(name, value) VALUES (?1, 0)
         ON CONFLICT(name) DO UPDATE SET value = 0",
    )?;
    if processed {
        set.execute(["processed"])?;
    }
    if failed {
        set.execute(["failed"])?;
    }
    Ok(())
}
