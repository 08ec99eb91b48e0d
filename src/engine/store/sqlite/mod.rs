//! The embedded SQLite store, the default when no Redis is configured: one
//! database file (WAL mode) that the worker and web processes of one host
//! share safely. Same semantics as the Redis store; one `jobs` table with a
//! state column stands in for Sidekiq's lists and sorted sets.
//!
//! # Layout
//!
//! - this file: opening the file, `Backend`, `Queueing` and `UsageLedger`
//! - `schema`: tables, indexes and migrations (`PRAGMA user_version`)
//! - `conn`: connection pragmas, the writer thread, the read pool
//! - `wake`: wake-ups for idle fetchers (in-process, and inotify on the WAL)
//! - `fetch`: reliable fetch (claims) and waiting without polling
//! - `idle`: the line of idle fetchers, so the longest waiting takes the next job
//! - `write`: pushes, set entries, requeues, due jobs
//! - `ack`: completions with their side effects, one transaction per batch
//! - `worker`: `WorkerSide`, over `fetch`, `ack`, `write` and `procs`
//! - `procs`: heartbeats, signals, processes, orphan recovery
//! - `admin`: `AdminSide`, the dashboard's actions on sets and queues
//! - `read`: `ReadSide`: stats, queues, sets, history, feed, metrics
//! - `info`: the database's own figures (the dashboard's store panel)
//! - `usage`: the worker-seconds meter (two `counters` rows)

mod ack;
mod admin;
mod conn;
mod fetch;
mod idle;
mod info;
mod procs;
mod read;
mod schema;
mod usage;
mod wake;
mod worker;
mod write;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;

pub use info::SqliteInfo;

use self::conn::{Readers, Writer};
use self::wake::Wake;
use self::write::NewJob;
use super::{
    Backend, DeadLimits, EncodedJob, Queueing, Result, StoreError, StoreInfo, StoreKind,
    UsageLedger, WorkerTime,
};

/// How long an idle fetcher sleeps between looks when no wake-up comes (in
/// case one is missed, or inotify is unavailable).
pub const IDLE_POLL: Duration = Duration::from_secs(1);

/// What every handle and fetcher of one open database shares.
#[derive(Debug)]
struct Shared {
    /// Absolute path of the database file.
    path: PathBuf,
    writer: Writer,
    readers: Arc<Readers>,
    wake: Wake,
}

#[derive(Clone)]
pub struct SqliteStore {
    shared: Arc<Shared>,
    /// The path as given, for `describe`.
    shown: PathBuf,
    limits: DeadLimits,
    idle_poll: Duration,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SqliteStore({})", self.shown.display())
    }
}

impl SqliteStore {
    /// Opens (creating it and its directory if needed) the database at `path`.
    pub async fn open(path: &Path) -> Result<SqliteStore> {
        let shown = path.to_path_buf();
        tokio::task::spawn_blocking(move || open_blocking(shown))
            .await
            .map_err(|_| StoreError::SqliteGone)?
    }

    pub fn with_dead_limits(mut self, limits: DeadLimits) -> SqliteStore {
        self.limits = limits;
        self
    }

    /// Changes how often this handle's idle fetchers look without a wake-up
    /// (`IDLE_POLL`); tests make it long to show that wake-ups alone suffice.
    pub fn with_idle_poll(mut self, every: Duration) -> SqliteStore {
        self.idle_poll = every;
        self
    }

    /// The absolute path of the database file.
    pub fn path(&self) -> &Path {
        &self.shared.path
    }

    /// File sizes, pages and row counts, for the dashboard's store panel.
    pub async fn file_info(&self) -> Result<SqliteInfo> {
        let path = self.shared.path.clone();
        self.read(move |tx| {
            let mut info = info::info(tx)?;
            let size = |p: &Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
            let mut wal = path.clone().into_os_string();
            wal.push("-wal");
            info.file_bytes = size(&path);
            info.wal_bytes = size(Path::new(&wal));
            info.path = path.display().to_string();
            Ok(info)
        })
        .await
    }

    async fn read<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&rusqlite::Transaction<'_>) -> Result<T> + Send + 'static,
    {
        self.shared.readers.read(f).await
    }

