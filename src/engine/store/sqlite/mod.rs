//! The embedded SQLite store, the default when no Redis is configured: one
//! database file (WAL mode) that the worker and web processes of one host
//! share safely. Same semantics as the Redis store; one `jobs` table with a
//! state column stands in for Sidekiq's lists and sorted sets.
//!
//! # Layout
//!
//! - `schema`: tables, indexes and migrations (`PRAGMA user_version`)
//! - `conn`: connection pragmas, the writer thread, the read pool
//! - `wake`: wake-ups for idle fetchers (in-process, and inotify on the WAL)
//! - `fetch`: reliable fetch (claims) and waiting without polling
//! - `write`: pushes, completions, requeues, due jobs
//! - `procs`: heartbeats, signals, processes, orphan recovery
//! - `admin`: the dashboard's actions on sets and queues
//! - `read`: stats, queues, sets, history, feed, metrics, file figures
//! - `usage`: the worker-seconds meter (two `counters` rows)

mod admin;
mod conn;
mod fetch;
mod procs;
mod read;
mod schema;
mod usage;
mod wake;
mod write;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;

pub use read::SqliteInfo;

use self::conn::{Readers, Writer};
use self::wake::Wake;
use self::write::NewJob;
use super::EncodedJob;
use super::{
    ClassMinute, Completion, DayStat, DeadLimits, EntryKey, Fetcher, Heartbeat, Histogram,
    JobRecord, LocalHost, ProcessRecord, QueueSummary, QueuedJob, Result, SetKind, SortedEntry,
    Stats, Store, StoreError, UnitOfWork, WorkRecord, WorkerTime,
};
use crate::engine::job::Job;
use crate::engine::queue::{QueueName, QueueSpec};

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

    /// The absolute path of the database file.
    pub fn path(&self) -> &Path {
        &self.shared.path
    }

    /// File sizes, pages and row counts, for the dashboard's store panel.
    pub async fn info(&self) -> Result<SqliteInfo> {
        let path = self.shared.path.clone();
        self.read(move |tx| {
            let mut info = read::info(tx)?;
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
    std::fs::create_dir_all(&dir)
        .map_err(|e| fail(format!("cannot create directory {}: {e}", dir.display())))?;
    let dir = std::fs::canonicalize(&dir)
        .map_err(|e| fail(format!("cannot resolve directory {}: {e}", dir.display())))?;
    let path = dir.join(file);
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
    })
}

#[async_trait]
impl Store for SqliteStore {
    fn describe(&self) -> String {
        format!("sqlite://{}", self.shown.display())
    }

    async fn store_info(&self) -> Result<Vec<(String, String)>> {
        Ok(self.info().await?.pairs())
    }

    async fn ping(&self) -> Result<Duration> {
        let start = Instant::now();
        self.read(|tx| Ok(tx.query_row("SELECT 1", [], |r| r.get::<_, i64>(0))?))
            .await?;
        Ok(start.elapsed())
    }

    async fn push_encoded(&self, jobs: &[EncodedJob]) -> Result<()> {
        if jobs.is_empty() {
            return Ok(());
        }
        let rows: Vec<NewJob> = jobs.to_vec();
        self.write_ready(move |tx| write::push(tx, &rows)).await?;
        Ok(())
    }

    async fn fetcher(&self, identity: &str, queues: &QueueSpec) -> Result<Box<dyn Fetcher>> {
        Ok(Box::new(fetch::SqliteFetcher::new(
            Arc::clone(&self.shared),
            identity,
            queues,
        )))
    }

    async fn complete(&self, identity: &str, batch: &[Completion], now: f64) -> Result<()> {
        if batch.is_empty() {
            return Ok(());
        }
        let batch = batch.to_vec();
        let identity = identity.to_owned();
        let limits = self.limits;
        self.write(move |tx| write::complete(tx, &identity, &batch, now, limits))
            .await
    }

    async fn held(&self, identity: &str, queues: &[QueueName]) -> Result<Vec<UnitOfWork>> {
        let identity = identity.to_owned();
        let queues = queues.to_vec();
        self.read(move |tx| {
            let mut stmt = tx.prepare_cached(
                "SELECT id, payload FROM jobs
                 WHERE state = 'claimed' AND claimed_by = ?1 AND queue = ?2 ORDER BY id",
            )?;
            let mut out = Vec::new();
            for q in &queues {
                let rows = stmt.query_map(rusqlite::params![identity, q.as_str()], |r| {
                    Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
                })?;
                for row in rows {
                    let (id, payload) = row?;
                    out.push(UnitOfWork {
                        queue: q.clone(),
                        raw: bytes::Bytes::from(payload),
                        id,
                    });
                }
            }
            Ok(out)
        })
        .await
    }

    async fn requeue(&self, identity: &str, units: Vec<UnitOfWork>) -> Result<()> {
        if units.is_empty() {
            return Ok(());
        }
        let identity = identity.to_owned();
        self.write_ready(move |tx| write::requeue(tx, &identity, &units))
            .await?;
        Ok(())
    }

    async fn enqueue_due(&self, now: f64) -> Result<usize> {
        let mut moved = 0;
        for set in [SetKind::Retry, SetKind::Schedule] {
            loop {
                let (n, seen) = self
                    .write_ready_pair(move |tx| write::move_due(tx, set.key(), now))
                    .await?;
                moved += n;
                if seen < write::due_batch() {
                    break;
                }
            }
        }
        Ok(moved)
    }

