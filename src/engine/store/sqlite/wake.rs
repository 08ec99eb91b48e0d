//! Wake-ups for idle fetchers, so that waiting for work costs nothing and a
//! pushed job is picked up within milliseconds: a counter bumped when this
//! store makes jobs ready, and by an inotify watch on the database's
//! directory whenever anyone (another process, another connection) writes
//! the WAL file.
//!
//! A WAL write is seen slightly before the commit is visible to readers (the
//! shared-memory index is updated after the last `write`), so the fetcher
//! re-checks a few times shortly after each wake-up (see `fetch.rs`).

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use futures::StreamExt;
use inotify::{Inotify, WatchMask};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_util::sync::{CancellationToken, DropGuard};
use tracing::Instrument;

#[derive(Debug)]
pub struct Wake {
    tx: watch::Sender<u64>,
    dir: PathBuf,
    wal_name: OsString,
    watcher: Mutex<WatchState>,
}

#[derive(Debug, Default)]
enum WatchState {
    #[default]
    Off,
    /// The inotify task; stopped when the guard drops with the store.
    On {
        handle: JoinHandle<()>,
        _stop: DropGuard,
    },
    /// inotify is unavailable; fetchers fall back to polling.
    Failed,
}

impl Wake {
    /// Wake-ups for the database at `db` (an absolute path).
    pub fn new(db: &Path) -> Wake {
        let dir = db.parent().map(Path::to_path_buf).unwrap_or_default();
        let mut wal_name = db.file_name().map(OsString::from).unwrap_or_default();
        wal_name.push("-wal");
        Wake {
            tx: watch::channel(0).0,
            dir,
            wal_name,
            watcher: Mutex::new(WatchState::Off),
        }
    }

    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.tx.subscribe()
    }

    /// Wakes this process's waiting fetchers (after a commit that made jobs ready).
    pub fn notify(&self) {
        self.tx.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// Starts the inotify watch if it is not running (it is started lazily,
    /// by the first fetcher that waits, in that fetcher's runtime).
    pub fn ensure_watching(&self) {
        let mut state = self.watcher.lock().unwrap_or_else(|e| e.into_inner());
        match &*state {
            WatchState::On { handle, .. } if !handle.is_finished() => return,
            WatchState::Failed => return,
            _ => {}
        }
        if tokio::runtime::Handle::try_current().is_err() {
            return;
        }
        *state = match self.start() {
            Ok(running) => running,
            Err(e) => {
                tracing::warn!(
                    dir = %self.dir.display(),
                    error = %e,
                    "cannot watch the SQLite directory with inotify; idle workers will poll every second"
                );
                WatchState::Failed
            }
        };
    }

    fn start(&self) -> std::io::Result<WatchState> {
        let inotify = Inotify::init()?;
        inotify.watches().add(
            &self.dir,
            WatchMask::MODIFY | WatchMask::CREATE | WatchMask::MOVED_TO,
        )?;
        let mut events = inotify.into_event_stream(vec![0u8; 4096])?;
        let tx = self.tx.clone();
        let wal_name = self.wal_name.clone();
        let stop = CancellationToken::new();
        let stopped = stop.clone();
        let span = tracing::debug_span!("sqlite_wal_watch", dir = %self.dir.display());
        let handle = tokio::spawn(
            async move {
                loop {
                    tokio::select! {
                        _ = stopped.cancelled() => return,
                        ev = events.next() => match ev {
                            Some(Ok(ev)) => {
                                if ev.name.as_deref() == Some(wal_name.as_os_str()) {
                                    tx.send_modify(|n| *n = n.wrapping_add(1));
                                }
                            }
                            Some(Err(e)) => {
                                tracing::warn!(error = %e, "inotify read failed; the watch restarts at the next wait");
                                return;
                            }
                            None => return,
                        },
                    }
                }
            }
            .instrument(span),
        );
        Ok(WatchState::On {
            handle,
            _stop: stop.drop_guard(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn a_write_to_the_wal_file_wakes_subscribers() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("jobs.db");
        let wake = Wake::new(&db);
        let mut rx = wake.subscribe();
        wake.ensure_watching();
        std::fs::write(dir.path().join("other-file"), b"x").unwrap();
        std::fs::write(dir.path().join("jobs.db-wal"), b"x").unwrap();
        tokio::time::timeout(Duration::from_secs(5), rx.changed())
            .await
            .expect("woken")
            .unwrap();
    }

    #[tokio::test]
    async fn notify_wakes_subscribers() {
        let wake = Wake::new(Path::new("/nonexistent/jobs.db"));
        let mut rx = wake.subscribe();
        wake.notify();
        assert!(rx.has_changed().unwrap());
        let _ = rx.borrow_and_update();
        // A directory that does not exist cannot be watched: fall back quietly.
        wake.ensure_watching();
        assert!(matches!(*wake.watcher.lock().unwrap(), WatchState::Failed));
    }
}
