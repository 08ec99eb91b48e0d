//! Connections to the database file: opening them with the right pragmas, the
//! one writer thread that owns this process's write connection (every write
//! is a closure sent to it, run in `BEGIN IMMEDIATE`), and a small pool of
//! read connections used from `spawn_blocking`. Nothing here blocks the
//! async runtime.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};
use tokio::sync::oneshot;

use crate::engine::store::{Result, StoreError};

/// Read connections kept open between reads.
const IDLE_READERS: usize = 4;

/// Waits out another connection's lock with short sleeps (SQLite's own
/// `busy_timeout` sleeps up to 100 ms at a time, which costs throughput when
/// processes take turns many times a second). Gives up after about 30 s.
fn on_busy(attempt: i32) -> bool {
    let pause = match attempt {
        0..=19 => Duration::from_micros(100),
        20..=59 => Duration::from_millis(1),
        60..=6059 => Duration::from_millis(5),
        _ => return false,
    };
    std::thread::sleep(pause);
    true
}

/// Opens a connection; `writer` also creates the file, switches it to WAL
/// and tunes the write path.
pub fn open(path: &Path, writer: bool) -> rusqlite::Result<Connection> {
    let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    if writer {
        flags |= OpenFlags::SQLITE_OPEN_CREATE;
    }
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_handler(Some(on_busy))?;
    conn.set_prepared_statement_cache_capacity(64);
    if writer {
        let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(rusqlite::Error::InvalidParameterName(format!(
                "cannot switch to WAL (journal_mode is {mode})"
            )));
        }
        conn.execute_batch(
            "PRAGMA synchronous = NORMAL;
             PRAGMA temp_store = MEMORY;
             PRAGMA cache_size = -4000;
             PRAGMA journal_size_limit = 67108864;",
        )?;
    } else {
        conn.execute_batch("PRAGMA query_only = ON;")?;
    }
    Ok(conn)
}

fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

/// Retries `f` while it fails with "database is locked" (for up to ~6 s).
/// Needed when opening: switching a new file to WAL takes an exclusive lock,
/// and SQLite answers `SQLITE_BUSY` without calling the busy handler when
/// two connections would otherwise deadlock on it.
pub fn retry_busy<T>(mut f: impl FnMut() -> Result<T>) -> Result<T> {
    let mut attempt = 0;
    loop {
        match f() {
            Err(StoreError::Sqlite(e)) if is_busy(&e) && attempt < 500 => {
                attempt += 1;
                std::thread::sleep(Duration::from_millis(2 + attempt % 20));
            }
            other => return other,
        }
    }
}

/// Runs `f` in a `BEGIN IMMEDIATE` transaction: the write lock is taken
/// before the first read, so a read-then-write never fails half-way with
/// `SQLITE_BUSY` (a deferred transaction that upgrades would, ignoring the
/// busy handler).
pub fn immediate<T>(
    conn: &mut Connection,
    f: impl FnOnce(&Transaction<'_>) -> Result<T>,
) -> Result<T> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let out = f(&tx)?;
    tx.commit()?;
    Ok(out)
}

type Command = Box<dyn FnOnce(&mut Connection) + Send>;

/// The handle to the writer thread. The thread ends when the last handle is
/// dropped (after finishing the command in hand).
#[derive(Debug, Clone)]
pub struct Writer {
    tx: mpsc::Sender<Command>,
}

impl Writer {
    pub fn start(mut conn: Connection, path: &Path) -> Result<Writer> {
        let (tx, rx) = mpsc::channel::<Command>();
        std::thread::Builder::new()
            .name("kiqlab-sqlite-writer".into())
            .spawn(move || {
                while let Ok(cmd) = rx.recv() {
                    if catch_unwind(AssertUnwindSafe(|| cmd(&mut conn))).is_err() {
                        tracing::error!("a SQLite write panicked; its transaction was rolled back");
                        if !conn.is_autocommit() {
                            let _ = conn.execute_batch("ROLLBACK");
                        }
                    }
                }
            })
            .map_err(|e| StoreError::SqliteOpen {
                path: path.display().to_string(),
                reason: format!("cannot start the writer thread: {e}"),
            })?;
        Ok(Writer { tx })
    }

    /// Runs `f` in a `BEGIN IMMEDIATE` transaction on the writer thread.
    pub async fn write<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> Result<T> + Send + 'static,
    {
        self.run(move |conn| immediate(conn, f), |_, _| {}).await
    }

