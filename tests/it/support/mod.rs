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

/// Polls GET `url` until it answers 200 with a body containing `needle`
/// (failed requests count as "not yet"); returns the body.
pub async fn wait_for_body(
    http: &reqwest::Client,
    url: &str,
    needle: &str,
    timeout: Duration,
) -> String {
    eventually(timeout, &format!("{needle:?} on {url}"), || async {
        let r = http.get(url).send().await.ok()?;
        if r.status() != reqwest::StatusCode::OK {
            return None;
        }
        let body = r.text().await.ok()?;
        body.contains(needle).then_some(body)
    })
    .await
}

/// The URL `kiqlab web` prints once it listens ("kiqlab web: listening on
/// URL"), read from `child`'s piped standard output: started with `--port 0`
/// it picks a free port itself, so no port is guessed ahead (a race). The
/// rest of the output is drained in the background.
pub async fn listening_url(child: &mut tokio::process::Child) -> String {
    use tokio::io::{AsyncBufReadExt, BufReader};
    const PREFIX: &str = "kiqlab web: listening on ";
    let stdout = child.stdout.take().expect("kiqlab web's stdout piped");
    let mut lines = BufReader::new(stdout).lines();
    let url = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(l) = lines.next_line().await.expect("read kiqlab web's output") {
            if let Some(url) = l.strip_prefix(PREFIX) {
                return url.trim().to_owned();
            }
        }
        panic!("kiqlab web exited before saying where it listens");
    })
    .await
    .expect("kiqlab web says where it listens");
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    url
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

/// A queue name (panics on an invalid one: test input).
pub fn q(name: &str) -> kiqlab::engine::queue::QueueName {
    kiqlab::engine::queue::QueueName::parse(name).expect("queue name")
}

/// A `-q` list (`NAME` or `NAME,WEIGHT`), in strict order or weighted.
pub fn spec(list: &[&str], strict: bool) -> kiqlab::engine::queue::QueueSpec {
    kiqlab::engine::queue::QueueSpec::new(
        list.iter().map(|s| s.parse().expect("queue")).collect(),
        strict,
    )
    .expect("spec")
}

/// Whether this test may do what needs root (mounts): true as root; as
/// anyone else it skips (false, saying why), except under CI, where it fails.
pub fn root_or_skip(why: &str) -> bool {
    if rustix::process::geteuid().is_root() {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI is set: this test needs root {why}"
    );
    eprintln!("skipped: needs root {why}");
    false
}
