//! One file, many users: a blocking fetch woken by pushes from another
//! connection and from another process, concurrent stores hammering one
//! file, the errors a bad path gives, and the file's own figures.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use kiqlab::engine::clock::now_secs;
use kiqlab::engine::store::prelude::*;
use kiqlab::engine::store::sqlite::SqliteStore;
use kiqlab::engine::store::url::StoreUrl;
use kiqlab::engine::store::{self, Heartbeat, LocalHost, StoreError, UnitOfWork};
use tokio::task::JoinHandle;

use super::{arg_of, db_path, done, fresh, job, q, spec};
use crate::support::temp_dir;

/// Set in the child process of `a_push_from_another_process_wakes_a_blocked_fetch`.
const CHILD_ENV: &str = "KIQLAB_IT_SQLITE_CHILD_DB";

/// How long a woken fetch may block: far beyond any wake-up on a loaded
/// machine, so getting the job before it ends is what shows the wake-up.
const BLOCK: Duration = Duration::from_secs(60);

/// The waiting handle's fallback poll: longer than `BLOCK`, so before the
/// block ends only a wake-up can deliver the job.
const NO_POLL: Duration = Duration::from_secs(3600);

/// A fetch on its own handle that learns of jobs by wake-ups only; yields
/// what it got and how long it waited.
fn blocked_fetch(store: SqliteStore) -> JoinHandle<(Vec<UnitOfWork>, Duration)> {
    tokio::spawn(async move {
        let store = store.with_idle_poll(NO_POLL);
        let mut f = store
            .fetcher("w:1:a", &spec(&["default"], true))
            .await
            .unwrap();
        let start = Instant::now();
        let got = f.fetch(&[q("default")], 5, BLOCK).await.unwrap();
        (got, start.elapsed())
    })
}

/// Gives a fetcher time to go idle (past its first look and its short
/// re-checks). If it has not, it finds the job at its first look: the test
/// then proves less, but cannot fail for it.
async fn let_it_idle() {
    tokio::time::sleep(Duration::from_millis(300)).await;
}

#[tokio::test]
async fn a_push_in_this_process_wakes_a_blocked_fetch() {
    let (store, _dir) = fresh().await;
    let waiting = blocked_fetch(store.clone());
    let_it_idle().await;
    store.push(&[job("default", 7, now_secs())]).await.unwrap();
    let (got, waited) = waiting.await.unwrap();
    assert_eq!(got.len(), 1);
    assert!(waited < BLOCK, "woken by the push, not by the block's end");
}

#[tokio::test]
async fn a_push_through_another_connection_wakes_a_blocked_fetch() {
    let (store, dir) = fresh().await;
    let other = SqliteStore::open(&db_path(dir.path())).await.unwrap();
    let waiting = blocked_fetch(store);
    let_it_idle().await;
    other.push(&[job("default", 7, now_secs())]).await.unwrap();
    let (got, waited) = waiting.await.unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(arg_of(&got[0]), 7);
    assert!(waited < BLOCK, "woken by the push, not by the block's end");
}

/// The child half of the next test: pushes one job and prints when.
#[tokio::test]
#[ignore = "run by a_push_from_another_process_wakes_a_blocked_fetch"]
async fn child_pushes_one_job() {
    let Some(path) = std::env::var_os(CHILD_ENV) else {
        return;
    };
    let store = SqliteStore::open(std::path::Path::new(&path))
        .await
        .unwrap();
    store.push(&[job("default", 42, now_secs())]).await.unwrap();
    println!("PUSHED {}", now_secs());
}

#[tokio::test]
async fn a_push_from_another_process_wakes_a_blocked_fetch() {
    let (store, dir) = fresh().await;
    let waiting = blocked_fetch(store);
    let_it_idle().await;
    let exe = std::env::current_exe().unwrap();
    let out = tokio::process::Command::new(exe)
        .args([
            "--exact",
            "sqlite_store::sharing::child_pushes_one_job",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, db_path(dir.path()))
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "child failed: {stdout}");
    assert!(stdout.contains("PUSHED "), "child did not push: {stdout}");
    let (got, waited) = waiting.await.unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(arg_of(&got[0]), 42);
    assert!(
        waited < BLOCK,
        "woken by the other process's push (inotify), not by the block's end"
    );
}

