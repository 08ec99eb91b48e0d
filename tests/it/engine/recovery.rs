//! Nothing is lost when a worker dies: jobs held by a process that was
//! `kill -9`ed, or whose heartbeat expired, go back to their queues.

use std::process::{Command, Stdio};
use std::time::Duration;

use kiqlab::engine::clock::now_secs;
use kiqlab::engine::store::{Heartbeat, LocalHost, Page, SetKind};
use serde_json::json;

use super::harness::{q, spec};
use super::{store_test, Harness};
use crate::support::{eventually, kiqlab_bin};

store_test!(
    a_lost_fetch_reply_is_swept_back,
    kill_9_of_a_real_worker_loses_nothing,
    jobs_of_a_process_without_heartbeat_are_recovered,
    live_processes_keep_their_jobs,
);

async fn kill_9_of_a_real_worker_loses_nothing(h: Harness) {
    let jids = h
        .client()
        .push_bulk(
            "DemoWorker",
            vec![vec![json!(60), json!("slow")]; 8],
            &Default::default(),
        )
        .await
        .unwrap();
    let mut child = Command::new(kiqlab_bin())
        .args(["worker", "--store", &h.url, "-c", "4", "--name", "doomed"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn kiqlab worker");
    // Wait until the child holds jobs (the queue shrinks), then kill it.
    eventually(
        Duration::from_secs(30),
        "the child to take jobs",
        || async { (h.stats().await.enqueued <= 4).then_some(()) },
    )
    .await;
    child.kill().expect("kill -9");
    child.wait().expect("reap");
    let held = 8 - h.stats().await.enqueued;
    assert!(held >= 4, "the child held {held} jobs");

    // A new worker on this host recovers them at start-up (the dead pid is
    // seen at once), then runs everything. DemoWorker records here.
    let mut registry_h = h.registry();
    let ran = h.ran.clone();
    registry_h.register("DemoWorker", Default::default(), move |ctx| {
        let ran = ran.clone();
        async move {
            ran.lock().unwrap().push(ctx.jid().to_owned());
            Ok(())
        }
    });
    let launcher = kiqlab::engine::launcher::Launcher::start(
        h.store.clone(),
        std::sync::Arc::new(registry_h),
        std::sync::Arc::new(kiqlab::engine::clock::SystemClock),
        h.fast_config(4, spec(&["default"], true)),
    )
    .await
    .unwrap();
    eventually(Duration::from_secs(20), "all 8 jobs to run", || async {
        (h.ran().len() >= 8).then_some(())
    })
    .await;
    launcher.stop().await;
    let mut ran = h.ran();
    ran.sort();
    ran.dedup();
    let mut want = jids.clone();
    want.sort();
    assert_eq!(ran, want, "every job ran");
    let s = h.stats().await;
    assert_eq!((s.enqueued, s.processed, s.dead), (0, 8, 0));
    assert!(
        h.store.processes(now_secs()).await.unwrap().is_empty(),
        "the dead process is gone from the Busy page"
    );
}

async fn jobs_of_a_process_without_heartbeat_are_recovered(h: Harness) {
    h.client()
        .push_bulk("NoopWorker", vec![vec![]; 5], &Default::default())
        .await
        .unwrap();
    let ghost = "ghost:424242:0123456789ab";
    let mut f = h
        .store
        .fetcher(ghost, &spec(&["default"], true))
        .await
        .unwrap();
    let got = f.fetch(&[q("default")], 3, Duration::ZERO).await.unwrap();
    assert_eq!(got.len(), 3);
    drop(f);
    assert_eq!(h.stats().await.enqueued, 2);
    let n = h.store.recover_orphans(&LocalHost::detect()).await.unwrap();
    assert_eq!(n, 3);
    assert_eq!(h.stats().await.enqueued, 5);
    // Recovered jobs are next in line.
    let next = h
        .store
        .queue_jobs(&q("default"), Page::oldest(0, 3))
        .await
        .unwrap();
    let raws: Vec<_> = next.iter().map(|j| j.raw.clone()).collect();
    let held: Vec<_> = got
        .iter()
        .map(|u| String::from_utf8(u.payload.to_vec()).unwrap())
        .collect();
    assert_eq!(raws, held);
    assert_eq!(
        h.store.recover_orphans(&LocalHost::detect()).await.unwrap(),
        0
    );
    assert_eq!(h.store.set_size(SetKind::Dead).await.unwrap(), 0);
}

async fn live_processes_keep_their_jobs(h: Harness) {
    h.client()
        .push_bulk("NoopWorker", vec![vec![]; 2], &Default::default())
        .await
        .unwrap();
    // A live process elsewhere (another pid space): heartbeat fresh.
    let id = "elsewhere:1:aaaaaaaaaaaa";
    let info =
        json!({"hostname": "elsewhere", "pid": 1, "identity": id, "pid_space": "other-machine"});
    h.store
        .heartbeat(&Heartbeat {
            identity: id.into(),
            info_json: info.to_string(),
            busy: 2,
            concurrency: 5,
            beat: now_secs(),
            quiet: false,
            rss_kb: 1,
            rtt_us: 1,
            work: vec![],
            ttl_secs: 60,
        })
        .await
        .unwrap();
    let mut f = h
        .store
        .fetcher(id, &spec(&["default"], true))
        .await
        .unwrap();
    assert_eq!(
        f.fetch(&[q("default")], 2, Duration::ZERO)
            .await
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        h.store.recover_orphans(&LocalHost::detect()).await.unwrap(),
        0
    );
    assert_eq!(h.stats().await.enqueued, 0);
    // Same machine, pid gone: recovered at once although the beat is fresh.
    let local = LocalHost::detect();
    if !local.pid_space.is_empty() {
        let id2 = "here:4000000:bbbbbbbbbbbb";
        let info = json!({"hostname": "here", "pid": 4_000_000u64, "identity": id2, "pid_space": local.pid_space});
        h.store
            .heartbeat(&Heartbeat {
                identity: id2.into(),
                info_json: info.to_string(),
                busy: 0,
                concurrency: 5,
                beat: now_secs(),
                quiet: false,
                rss_kb: 1,
                rtt_us: 1,
                work: vec![],
                ttl_secs: 60,
            })
            .await
            .unwrap();
        h.client()
            .perform_async("NoopWorker", vec![])
            .await
            .unwrap();
        let mut f2 = h
            .store
            .fetcher(id2, &spec(&["default"], true))
            .await
            .unwrap();
        assert_eq!(
            f2.fetch(&[q("default")], 5, Duration::ZERO)
                .await
                .unwrap()
                .len(),
            1
        );
        assert_eq!(h.store.recover_orphans(&local).await.unwrap(), 1);
        assert!(h
            .store
            .processes(now_secs())
            .await
            .unwrap()
            .iter()
            .all(|p| p.identity != id2));
    }
}

async fn a_lost_fetch_reply_is_swept_back(h: Harness) {
    // A live worker whose fetch reply was lost: the store holds a job under
    // its identity that it never received. The sweep returns it to the queue.
    let launcher = h.launch(h.fast_config(1, spec(&["default"], true))).await;
    let identity = launcher.identity().identity.clone();
    // Keep the worker at capacity (one job that waits for the test; no
    // prefetch before jobs are timed) so it fetches nothing more.
    h.client().perform_async("Gated", vec![]).await.unwrap();
    eventually(
        Duration::from_secs(10),
        "the worker at capacity",
        || async { (launcher.probe().held() == 1 && h.stats().await.enqueued == 0).then_some(()) },
    )
    .await;
    let jid = h
        .client()
        .perform_async("Record", vec![json!("lost")])
        .await
        .unwrap();
    // Take it under the worker's identity, as its lost fetch would have.
    let mut thief = h
        .store
        .fetcher(&identity, &spec(&["default"], true))
        .await
        .unwrap();
    let got = thief
        .fetch(&[q("default")], 1, Duration::ZERO)
        .await
        .unwrap();
    assert_eq!(got.len(), 1, "the stranded job");
    drop(thief);
    // The sweep (two in a row see it unknown) puts it back in the queue…
    eventually(
        Duration::from_secs(15),
        "the stranded job swept back",
        || async { (h.stats().await.enqueued == 1).then_some(()) },
    )
    .await;
    // …and once the worker has room again, it runs.
    h.gate.add_permits(1);
    eventually(Duration::from_secs(15), "the swept job to run", || async {
        h.ran().contains(&jid).then_some(())
    })
    .await;
    launcher.stop().await;
    let s = h.stats().await;
    assert_eq!((s.processed, s.enqueued), (2, 0));
}
