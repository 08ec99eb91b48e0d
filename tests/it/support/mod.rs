//! Test helpers: a private `redis-server` per test on a free port, fresh
//! SQLite paths, and polling with a deadline instead of sleeping.

#![allow(dead_code)]

pub mod redis_server;
pub mod smtp_sink;
pub mod tagger_stub;
pub mod worker_proc;

use std::future::Future;
use std::time::{Duration, Instant};

#[allow(unused_imports)] // for the Redis store's tests
pub use redis_server::RedisServer;
pub use smtp_sink::SmtpSink;
pub use tagger_stub::TaggerStub;
pub use worker_proc::{count_messages, WorkerProc};

/// Polls `check` until it returns `Some`, or panics with `what` after `timeout`.
pub async fn eventually<T, F, Fut>(timeout: Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        if Instant::now() > deadline {
            panic!("timed out after {timeout:?} waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A temporary directory that lives as long as the value.
pub fn temp_dir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("kiqlab-test-")
        .tempdir()
        .expect("create temp dir")
}

/// The `kiqlab` binary built for these tests.
pub fn kiqlab_bin() -> &'static str {
    env!("CARGO_BIN_EXE_kiqlab")
}
