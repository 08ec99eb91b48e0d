//! The web node's database (`web.db`) in SQLite: one connection behind a
//! mutex, used only from `spawn_blocking` so the async runtime never waits on
//! disk; the schema's migrations; the users and sessions tables. The apps'
//! tables are queried by each app's `queries` module.

mod migrations;
pub mod sessions;
pub mod users;

use std::path::Path;
use std::sync::{Arc, Mutex};

use rusqlite::Connection;

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("cannot open the database {path}: {reason}")]
    Open { path: String, reason: String },
    #[error("stored data is malformed: {0}")]
    Corrupt(String),
    #[error("the database task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
    #[error("the database lock was poisoned by a panic")]
    Poisoned,
}

impl DbError {
    /// Busy, locked, unwritable or unopenable for now (not malformed data).
    pub fn is_outage(&self) -> bool {
        use rusqlite::ErrorCode as C;
        match self {
            DbError::Open { .. } => true,
            DbError::Sqlite(rusqlite::Error::SqliteFailure(e, _)) => matches!(
                e.code,
                C::DatabaseBusy
                    | C::DatabaseLocked
                    | C::CannotOpen
                    | C::ReadOnly
                    | C::DiskFull
                    | C::SystemIoFailure
            ),
            _ => false,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Db {
    conn: Arc<Mutex<Connection>>,
}

impl Db {
    /// Opens (creating) the file and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Db, DbError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            crate::secret::private_dir(dir).map_err(|e| DbError::Open {
                path: path.display().to_string(),
                reason: e.to_string(),
            })?;
        }
        let open_error = |reason: String| DbError::Open {
            path: path.display().to_string(),
            reason,
        };
        // SQLite writes its -wal and -shm files beside the database.
        let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
        crate::secret::writable_dir(dir.unwrap_or(Path::new(".")))
            .map_err(|e| open_error(e.to_string()))?;
        // Password hashes and sessions: not for other local users.
        crate::secret::private_file(path).map_err(|e| open_error(e.to_string()))?;
        let conn = Connection::open(path).map_err(|e| open_error(e.to_string()))?;
        if conn.is_readonly(rusqlite::MAIN_DB)? {
            return Err(open_error("the file is read-only".to_owned()));
        }
        Db::init(conn)
    }

    /// A private in-memory database (unit tests).
    pub fn in_memory() -> Result<Db, DbError> {
        Db::init(Connection::open_in_memory()?)
    }

    fn init(mut conn: Connection) -> Result<Db, DbError> {
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        migrations::migrate(&mut conn)?;
        Ok(Db {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    /// Runs `f` on the connection in the blocking pool.
    pub async fn call<T, F>(&self, f: F) -> Result<T, DbError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, DbError> + Send + 'static,
    {
        let conn = self.conn.clone();
        let call = tokio::task::spawn_blocking(move || {
            let mut guard = conn.lock().map_err(|_| DbError::Poisoned)?;
            f(&mut guard)
        });
        crate::web::steps::timed("load", call).await?
    }
}