    async fn write<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&rusqlite::Transaction<'_>) -> Result<T> + Send + 'static,
    {
        self.shared.writer.write(f).await
    }

    /// Writes, then wakes this process's idle fetchers if jobs became ready.
    async fn write_ready<F>(&self, f: F) -> Result<usize>
    where
        F: FnOnce(&rusqlite::Transaction<'_>) -> Result<usize> + Send + 'static,
    {
        let n = self.write(f).await?;
        if n > 0 {
            self.shared.wake.notify();
        }
        Ok(n)
    }

    /// `write_ready` for functions that also report how much they looked at.
    async fn write_ready_pair<F>(&self, f: F) -> Result<(usize, usize)>
    where
        F: FnOnce(&rusqlite::Transaction<'_>) -> Result<(usize, usize)> + Send + 'static,
    {
        let (n, seen) = self.write(f).await?;
        if n > 0 {
            self.shared.wake.notify();
        }
        Ok((n, seen))
    }
}

fn open_blocking(shown: PathBuf) -> Result<SqliteStore> {
    let fail = |reason: String| StoreError::SqliteOpen {
        path: shown.display().to_string(),
        reason,
    };
    let file = shown
        .file_name()
        .ok_or_else(|| fail("not a file path".into()))?
        .to_owned();
    let dir = match shown.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    crate::secret::private_dir(&dir)
        .map_err(|e| fail(format!("cannot create directory {}: {e}", dir.display())))?;
    let dir = std::fs::canonicalize(&dir)
        .map_err(|e| fail(format!("cannot resolve directory {}: {e}", dir.display())))?;
    let path = dir.join(file);
    crate::secret::writable_dir(&dir).map_err(|e| fail(e.to_string()))?;
    // Job arguments: not for other local users.
    crate::secret::private_file(&path)
        .map_err(|e| fail(format!("cannot create {}: {e}", path.display())))?;
    let conn = conn::retry_busy(|| {
        let mut conn = conn::open(&path, true)?;
        schema::migrate(&mut conn)?;
        Ok(conn)
    })
    .map_err(|e| match e {
        StoreError::Sqlite(e) => fail(e.to_string()),
        other => fail(other.to_string()),
    })?;
    let writer = Writer::start(conn, &path)?;
    let shared = Shared {
        readers: Arc::new(Readers::new(path.clone())),
        wake: Wake::new(&path),
        path,
        writer,
    };
    Ok(SqliteStore {
        shared: Arc::new(shared),
        shown,
        limits: DeadLimits::default(),
        idle_poll: IDLE_POLL,
    })
}

#[async_trait]
impl Backend for SqliteStore {
    fn describe(&self) -> String {
        format!("sqlite://{}", self.shown.display())
    }

    async fn ping(&self) -> Result<Duration> {
        let start = Instant::now();
        self.read(|tx| Ok(tx.query_row("SELECT 1", [], |r| r.get::<_, i64>(0))?))
            .await?;
        Ok(start.elapsed())
    }

    async fn info(&self) -> Result<StoreInfo> {
        let info = self.file_info().await?;
        let fields = info.pairs();
        Ok(StoreInfo {
            kind: StoreKind::Sqlite,
            version: info.sqlite_version,
            headline: fields.clone(),
            fields,
        })
    }
}

#[async_trait]
impl Queueing for SqliteStore {
    async fn push_encoded(&self, jobs: &[EncodedJob]) -> Result<()> {
        if jobs.is_empty() {
            return Ok(());
        }
        let rows: Vec<NewJob> = jobs.to_vec();
        self.write_ready(move |tx| write::push(tx, &rows)).await?;
        Ok(())
    }
}

#[async_trait]
impl UsageLedger for SqliteStore {
    async fn add_worker_time(&self, ms: u64, now_ms: u64) -> Result<()> {
        self.write(move |tx| usage::add(tx, ms, now_ms)).await
    }

    async fn worker_time(&self) -> Result<Option<WorkerTime>> {
        self.read(usage::get).await
    }

    async fn reset_worker_time(&self) -> Result<()> {
        self.write(usage::reset).await
    }
}
