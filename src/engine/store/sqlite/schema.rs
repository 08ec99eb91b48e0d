//! The database schema and its migrations, versioned by `PRAGMA user_version`.
//!
//! One `jobs` table holds every job whatever its state, so a move between
//! states is one `UPDATE`:
//!
//! | state | meaning | ordered by |
//! | --- | --- | --- |
//! | `ready` | waiting in `queue` (Redis `queue:NAME`) | `pos` (smallest runs next) |
//! | `claimed` | held by the process `claimed_by` until completed | original `pos` |
//! | `schedule`, `retry`, `dead`, `failed` | the sorted sets (`SetKind::key`) | `score`, then payload |
//!
//! Set rows always have a `score` and queue rows never do, which is what the
//! partial `jobs_sets` index relies on.

use rusqlite::Connection;

use super::conn::immediate;
use crate::engine::store::{Result, StoreError};

/// The schema version this build writes.
pub const VERSION: i64 = 3;

const V1: &str = r#"
CREATE TABLE jobs (
    id          INTEGER PRIMARY KEY,
    state       TEXT    NOT NULL,
    queue       TEXT    NOT NULL,
    pos         INTEGER NOT NULL DEFAULT 0,
    score       REAL,
    jid         TEXT    NOT NULL DEFAULT '',
    claimed_by  TEXT,
    claimed_at  REAL,
    payload     TEXT    NOT NULL
);
CREATE INDEX jobs_ready   ON jobs(queue, pos, id)       WHERE state = 'ready';
CREATE INDEX jobs_claimed ON jobs(claimed_by, queue, pos) WHERE state = 'claimed';
CREATE INDEX jobs_sets    ON jobs(state, score)         WHERE score IS NOT NULL;

-- Sidekiq's `queues` set: a queue stays listed when empty, until cleared.
CREATE TABLE queues (name TEXT PRIMARY KEY) WITHOUT ROWID;

-- `processed`, `failed` and their daily `processed:YYYY-MM-DD` forms.
CREATE TABLE counters (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;

-- The heartbeat of each process; `expires_at` is wall-clock time of the
-- write plus its TTL, like the expiry of Sidekiq's heartbeat hash.
CREATE TABLE processes (
    identity   TEXT PRIMARY KEY,
    info       TEXT    NOT NULL,
    busy       INTEGER NOT NULL,
    beat       REAL    NOT NULL,
    quiet      INTEGER NOT NULL,
    rss_kb     INTEGER NOT NULL,
    rtt_us     INTEGER NOT NULL,
    work       TEXT    NOT NULL,
    ttl_secs   INTEGER NOT NULL,
    expires_at REAL    NOT NULL
) WITHOUT ROWID;

-- `IDENTITY-signals`: popped oldest first, one per heartbeat.
CREATE TABLE signals (
    id       INTEGER PRIMARY KEY,
    identity TEXT NOT NULL,
    signal   TEXT NOT NULL,
    sent_at  REAL NOT NULL
);
CREATE INDEX signals_identity ON signals(identity, id);

-- The recent-jobs feed (JobRecord JSON), newest = highest id.
CREATE TABLE recent (
    id     INTEGER PRIMARY KEY,
    record TEXT NOT NULL
);

-- Sidekiq 7's per-class, per-minute metrics (`j|…` hashes).
CREATE TABLE metrics (
    minute     INTEGER NOT NULL,
    class      TEXT    NOT NULL,
    ms         INTEGER NOT NULL DEFAULT 0,
    executions INTEGER NOT NULL DEFAULT 0,
    failures   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (minute, class)
) WITHOUT ROWID;
"#;

/// Version 2: Sidekiq 7's duration histogram of successful runs, per class
/// and minute, one row per non-empty bucket.
const V2: &str = r#"
CREATE TABLE histogram (
    minute INTEGER NOT NULL,
    class  TEXT    NOT NULL,
    bucket INTEGER NOT NULL,
    count  INTEGER NOT NULL,
    PRIMARY KEY (class, minute, bucket)
) WITHOUT ROWID;
CREATE INDEX histogram_minute ON histogram(minute);
"#;

/// Version 3: the line of idle fetchers (`idle.rs`), longest waiting first.
const V3: &str = r#"
CREATE TABLE idle_fetchers (
    identity TEXT PRIMARY KEY,
    queues   TEXT NOT NULL,
    since    REAL NOT NULL
) WITHOUT ROWID;
"#;

/// Brings the schema up to `VERSION`; safe when several processes open a new
/// file at once (the check and the DDL share one `BEGIN IMMEDIATE`).
pub fn migrate(conn: &mut Connection) -> Result<()> {
    immediate(conn, |tx| {
        let version: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if version > VERSION {
            return Err(StoreError::Corrupt(format!(
                "the database has schema version {version}, newer than this kiqlab ({VERSION}); upgrade kiqlab"
            )));
        }
        if version < 1 {
            tx.execute_batch(V1)?;
        }
        if version < 2 {
            tx.execute_batch(V2)?;
        }
        if version < 3 {
            tx.execute_batch(V3)?;
        }
        if version < VERSION {
            tx.pragma_update(None, "user_version", VERSION)?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrates_once_and_refuses_newer_files() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn).unwrap();
        migrate(&mut conn).unwrap();
        let v: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, VERSION);
        conn.pragma_update(None, "user_version", VERSION + 1)
            .unwrap();
        assert!(matches!(migrate(&mut conn), Err(StoreError::Corrupt(_))));
    }

    #[test]
    fn hot_queries_use_the_partial_indexes() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn).unwrap();
        let plan = |sql: &str| -> String {
            let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
            let rows = stmt
                .query_map([], |r| r.get::<_, String>(3))
                .unwrap()
                .collect::<rusqlite::Result<Vec<_>>>()
                .unwrap();
            rows.join("; ")
        };
        let ready = plan(
            "SELECT id FROM jobs WHERE state = 'ready' AND queue = 'q' ORDER BY pos, id LIMIT 5",
        );
        assert!(ready.contains("jobs_ready"), "{ready}");
        assert!(!ready.contains("TEMP B-TREE"), "{ready}");
        let due = plan(
            "SELECT id FROM jobs WHERE state = 'retry' AND score IS NOT NULL AND score <= 5 ORDER BY score, payload LIMIT 100",
        );
        assert!(due.contains("jobs_sets"), "{due}");
        let held = plan("SELECT id FROM jobs WHERE state = 'claimed' AND claimed_by = 'x'");
        assert!(held.contains("jobs_claimed"), "{held}");
    }
}