    async fn recover_orphans(&self, local: &LocalHost) -> Result<usize> {
        let local = local.clone();
        self.write_ready(move |tx| procs::recover_orphans(tx, &local))
            .await
    }

    async fn heartbeat(&self, beat: &Heartbeat) -> Result<Option<String>> {
        let beat = beat.clone();
        self.write(move |tx| procs::heartbeat(tx, &beat)).await
    }

    async fn clear_heartbeat(&self, identity: &str) -> Result<()> {
        let identity = identity.to_owned();
        self.write_ready(move |tx| procs::clear_heartbeat(tx, &identity))
            .await?;
        Ok(())
    }

    async fn add_worker_time(&self, ms: u64, now_ms: u64) -> Result<()> {
        self.write(move |tx| usage::add(tx, ms, now_ms)).await
    }

    async fn worker_time(&self) -> Result<Option<WorkerTime>> {
        self.read(usage::get).await
    }

    async fn reset_worker_time(&self) -> Result<()> {
        self.write(usage::reset).await
    }

    async fn stats(&self, now: f64) -> Result<Stats> {
        self.read(move |tx| read::stats(tx, now)).await
    }

    async fn queues(&self, now: f64) -> Result<Vec<QueueSummary>> {
        self.read(move |tx| read::queues(tx, now)).await
    }

    async fn queue_jobs(
        &self,
        queue: &QueueName,
        offset: u64,
        limit: u64,
        newest_first: bool,
    ) -> Result<Vec<QueuedJob>> {
        let queue = queue.clone();
        self.read(move |tx| read::queue_jobs(tx, &queue, offset, limit, newest_first))
            .await
    }

    async fn set_size(&self, set: SetKind) -> Result<u64> {
        self.read(move |tx| read::set_size(tx, set)).await
    }

    async fn set_entries(
        &self,
        set: SetKind,
        offset: u64,
        limit: u64,
        newest_first: bool,
        filter: Option<&str>,
    ) -> Result<Vec<SortedEntry>> {
        let filter = filter.map(str::to_owned);
        self.read(move |tx| {
            read::set_entries(tx, set, offset, limit, newest_first, filter.as_deref())
        })
        .await
    }

    async fn find_entry(&self, set: SetKind, key: &EntryKey) -> Result<Option<SortedEntry>> {
        let key = key.clone();
        self.read(move |tx| admin::find_or_take(tx, set, &key, false))
            .await
    }

    async fn take_entry(&self, set: SetKind, key: &EntryKey) -> Result<Option<SortedEntry>> {
        let key = key.clone();
        self.write(move |tx| admin::take_entry(tx, set, &key)).await
    }

    async fn add_entry(&self, set: SetKind, score: f64, job: &Job) -> Result<()> {
        let job = job.clone();
        let limits = self.limits;
        self.write(move |tx| admin::add_entry(tx, set, score, &job, limits))
            .await
    }

    async fn clear_set(&self, set: SetKind) -> Result<u64> {
        self.write(move |tx| admin::clear_set(tx, set)).await
    }

    async fn clear_queue(&self, queue: &QueueName) -> Result<u64> {
        let queue = queue.clone();
        self.write(move |tx| admin::clear_queue(tx, &queue)).await
    }

    async fn delete_queued(&self, queue: &QueueName, raw: &str) -> Result<bool> {
        let queue = queue.clone();
        let raw = raw.to_owned();
        self.write(move |tx| admin::delete_queued(tx, &queue, &raw))
            .await
    }

    async fn processes(&self, _now: f64) -> Result<Vec<ProcessRecord>> {
        let (live, expired) = self.read(procs::processes).await?;
        if expired {
            self.write(procs::prune).await?;
        }
        Ok(live)
    }

    async fn work(&self, _now: f64) -> Result<Vec<WorkRecord>> {
        self.read(procs::work).await
    }

    async fn signal(&self, identity: &str, signal: &str) -> Result<()> {
        let identity = identity.to_owned();
        let signal = signal.to_owned();
        self.write(move |tx| procs::signal(tx, &identity, &signal))
            .await
    }

    async fn history(&self, now: f64, days: u32) -> Result<Vec<DayStat>> {
        self.read(move |tx| read::history(tx, now, days)).await
    }

    async fn reset_stats(&self, processed: bool, failed: bool) -> Result<()> {
        self.write(move |tx| admin::reset_stats(tx, processed, failed))
            .await
    }

    async fn pop_entries(&self, set: SetKind, limit: u64) -> Result<Vec<SortedEntry>> {
        self.write(move |tx| admin::pop_entries(tx, set, limit))
            .await
    }

    async fn add_entries(&self, set: SetKind, entries: &[(f64, Job)]) -> Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let entries = entries.to_vec();
        let limits = self.limits;
        self.write(move |tx| admin::add_entries(tx, set, &entries, limits))
            .await
    }

    async fn recent_jobs(&self, limit: u64, host: Option<&str>) -> Result<Vec<JobRecord>> {
        let host = host.map(str::to_owned);
        self.read(move |tx| read::recent_jobs(tx, limit, host.as_deref()))
            .await
    }

    async fn class_metrics(&self, since: f64, now: f64) -> Result<Vec<ClassMinute>> {
        self.read(move |tx| read::class_metrics(tx, since, now))
            .await
    }

    async fn class_histogram(&self, class: &str, since: f64, now: f64) -> Result<Histogram> {
        let class = class.to_owned();
        self.read(move |tx| read::class_histogram(tx, &class, since, now))
            .await
    }
}
