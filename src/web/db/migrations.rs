//! Schema migrations, numbered by SQLite's `PRAGMA user_version`: each step
//! runs once, in a transaction, in order.

use rusqlite::Connection;

use super::DbError;

const STEPS: &[&str] = &[
    // 1: the three apps and the users table.
    "CREATE TABLE snippets (
        id INTEGER PRIMARY KEY,
        language TEXT NOT NULL,
        plain_code TEXT NOT NULL,
        highlighted_code TEXT,
        mode TEXT NOT NULL CHECK (mode IN ('async', 'sync')),
        jid TEXT NOT NULL,
        created_by_host TEXT NOT NULL,
        created_by_ip TEXT NOT NULL,
        created_at REAL NOT NULL,
        highlighted_by TEXT
    );
    CREATE TABLE fib_requests (
        id INTEGER PRIMARY KEY,
        email TEXT NOT NULL,
        length INTEGER NOT NULL,
        mode TEXT NOT NULL CHECK (mode IN ('async', 'sync')),
        jid TEXT NOT NULL UNIQUE,
        created_at REAL NOT NULL,
        delivered_by TEXT
    );
    CREATE TABLE posts (
        id INTEGER PRIMARY KEY,
        title TEXT NOT NULL,
        body TEXT NOT NULL,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL,
        jid TEXT,
        tagged_by TEXT
    );
    CREATE TABLE post_tags (
        post_id INTEGER NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('manual', 'auto')),
        score REAL,
        PRIMARY KEY (post_id, kind, name)
    );
    CREATE INDEX post_tags_by_name ON post_tags (name);
    CREATE TABLE users (
        id INTEGER PRIMARY KEY,
        username TEXT NOT NULL UNIQUE,
        password_hash TEXT NOT NULL,
        is_admin INTEGER NOT NULL DEFAULT 0,
        created_at REAL NOT NULL
    );",
    // 2: the dashboard's sign-in: server-side sessions (by token hash, with
    // the CSRF secret) and failed sign-ins for throttling.
    "CREATE TABLE sessions (
        token_hash TEXT PRIMARY KEY,
        user_id INTEGER REFERENCES users (id) ON DELETE CASCADE,
        csrf TEXT NOT NULL,
        created_at REAL NOT NULL,
        expires_at REAL NOT NULL
    );
    CREATE INDEX sessions_expiry ON sessions (expires_at);
    CREATE TABLE sign_in_failures (
        key TEXT NOT NULL,
        at REAL NOT NULL
    );
    CREATE INDEX sign_in_failures_by_key ON sign_in_failures (key, at);",
    // 3: the transactional outbox: jobs committed with their records, waiting
    // for the relay to move them to the job store (web::outbox).
    "CREATE TABLE outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        jid TEXT NOT NULL,
        class TEXT NOT NULL,
        payload TEXT NOT NULL,
        created_at REAL NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT
    );
    CREATE INDEX outbox_by_jid ON outbox (jid);",
];

pub fn migrate(conn: &mut Connection) -> Result<(), DbError> {
    let current: usize = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if current > STEPS.len() {
        return Err(DbError::Corrupt(format!(
            "the database is at schema version {current}, newer than this kiqlab ({})",
            STEPS.len()
        )));
    }
    for (i, sql) in STEPS.iter().enumerate().skip(current) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", i + 1)?;
        tx.commit()?;
        tracing::info!(version = i + 1, "database migrated");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrates_once_and_refuses_newer_schemas() {
        let mut c = Connection::open_in_memory().unwrap();
        migrate(&mut c).unwrap();
        migrate(&mut c).unwrap();
        let v: usize = c
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(v, STEPS.len());
        c.pragma_update(None, "user_version", 99).unwrap();
        assert!(migrate(&mut c).is_err());
    }
}