fn heartbeat(identity: &str) -> Heartbeat {
    let local = LocalHost::detect();
    let info = serde_json::json!({
        "hostname": "test-host", "pid": std::process::id(), "identity": identity,
        "pid_space": local.pid_space,
    });
    Heartbeat {
        identity: identity.to_owned(),
        info_json: info.to_string(),
        busy: 0,
        concurrency: 5,
        beat: now_secs(),
        quiet: false,
        rss_kb: 0,
        rtt_us: 0,
        work: vec![],
        ttl_secs: 60,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_stores_hammering_one_file_process_every_job_exactly_once() {
    const PER_PUSHER: usize = 1500;
    const BATCH: usize = 50;
    let dir = temp_dir();
    let path = db_path(dir.path());
    let stores = [
        SqliteStore::open(&path).await.unwrap(),
        SqliteStore::open(&path).await.unwrap(),
    ];
    let total = 2 * PER_PUSHER;
    let done_count = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for (s, store) in stores.iter().enumerate() {
        // A pusher: mostly ready jobs, one in ten scheduled in the past.
        let st = store.clone();
        tasks.push(tokio::spawn(async move {
            for chunk in (0..PER_PUSHER).collect::<Vec<_>>().chunks(BATCH) {
                let jobs: Vec<_> = chunk
                    .iter()
                    .map(|i| {
                        let id = (s * 1_000_000 + i) as i64;
                        let mut j = job("default", id, now_secs());
                        if i % 10 == 0 {
                            j.set_time("at", now_secs() - 1.0);
                        }
                        j
                    })
                    .collect();
                st.push(&jobs).await.unwrap();
            }
            Vec::new()
        }));
        // Scheduler, reaper and dashboard reads, as a worker and web node do.
        let st = store.clone();
        let finished = Arc::clone(&done_count);
        tasks.push(tokio::spawn(async move {
            let local = LocalHost::detect();
            while finished.load(Ordering::SeqCst) < total {
                st.enqueue_due(now_secs()).await.unwrap();
                assert_eq!(st.recover_orphans(&local).await.unwrap(), 0);
                st.stats(now_secs()).await.unwrap();
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            Vec::new()
        }));
        // Two workers per store.
        for w in 0..2 {
            let st = store.clone();
            let finished = Arc::clone(&done_count);
            tasks.push(tokio::spawn(async move {
                let identity = format!("host:{s}{w}:hammer");
                st.heartbeat(&heartbeat(&identity)).await.unwrap();
                let mut f = st
                    .fetcher(&identity, &spec(&["default"], true))
                    .await
                    .unwrap();
                let mut seen = Vec::new();
                while finished.load(Ordering::SeqCst) < total {
                    let got = f
                        .fetch(&[q("default")], 20, Duration::from_millis(50))
                        .await
                        .unwrap();
                    if got.is_empty() {
                        continue;
                    }
                    seen.extend(got.iter().map(arg_of));
                    let batch: Vec<_> = got.iter().map(|u| done(u, now_secs())).collect();
                    st.complete(&identity, &batch, now_secs()).await.unwrap();
                    finished.fetch_add(got.len(), Ordering::SeqCst);
                }
                seen
            }));
        }
    }
    let mut counts: HashMap<i64, usize> = HashMap::new();
    let all = tokio::time::timeout(Duration::from_secs(120), futures::future::join_all(tasks))
        .await
        .expect("the hammer finishes");
    for t in all {
        for id in t.unwrap() {
            *counts.entry(id).or_default() += 1;
        }
    }
    assert_eq!(counts.len(), total);
    assert!(counts.values().all(|&n| n == 1), "a job ran twice");
    let stats = stores[0].stats(now_secs()).await.unwrap();
    assert_eq!(
        (stats.processed, stats.enqueued, stats.scheduled),
        (total as u64, 0, 0)
    );
}

#[tokio::test]
async fn store_urls_open_the_sqlite_store() {
    let dir = temp_dir();
    let url = format!("sqlite://{}", dir.path().join("a/b/jobs.db").display());
    let store = store::open(&StoreUrl::parse(&url).unwrap()).await.unwrap();
    assert_eq!(store.describe(), url);
    assert!(store.ping().await.unwrap() < Duration::from_secs(5));
    store.push(&[job("default", 1, 1.0)]).await.unwrap();
    let reopened = store::open(&StoreUrl::parse(&url).unwrap()).await.unwrap();
    assert_eq!(reopened.stats(1.0).await.unwrap().enqueued, 1);
}

#[tokio::test]
async fn an_unusable_path_is_a_clear_error() {
    let err = SqliteStore::open(std::path::Path::new("/proc/kiqlab-nope/jobs.db"))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::SqliteOpen { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains("/proc/kiqlab-nope/jobs.db"), "{msg}");
    assert!(msg.contains("cannot create directory"), "{msg}");
    // A directory where the file should be.
    let dir = temp_dir();
    let err = SqliteStore::open(dir.path()).await.unwrap_err();
    assert!(matches!(err, StoreError::SqliteOpen { .. }), "{err:?}");
}

#[tokio::test]
async fn info_reports_the_file_and_its_rows() {
    let (store, _dir) = fresh().await;
    store
        .push(&(0..3).map(|i| job("default", i, 1.0)).collect::<Vec<_>>())
        .await
        .unwrap();
    let info = store.file_info().await.unwrap();
    assert!(info.file_bytes > 0 && info.page_size > 0 && info.page_count > 0);
    assert!(info.wal_bytes > 0);
    assert_eq!(info.jobs, vec![("ready".to_owned(), 3)]);
    assert_eq!(info.queues, 1);
    assert!(info
        .pairs()
        .iter()
        .any(|(k, v)| k == "jobs_ready" && v == "3"));
    // What the dashboard's panel gets: the kind, the library's version, and
    // every figure.
    let panel = store.info().await.unwrap();
    assert_eq!(panel.kind, store::StoreKind::Sqlite);
    assert_eq!(panel.version, info.sqlite_version);
    assert_eq!(panel.field("jobs_ready"), Some("3"));
    assert_eq!(panel.headline, panel.fields);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_stores_can_create_one_new_file_at_once() {
    let dir = temp_dir();
    let path = db_path(dir.path());
    let opens = (0..6).map(|_| {
        let path = path.clone();
        tokio::spawn(async move { SqliteStore::open(&path).await })
    });
    let stores: Vec<SqliteStore> = futures::future::join_all(opens)
        .await
        .into_iter()
        .map(|r| r.unwrap().unwrap())
        .collect();
    for (i, s) in stores.iter().enumerate() {
        s.push(&[job("default", i as i64, 1.0)]).await.unwrap();
    }
    assert_eq!(stores[0].stats(1.0).await.unwrap().enqueued, 6);
    assert_eq!(stores[5].file_info().await.unwrap().schema_version, 3);
}

/// Set in the worker children of `two_worker_processes_drain_one_file_exactly_once`.
const WORKER_ENV: &str = "KIQLAB_IT_SQLITE_WORKER_DB";

/// The child half of the next test: works until the queue is empty and the
/// parent has finished pushing, printing the argument of every job it ran.
#[tokio::test]
#[ignore = "run by two_worker_processes_drain_one_file_exactly_once"]
async fn child_works_until_drained() {
    let Some(path) = std::env::var_os(WORKER_ENV) else {
        return;
    };
    let path = std::path::PathBuf::from(path);
    let pushed_marker = path.with_extension("pushed");
    let store = SqliteStore::open(&path).await.unwrap();
    let identity = format!("test-host:{}:child", std::process::id());
    store.heartbeat(&heartbeat(&identity)).await.unwrap();
    let mut f = store
        .fetcher(&identity, &spec(&["default"], true))
        .await
        .unwrap();
    let mut out = String::new();
    loop {
        let got = f
            .fetch(&[q("default")], 20, Duration::from_millis(200))
            .await
            .unwrap();
        if got.is_empty() {
            if pushed_marker.exists() {
                break;
            }
            continue;
        }
        for u in &got {
            out.push_str(&format!("DID {}\n", arg_of(u)));
        }
        let batch: Vec<_> = got.iter().map(|u| done(u, now_secs())).collect();
        store.complete(&identity, &batch, now_secs()).await.unwrap();
    }
    store.clear_heartbeat(&identity).await.unwrap();
    print!("{out}");
}

#[tokio::test]
async fn two_worker_processes_drain_one_file_exactly_once() {
    const JOBS: i64 = 3000;
    let dir = temp_dir();
    let path = db_path(dir.path());
    let store = SqliteStore::open(&path).await.unwrap();
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = (0..2)
        .map(|_| {
            tokio::process::Command::new(&exe)
                .args([
                    "--exact",
                    "sqlite_store::sharing::child_works_until_drained",
                    "--ignored",
                    "--nocapture",
                    "--test-threads=1",
                ])
                .env(WORKER_ENV, &path)
                .stdout(std::process::Stdio::piped())
                .kill_on_drop(true)
                .spawn()
                .unwrap()
        })
        .collect();
    for start in (0..JOBS).step_by(50) {
        let jobs: Vec<_> = (start..start + 50)
            .map(|i| job("default", i, now_secs()))
            .collect();
        store.push(&jobs).await.unwrap();
    }
    std::fs::write(path.with_extension("pushed"), b"").unwrap();
    let mut counts: HashMap<i64, usize> = HashMap::new();
    for child in children {
        let out = tokio::time::timeout(Duration::from_secs(120), child.wait_with_output())
            .await
            .expect("the child finishes")
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "child failed: {stdout}");
        for id in stdout.lines().filter_map(|l| l.split_once("DID ")) {
            *counts.entry(id.1.trim().parse().unwrap()).or_default() += 1;
        }
    }
    assert_eq!(counts.len(), JOBS as usize);
    assert!(counts.values().all(|&n| n == 1), "a job ran twice");
    let stats = store.stats(now_secs()).await.unwrap();
    assert_eq!(
        (stats.processed, stats.enqueued, stats.processes),
        (JOBS as u64, 0, 0)
    );
}
