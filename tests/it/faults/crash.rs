//! Workers that die or are stopped in the middle of a load.

use std::time::Duration;

use kiqlab::engine::client::PushOptions;
use kiqlab::engine::clock::now_secs;
use kiqlab::engine::store::{Page, SetKind, SetQuery};
use serde_json::json;

use crate::engine::{store_test, Harness};
use crate::support::{count_messages, eventually, temp_dir, RedisServer, WorkerProc};

store_test!(
    kill_9_in_the_middle_of_10k_jobs,
    sigterm_finishes_or_pushes_back,
    panicking_handler_is_a_retried_failure
);

async fn demo_jobs(h: &Harness, prefix: &str, n: usize, delay: f64) {
    let args = (0..n)
        .map(|i| vec![json!(delay), json!(format!("{prefix}{i}"))])
        .collect();
    h.client()
        .push_bulk("DemoWorker", args, &PushOptions::default())
        .await
        .unwrap();
}

async fn wait_processed(h: &Harness, n: u64, secs: u64) {
    eventually(
        Duration::from_secs(secs),
        &format!("{n} processed"),
        || async { (h.stats().await.processed >= n).then_some(()) },
    )
    .await;
}

async fn kill_9_in_the_middle_of_10k_jobs(h: Harness) {
    const N: usize = 10_000;
    demo_jobs(&h, "fault-", N, 0.005).await;
    let dir = temp_dir();
    let mut a = WorkerProc::start(
        &h.url,
        &["-c", "25", "--name", "victim"],
        &dir.path().join("a.log"),
    );
    wait_processed(&h, 2_000, 60).await;
    a.kill9();
    let at_kill = h.stats().await;
    assert!(at_kill.processed < N as u64, "killed in the middle");
    let mut b = WorkerProc::start(
        &h.url,
        &["-c", "25", "--name", "rescuer"],
        &dir.path().join("b.log"),
    );
    eventually(Duration::from_secs(120), "all jobs done", || async {
        let s = h.stats().await;
        (s.processed >= N as u64 && s.enqueued == 0 && s.busy == 0).then_some(())
    })
    .await;
    let (status, _) = b.term();
    assert!(status.success());
    let logs = [a.log_text(), b.log_text()];
    let seen = count_messages(&logs, "fault-");
    let executions: usize = seen.values().sum();
    assert_eq!(seen.len(), N, "every job ran at least once");
    let s = h.stats().await;
    assert!(
        s.processed >= N as u64 && s.processed as usize <= executions,
        "processed {} counts acknowledged runs ({} executions)",
        s.processed,
        executions
    );
    assert_eq!(
        (s.failed, s.dead, s.retries, s.enqueued, s.processes),
        (0, 0, 0, 0, 0)
    );
    eprintln!(
        "kill -9: {} processed before the kill, {} executions for {N} jobs ({} ran twice)",
        at_kill.processed,
        executions,
        executions - N
    );
}

async fn sigterm_finishes_or_pushes_back(h: Harness) {
    demo_jobs(&h, "quick-", 13, 0.3).await;
    demo_jobs(&h, "long-", 12, 4.0).await;
    let dir = temp_dir();
    let mut w = WorkerProc::start(&h.url, &["-c", "25", "-t", "2s"], &dir.path().join("a.log"));
    eventually(Duration::from_secs(20), "25 busy", || async {
        (h.stats().await.busy == 25).then_some(())
    })
    .await;
    let (status, took) = w.term();
    assert!(status.success(), "clean exit on TERM");
    assert!(
        took < Duration::from_secs(6),
        "stopped within -t 2 (took {took:?})"
    );
    let s = h.stats().await;
    assert_eq!(
        (s.processed, s.enqueued, s.processes),
        (13, 12, 0),
        "quick ones finished, long ones back"
    );
    let mut w2 = WorkerProc::start(&h.url, &["-c", "25"], &dir.path().join("b.log"));
    wait_processed(&h, 25, 30).await;
    let (status, _) = w2.term();
    assert!(status.success());
    let logs = [w.log_text(), w2.log_text()];
    let seen = count_messages(&logs, "quick-");
    assert_eq!(seen.len(), 13);
    assert!(
        seen.values().all(|n| *n == 1),
        "nothing crashed: no job ran twice"
    );
    let seen = count_messages(&logs, "long-");
    assert_eq!(seen.len(), 12);
    assert!(seen.values().all(|n| *n == 1));
    let s = h.stats().await;
    assert_eq!((s.processed, s.failed, s.enqueued), (25, 0, 0));
}

async fn panicking_handler_is_a_retried_failure(h: Harness) {
    let opts = PushOptions {
        retry: Some(kiqlab::engine::job::Retry::Count(1)),
        ..PushOptions::default()
    };
    let jid = h
        .client()
        .push("Panic", vec![json!("kaboom")], &opts)
        .await
        .unwrap();
    let launcher = h
        .launch(h.fast_config(2, crate::engine::harness_spec(&["default"])))
        .await;
    let e = eventually(
        Duration::from_secs(10),
        "the panic in the retry set",
        || async {
            h.store
                .set_entries(&SetQuery::new(SetKind::Retry, Page::oldest(0, 1)))
                .await
                .unwrap()
                .pop()
        },
    )
    .await;
    let job = e.job.clone().unwrap();
    assert_eq!(job.jid(), jid);
    assert_eq!(job.error_class(), Some("Panic"));
    assert_eq!(job.error_message(), Some("job panicked: kaboom"));
    // Retried: it panics again and, out of retries, goes dead.
    assert_eq!(h.store.enqueue_due(e.score).await.unwrap(), 1);
    eventually(Duration::from_secs(10), "dead after its retry", || async {
        (h.store.set_size(SetKind::Dead).await.unwrap() == 1).then_some(())
    })
    .await;
    // The worker is still up.
    let ok = h.client().perform_async("Record", vec![]).await.unwrap();
    eventually(
        Duration::from_secs(10),
        "a job after the panics",
        || async { h.ran().contains(&ok).then_some(()) },
    )
    .await;
    launcher.stop().await;
    let s = h.stats().await;
    assert_eq!((s.processed, s.failed, s.dead), (3, 2, 1));
    assert!(now_secs() > 0.0);
}

/// Redis restarted (AOF, fsync always) under a loaded worker process.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_restart_in_the_middle_of_a_load() {
    let Some(mut redis) =
        RedisServer::start_with(&["--appendonly", "yes", "--appendfsync", "always"])
    else {
        return;
    };
    let url = redis.url();
    let store =
        kiqlab::engine::store::open(&kiqlab::engine::store::url::StoreUrl::parse(&url).unwrap())
            .await
            .unwrap();
    let h = Harness::from_store(store, url.clone());
    const N: usize = 5_000;
    demo_jobs(&h, "restart-", N, 0.002).await;
    let dir = temp_dir();
    let mut w = WorkerProc::start(&url, &["-c", "10"], &dir.path().join("w.log"));
    wait_processed(&h, 1_000, 60).await;
    tokio::task::block_in_place(|| redis.restart());
    eventually(
        Duration::from_secs(120),
        "all done after the restart",
        || async {
            let s = h.try_stats().await?;
            (s.processed >= N as u64 && s.enqueued == 0 && s.busy == 0).then_some(())
        },
    )
    .await;
    assert!(w.is_running(), "the worker survived the outage");
    let (status, _) = w.term();
    assert!(status.success());
    let seen = count_messages(&[w.log_text()], "restart-");
    assert_eq!(seen.len(), N, "every job ran");
    let s = h.stats().await;
    assert_eq!((s.failed, s.dead, s.enqueued), (0, 0, 0));
}