    /// Runs `f` on the writer thread. If the caller stopped waiting (its
    /// future was dropped) `undelivered` gets the result, so that work such
    /// as claimed jobs is not stranded.
    pub async fn run<T, F, U>(&self, f: F, undelivered: U) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T> + Send + 'static,
        U: FnOnce(&mut Connection, T) + Send + 'static,
    {
        let (reply, rx) = oneshot::channel();
        let cmd: Command = Box::new(move |conn| {
            if let Err(Ok(v)) = reply.send(f(conn)) {
                undelivered(conn, v);
            }
        });
        self.tx.send(cmd).map_err(|_| StoreError::SqliteGone)?;
        rx.await.map_err(|_| StoreError::SqliteGone)?
    }
}

/// Read connections, opened on demand and reused.
#[derive(Debug)]
pub struct Readers {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl Readers {
    pub fn new(path: PathBuf) -> Readers {
        Readers {
            path,
            idle: Mutex::new(Vec::new()),
        }
    }

    /// Runs `f` in one read transaction (a consistent snapshot) on the
    /// blocking pool. Readers never wait for the writer under WAL.
    pub async fn read<T, F>(self: &Arc<Self>, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> Result<T> + Send + 'static,
    {
        let me = Arc::clone(self);
        tokio::task::spawn_blocking(move || me.read_now(f))
            .await
            .map_err(|_| StoreError::SqliteGone)?
    }

    /// The blocking form of `read`.
    pub fn read_now<T>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        let pooled = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let conn = match pooled {
            Some(c) => c,
            None => open(&self.path, false)?,
        };
        let out = match conn.unchecked_transaction() {
            Ok(tx) => f(&tx),
            Err(e) => Err(e.into()),
        };
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        if idle.len() < IDLE_READERS {
            idle.push(conn);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locked_errors_are_retried_and_others_are_not() {
        let locked = || {
            StoreError::Sqlite(rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
                None,
            ))
        };
        let mut calls = 0;
        let v = retry_busy(|| {
            calls += 1;
            if calls < 3 {
                Err(locked())
            } else {
                Ok(calls)
            }
        });
        assert_eq!(v.unwrap(), 3);
        let mut calls = 0;
        let e = retry_busy(|| -> Result<()> {
            calls += 1;
            Err(StoreError::SqliteGone)
        });
        assert!(matches!(e, Err(StoreError::SqliteGone)) && calls == 1);
    }

    #[test]
    fn busy_handler_gives_up_eventually() {
        assert!(on_busy(0));
        assert!(!on_busy(6060));
    }

    #[tokio::test]
    async fn a_cancelled_write_hands_its_result_to_undelivered() {
        let dir = tempfile::tempdir().unwrap();
        let conn = open(&dir.path().join("t.db"), true).unwrap();
        let writer = Writer::start(conn, dir.path()).unwrap();
        let (seen_tx, seen_rx) = std::sync::mpsc::channel();
        let (gate_tx, gate_rx) = std::sync::mpsc::channel::<()>();
        let fut = writer.run(
            move |_| {
                let _ = gate_rx.recv();
                Ok(7)
            },
            move |_, v| {
                let _ = seen_tx.send(v);
            },
        );
        // Poll once so the command is sent, then drop the future.
        let mut fut = Box::pin(fut);
        assert!(futures::poll!(fut.as_mut()).is_pending());
        drop(fut);
        gate_tx.send(()).unwrap();
        let got = tokio::task::spawn_blocking(move || seen_rx.recv().unwrap())
            .await
            .unwrap();
        assert_eq!(got, 7);
    }

    #[tokio::test]
    async fn a_panicking_write_leaves_the_writer_usable() {
        let dir = tempfile::tempdir().unwrap();
        let conn = open(&dir.path().join("t.db"), true).unwrap();
        let writer = Writer::start(conn, dir.path()).unwrap();
        let r: Result<()> = writer.write(|_| panic!("boom")).await;
        assert!(matches!(r, Err(StoreError::SqliteGone)));
        let v: i64 = writer
            .write(|tx| Ok(tx.query_row("SELECT 41 + 1", [], |r| r.get(0))?))
            .await
            .unwrap();
        assert_eq!(v, 42);
    }
}
