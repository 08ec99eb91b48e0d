//! The line of idle fetchers, so jobs spread fairly over idle workers: every
//! fetcher that found nothing to do joins the line (`idle_fetchers`, with
//! the time it began to wait and its queues), and when a job becomes ready
//! the one that has waited longest takes it, as Redis serves the client
//! blocked longest in `BLMOVE`/`BRPOP`. The others stand back for a moment
//! (`fetch.rs`), then take it anyway, so a waiter that died or is slow to
//! wake never strands a job.

use rusqlite::{params, OptionalExtension, Transaction};

use crate::engine::clock::now_secs;
use crate::engine::queue::QueueName;
use crate::engine::store::Result;

/// `,urgent,default,`: matched with `instr` for one queue.
fn queue_list(queues: &[QueueName]) -> String {
    let mut s = String::from(",");
    for q in queues {
        s.push_str(q.as_str());
        s.push(',');
    }
    s
}

/// Joins the line (keeping an earlier place if already in it).
pub fn join(tx: &Transaction<'_>, identity: &str, queues: &[QueueName]) -> Result<()> {
    tx.prepare_cached(
        "INSERT OR IGNORE INTO idle_fetchers (identity, queues, since) VALUES (?1, ?2, ?3)",
    )?
    .execute(params![identity, queue_list(queues), now_secs()])?;
    Ok(())
}

/// Leaves the line (after a claim, or on stop).
pub fn leave(tx: &Transaction<'_>, identity: &str) -> Result<()> {
    tx.prepare_cached("DELETE FROM idle_fetchers WHERE identity = ?1")?
        .execute([identity])?;
    Ok(())
}

/// The live fetcher serving `queue` that has waited longest, if any.
pub fn first_for(tx: &Transaction<'_>, queue: &QueueName) -> Result<Option<String>> {
    Ok(tx
        .prepare_cached(
            "SELECT f.identity FROM idle_fetchers f
             JOIN processes p ON p.identity = f.identity AND p.expires_at > ?2
             WHERE instr(f.queues, ',' || ?1 || ',') > 0
             ORDER BY f.since, f.identity LIMIT 1",
        )?
        .query_row(params![queue.as_str(), now_secs()], |r| r.get(0))
        .optional()?)
}

#[cfg(test)]
mod tests {
    use rusqlite::Connection;

    use super::*;

    fn live(tx: &Transaction<'_>, identity: &str, expires_at: f64) {
        tx.execute(
            "INSERT INTO processes (identity, info, busy, beat, quiet, rss_kb, rtt_us, work, ttl_secs, expires_at)
             VALUES (?1, '{}', 0, 0, 0, 0, 0, '[]', 60, ?2)",
            params![identity, expires_at],
        )
        .unwrap();
    }

    #[test]
    fn the_longest_waiting_live_fetcher_of_the_queue_is_first() {
        let mut conn = Connection::open_in_memory().unwrap();
        super::super::schema::migrate(&mut conn).unwrap();
        let tx = conn.transaction().unwrap();
        let (default, urgent) = (
            QueueName::parse("default").unwrap(),
            QueueName::parse("urgent").unwrap(),
        );
        let later = now_secs() + 60.0;
        for id in ["a", "b", "c"] {
            live(&tx, id, later);
        }
        live(&tx, "dead", now_secs() - 1.0);
        join(&tx, "dead", std::slice::from_ref(&default)).unwrap();
        join(&tx, "c", std::slice::from_ref(&urgent)).unwrap();
        join(&tx, "a", &[urgent.clone(), default.clone()]).unwrap();
        join(&tx, "b", std::slice::from_ref(&default)).unwrap();
        assert_eq!(first_for(&tx, &default).unwrap().as_deref(), Some("a"));
        assert_eq!(first_for(&tx, &urgent).unwrap().as_deref(), Some("c"));
        // Joining again keeps one's place; a claim sends one to the back.
        join(&tx, "a", std::slice::from_ref(&default)).unwrap();
        assert_eq!(first_for(&tx, &default).unwrap().as_deref(), Some("a"));
        leave(&tx, "a").unwrap();
        assert_eq!(first_for(&tx, &default).unwrap().as_deref(), Some("b"));
        join(&tx, "a", std::slice::from_ref(&default)).unwrap();
        leave(&tx, "b").unwrap();
        assert_eq!(first_for(&tx, &default).unwrap().as_deref(), Some("a"));
        leave(&tx, "a").unwrap();
        assert_eq!(first_for(&tx, &default).unwrap(), None, "not the dead one");
    }
}
