//! Moves of jobs between states: pushes, set entries (and the sets' trims),
//! requeues to the front of a queue, and the scheduler's moves of due jobs
//! (acknowledgements are in `ack`). Each function runs inside a transaction
//! its caller opened with `BEGIN IMMEDIATE`.

use std::collections::{BTreeMap, HashMap};

use rusqlite::{params, OptionalExtension, Transaction};

use super::worker::row_id;
use crate::engine::job::Job;
use crate::engine::store::{queue_and_jid, DeadLimits, Result, UnitOfWork};

/// Due jobs moved per transaction, so other writers get a turn.
const DUE_BATCH: usize = 100;

/// A job to insert (shared with the Redis store).
pub use crate::engine::store::EncodedJob as NewJob;

/// Hands out positions at the back of queues (one index probe per queue).
#[derive(Default)]
pub struct Tails(HashMap<String, i64>);

impl Tails {
    pub fn next(&mut self, tx: &Transaction<'_>, queue: &str) -> Result<i64> {
        if let Some(p) = self.0.get_mut(queue) {
            *p += 1;
            return Ok(*p);
        }
        let last: Option<i64> = tx
            .prepare_cached(
                "SELECT pos FROM jobs WHERE state = 'ready' AND queue = ?1 ORDER BY pos DESC LIMIT 1",
            )?
            .query_row([queue], |r| r.get(0))
            .optional()?;
        let p = last.unwrap_or(0) + 1;
        self.0.insert(queue.to_owned(), p);
        Ok(p)
    }
}

pub fn register_queue(tx: &Transaction<'_>, queue: &str) -> Result<()> {
    tx.prepare_cached("INSERT OR IGNORE INTO queues(name) VALUES (?1)")?
        .execute([queue])?;
    Ok(())
}

/// Inserts jobs; returns how many became ready (the rest are scheduled).
pub fn push(tx: &Transaction<'_>, jobs: &[NewJob]) -> Result<usize> {
    let mut tails = Tails::default();
    let mut ready = tx.prepare_cached(
        "INSERT INTO jobs(state, queue, pos, jid, payload) VALUES ('ready', ?1, ?2, ?3, ?4)",
    )?;
    let mut scheduled = tx.prepare_cached(
        "INSERT INTO jobs(state, queue, score, jid, payload) VALUES ('schedule', ?1, ?2, ?3, ?4)",
    )?;
    let mut n_ready = 0;
    for j in jobs {
        match j.at {
            Some(at) => {
                scheduled.execute(params![j.queue.as_str(), at, j.jid, j.payload])?;
            }
            None => {
                let queue = j.queue.as_str();
                if !tails.0.contains_key(queue) {
                    register_queue(tx, queue)?;
                }
                let pos = tails.next(tx, queue)?;
                ready.execute(params![queue, pos, j.jid, j.payload])?;
                n_ready += 1;
            }
        }
    }
    Ok(n_ready)
}

/// Inserts a sorted-set entry.
pub fn insert_entry(tx: &Transaction<'_>, set: &str, score: f64, payload: &str) -> Result<()> {
    let (queue, jid) = queue_and_jid(payload);
    tx.prepare_cached(
        "INSERT INTO jobs(state, queue, score, jid, payload) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![set, queue, score, jid, payload])?;
    Ok(())
}

/// Keeps only the newest `keep` entries of a set.
pub fn trim_set(tx: &Transaction<'_>, set: &str, keep: u64) -> Result<()> {
    let n: i64 = tx
        .prepare_cached("SELECT count(*) FROM jobs WHERE state = ?1 AND score IS NOT NULL")?
        .query_row([set], |r| r.get(0))?;
    let keep = i64::try_from(keep).unwrap_or(i64::MAX);
    if n > keep {
        tx.prepare_cached(
            "DELETE FROM jobs WHERE id IN (SELECT id FROM jobs WHERE state = ?1 AND score IS NOT NULL
             ORDER BY score DESC, payload DESC LIMIT -1 OFFSET ?2)",
        )?
        .execute(params![set, keep])?;
    }
    Ok(())
}

/// Trims the dead set as Sidekiq does after each kill: entries older than
/// the timeout go, then all but the newest `max_jobs`.
pub fn trim_dead(tx: &Transaction<'_>, now: f64, limits: DeadLimits) -> Result<()> {
    tx.prepare_cached(
        "DELETE FROM jobs WHERE state = 'dead' AND score IS NOT NULL AND score < ?1",
    )?
    .execute([now - limits.timeout_secs])?;
    trim_set(tx, "dead", limits.max_jobs)
}

/// Puts claimed rows back at the front of their queues, in the order given
/// (the first is fetched next), if `identity` still holds them. Returns how
/// many went back.
pub fn requeue_front(
    tx: &Transaction<'_>,
    identity: &str,
    rows: &[(String, i64)],
) -> Result<usize> {
    let mut by_queue: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
    for (queue, id) in rows {
        by_queue.entry(queue.as_str()).or_default().push(*id);
    }
    let mut head = tx.prepare_cached(
        "SELECT pos FROM jobs WHERE state = 'ready' AND queue = ?1 ORDER BY pos, id LIMIT 1",
    )?;
    let mut back = tx.prepare_cached(
        "UPDATE jobs SET state = 'ready', pos = ?3, claimed_by = NULL, claimed_at = NULL
         WHERE id = ?1 AND state = 'claimed' AND claimed_by = ?2",
    )?;
    let mut moved = 0;
    for (queue, ids) in by_queue {
        let first: Option<i64> = head.query_row([queue], |r| r.get(0)).optional()?;
        let base = first.unwrap_or(1) - ids.len() as i64;
        for (i, id) in ids.iter().enumerate() {
            moved += back.execute(params![id, identity, base + i as i64])?;
        }
        register_queue(tx, queue)?;
    }
    Ok(moved)
}

