//! A running worker as others see it: heartbeat fields, work in progress,
//! quiet and stop through signals sent via the store, push-back on stop.

use std::time::Duration;

use kiqlab::engine::client::PushOptions;
use kiqlab::engine::clock::now_secs;
use kiqlab::engine::store::{Page, Signal};
use serde_json::json;

use super::harness::{q, spec};
use super::{store_test, Harness};
use crate::support::eventually;

store_test!(
    heartbeat_shows_process_and_work,
    quiet_and_stop_via_store_signals,
    stop_pushes_unfinished_jobs_back,
    stop_waits_for_jobs_within_the_timeout,
    urgent_queue_jumps_the_line,
);

async fn heartbeat_shows_process_and_work(h: Harness) {
    let jid = h
        .client()
        .perform_async("Slow", vec![json!(30)])
        .await
        .unwrap();
    let mut cfg = h.fast_config(3, spec(&["urgent,2", "default,1"], false));
    cfg.timeout = Duration::from_millis(200);
    cfg.tag = "lab".into();
    cfg.name = Some("worker-07".into());
    cfg.ip = Some("10.1.2.3".into());
    let launcher = h.launch(cfg).await;
    let identity = launcher.identity().identity.clone();
    assert!(identity.starts_with(&format!("worker-07:{}:", std::process::id())));
    let p = eventually(Duration::from_secs(10), "busy process", || async {
        h.store
            .processes(now_secs())
            .await
            .unwrap()
            .into_iter()
            .find(|p| p.identity == identity && p.busy == 1)
    })
    .await;
    assert_eq!(p.hostname(), "worker-07");
    assert_eq!(p.ip(), "10.1.2.3");
    assert_eq!(p.tag(), "lab");
    assert_eq!(p.concurrency(), 3);
    assert_eq!(p.queues(), vec!["urgent", "default"]);
    assert_eq!(p.pid(), u64::from(std::process::id()));
    assert!(!p.quiet);
    assert!(p.rss_kb > 0);
    let work = h.store.work(now_secs()).await.unwrap();
    assert_eq!(work.len(), 1);
    assert_eq!(work[0].identity, identity);
    assert_eq!(work[0].queue, "default");
    assert_eq!(work[0].job().unwrap().jid(), jid);
    let s = h.stats().await;
    assert_eq!((s.busy, s.processes), (1, 1));
    let report = launcher.stop().await;
    assert_eq!(
        report.requeued, 1,
        "the 30 s job is pushed back after the 0.2 s timeout"
    );
    assert!(h.store.processes(now_secs()).await.unwrap().is_empty());
}

async fn quiet_and_stop_via_store_signals(h: Harness) {
    let mut launcher = h.launch(h.fast_config(2, spec(&["default"], true))).await;
    let identity = launcher.identity().identity.clone();
    h.store.signal(&identity, &Signal::Quiet).await.unwrap();
    let c = tokio::time::timeout(Duration::from_secs(10), launcher.next_control())
        .await
        .expect("quiet arrives with a heartbeat");
    assert_eq!(c, Some(kiqlab::engine::launcher::Control::Quiet));
    launcher.quiet().await;
    eventually(
        Duration::from_secs(10),
        "quiet=true in the heartbeat",
        || async {
            h.store
                .processes(now_secs())
                .await
                .unwrap()
                .into_iter()
                .find(|p| p.identity == identity && p.quiet)
        },
    )
    .await;
    // Quiet: new work stays in the queue. `quiet()` returned after the
    // fetch task ended, so no wait is needed to show that nothing is
    // fetched: the job must still be there, unrun, once TERM (carried by a
    // later heartbeat) has stopped the worker.
    let jid = h.client().perform_async("Record", vec![]).await.unwrap();
    h.store.signal(&identity, &Signal::Stop).await.unwrap();
    let report = tokio::time::timeout(
        Duration::from_secs(20),
        launcher.run_until_stopped(false, std::future::pending()),
    )
    .await
    .expect("TERM through the store stops the worker")
    .unwrap();
    assert_eq!((report.requeued, report.executed), (0, 0));
    assert!(!h.ran().contains(&jid));
    assert_eq!(h.stats().await.enqueued, 1);
    assert!(h.store.processes(now_secs()).await.unwrap().is_empty());
}

async fn stop_pushes_unfinished_jobs_back(h: Harness) {
    let opts = PushOptions::default();
    let jids = h
        .client()
        .push_bulk("Slow", vec![vec![json!(30)]; 6], &opts)
        .await
        .unwrap();
    let mut cfg = h.fast_config(4, spec(&["default"], true));
    cfg.timeout = Duration::from_millis(300);
    let launcher = h.launch(cfg).await;
    eventually(Duration::from_secs(10), "4 jobs running", || async {
        (launcher.probe().busy() == 4).then_some(())
    })
    .await;
    let report = launcher.stop().await;
    assert_eq!(report.requeued, 4);
    let s = h.stats().await;
    assert_eq!(s.enqueued, 6, "all six are back in the queue");
    assert_eq!((s.processed, s.busy, s.processes), (0, 0, 0));
    // They come back in their original order, and a restart finishes them.
    let queued = h
        .store
        .queue_jobs(&q("default"), Page::oldest(0, 10))
        .await
        .unwrap();
    let order: Vec<String> = queued
        .iter()
        .map(|j| j.job.as_ref().unwrap().jid().to_owned())
        .collect();
    assert_eq!(order, jids);
}

async fn stop_waits_for_jobs_within_the_timeout(h: Harness) {
    let jids = h
        .client()
        .push_bulk("Slow", vec![vec![json!(0.5)]; 3], &PushOptions::default())
        .await
        .unwrap();
    let mut cfg = h.fast_config(3, spec(&["default"], true));
    cfg.timeout = Duration::from_secs(10);
    let launcher = h.launch(cfg).await;
    eventually(Duration::from_secs(10), "3 jobs running", || async {
        (launcher.probe().busy() == 3).then_some(())
    })
    .await;
    let report = launcher.stop().await;
    assert_eq!(report.requeued, 0);
    let mut ran = h.ran();
    ran.sort();
    let mut want = jids.clone();
    want.sort();
    assert_eq!(ran, want);
    let s = h.stats().await;
    assert_eq!((s.processed, s.enqueued), (3, 0));
}

async fn urgent_queue_jumps_the_line(h: Harness) {
    // 20 slow default jobs, then one urgent: with strict order the urgent one
    // runs next, ahead of the 18 still waiting.
    let c = h.client();
    c.push_bulk("Slow", vec![vec![json!(0.3)]; 20], &PushOptions::default())
        .await
        .unwrap();
    let mut cfg = h.fast_config(2, spec(&["urgent", "default"], false));
    cfg.timeout = Duration::from_millis(100);
    let launcher = h.launch(cfg).await;
    eventually(Duration::from_secs(10), "2 running", || async {
        (launcher.probe().busy() == 2).then_some(())
    })
    .await;
    let urgent = c
        .push(
            "Record",
            vec![],
            &PushOptions {
                queue: Some(q("urgent")),
                ..PushOptions::default()
            },
        )
        .await
        .unwrap();
    eventually(Duration::from_secs(10), "the urgent job", || async {
        h.ran().contains(&urgent).then_some(())
    })
    .await;
    let position = h.ran().iter().position(|j| *j == urgent).unwrap();
    assert!(position <= 4, "urgent ran after {position} slow jobs");
    launcher.stop().await;
}
