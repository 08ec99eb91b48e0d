//! The SQLite store's own behaviour against real database files: what only
//! an embedded, file-shared store has. Everything both stores do is in the
//! conformance suite (`engine`), which runs on SQLite too.
//!
//! - `queues`: a fetch cancelled mid-claim (the writer thread undoes it)
//! - `processes`: dead local processes leave at once, holding jobs or not
//! - `sharing`: blocking fetch woken by other connections and processes,
//!   concurrent stores on one file, open errors, the file's own figures
//! - `throughput`: a manual measurement (ignored; run it with `--ignored --nocapture`)

mod processes;
mod queues;
mod sharing;
mod throughput;

use std::path::{Path, PathBuf};

use kiqlab::engine::store::sqlite::SqliteStore;

pub use crate::engine::fixtures::{arg_of, args_of, done, job, record};
use crate::support::temp_dir;
pub use crate::support::{q, spec};

/// A fresh database in its own directory (kept alive by the returned guard).
pub async fn fresh() -> (SqliteStore, tempfile::TempDir) {
    let dir = temp_dir();
    let store = SqliteStore::open(&db_path(dir.path()))
        .await
        .expect("open sqlite store");
    (store, dir)
}

pub fn db_path(dir: &Path) -> PathBuf {
    dir.join("data").join("jobs.db")
}