/// (queue, row id) of units this store handed out, for `requeue_front`.
pub fn requeue_rows(units: &[UnitOfWork]) -> Result<Vec<(String, i64)>> {
    units
        .iter()
        .map(|u| Ok((u.queue.as_str().to_owned(), row_id(u)?)))
        .collect()
}

/// Returns everything `identity` holds to the front of its queues, oldest
/// first. Returns how many went back.
pub fn release_all(tx: &Transaction<'_>, identity: &str) -> Result<usize> {
    let rows: Vec<(String, i64)> = tx
        .prepare_cached(
            "SELECT queue, id FROM jobs WHERE state = 'claimed' AND claimed_by = ?1
             ORDER BY queue, pos, id",
        )?
        .query_map([identity], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    requeue_front(tx, identity, &rows)
}

/// Moves up to one batch of due entries of `set` to their queues. Returns
/// (moved, rows looked at); unusable entries go to the dead set.
pub fn move_due(tx: &Transaction<'_>, set: &str, now: f64) -> Result<(usize, usize)> {
    let due: Vec<(i64, String)> = tx
        .prepare_cached(
            "SELECT id, payload FROM jobs WHERE state = ?1 AND score IS NOT NULL AND score <= ?2
             ORDER BY score, payload LIMIT ?3",
        )?
        .query_map(params![set, now, DUE_BATCH as i64], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut tails = Tails::default();
    let mut to_queue = tx.prepare_cached(
        "UPDATE jobs SET state = 'ready', queue = ?2, pos = ?3, score = NULL, payload = ?4, jid = ?5
         WHERE id = ?1",
    )?;
    let mut to_dead =
        tx.prepare_cached("UPDATE jobs SET state = 'dead', score = ?2 WHERE id = ?1")?;
    let mut moved = 0;
    for (id, payload) in &due {
        match Job::parse(payload) {
            Ok(mut job) => {
                job.set_time("enqueued_at", now);
                if job.created_at().is_none() {
                    job.set_time("created_at", now);
                }
                let queue = job.queue().as_str();
                if !tails.0.contains_key(queue) {
                    register_queue(tx, queue)?;
                }
                let pos = tails.next(tx, queue)?;
                to_queue.execute(params![id, queue, pos, job.to_json(), job.jid()])?;
                moved += 1;
            }
            Err(e) => {
                tracing::warn!(set, error = %e, "malformed entry in sorted set; moving it to dead");
                to_dead.execute(params![id, now])?;
            }
        }
    }
    Ok((moved, due.len()))
}

/// `DUE_BATCH`, for the caller's loop.
pub fn due_batch() -> usize {
    DUE_BATCH
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::job::Retry;
    use crate::engine::queue::QueueName;
    use rusqlite::Connection;

    fn db() -> Connection {
        let mut conn = Connection::open_in_memory().unwrap();
        super::super::schema::migrate(&mut conn).unwrap();
        conn
    }

    fn ready(tx: &Transaction<'_>) -> Vec<(i64, i64)> {
        let mut stmt = tx
            .prepare("SELECT id, pos FROM jobs WHERE state = 'ready' ORDER BY pos, id")
            .unwrap();
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
        rows.map(Result::unwrap).collect()
    }

    #[test]
    fn scheduled_pushes_lose_at_and_requeues_go_before_the_head() {
        let mut conn = db();
        let tx = conn.transaction().unwrap();
        let mut later = Job::new("A", vec![], QueueName::default_queue(), Retry::Default);
        later.set_time("at", 50.0);
        let new = NewJob::from_job(&later);
        assert_eq!(
            (new.at, new.payload.contains("\"at\"")),
            (Some(50.0), false)
        );
        let now = Job::new("A", vec![], QueueName::default_queue(), Retry::Default);
        let rows: Vec<NewJob> = (0..4).map(|_| NewJob::from_job(&now)).collect();
        assert_eq!(push(&tx, &rows).unwrap(), 4);
        assert_eq!(push(&tx, &[new]).unwrap(), 0);
        let ids: Vec<i64> = ready(&tx).iter().map(|r| r.0).collect();
        tx.execute(
            "UPDATE jobs SET state = 'claimed', claimed_by = 'me' WHERE id IN (?1, ?2)",
            [ids[0], ids[1]],
        )
        .unwrap();
        let back = vec![
            ("default".to_owned(), ids[1]),
            ("default".to_owned(), ids[0]),
        ];
        assert_eq!(requeue_front(&tx, "someone-else", &back).unwrap(), 0);
        assert_eq!(requeue_front(&tx, "me", &back).unwrap(), 2);
        let order: Vec<i64> = ready(&tx).iter().map(|r| r.0).collect();
        assert_eq!(order, vec![ids[1], ids[0], ids[2], ids[3]]);
    }
}
