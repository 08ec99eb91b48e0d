//! The process registry driven by hand: heartbeats list processes and
//! their work, signals arrive one per heartbeat, expired processes are
//! pruned, and the jobs of dead processes go back to the front while live
//! ones keep theirs (once SQLite-only tests; the same on both stores).

use std::time::Duration;

use kiqlab::engine::clock::now_secs;
use kiqlab::engine::store::{Heartbeat, LocalHost, Signal};
use serde_json::json;

use super::fixtures::{args_of, job};
use super::harness::{q, spec};
use super::{store_test, Harness};
use crate::support::eventually;

store_test!(
    heartbeats_list_processes_and_their_work,
    signals_are_delivered_one_per_heartbeat_oldest_first,
    expired_processes_are_pruned,
    a_live_process_keeps_what_it_holds,
    jobs_of_an_expired_or_missing_heartbeat_go_back_to_the_front,
    a_clean_stop_returns_what_is_still_held,
);

fn beat(identity: &str, pid: u64, pid_space: &str, ttl_secs: u64) -> Heartbeat {
    let info = json!({
        "hostname": "test-host", "started_at": now_secs(), "pid": pid, "tag": "",
        "concurrency": 5, "queues": ["default"], "labels": [], "identity": identity,
        "pid_space": pid_space,
    });
    Heartbeat {
        identity: identity.to_owned(),
        info_json: info.to_string(),
        busy: 2,
        concurrency: 5,
        beat: now_secs(),
        quiet: false,
        rss_kb: 1234,
        rtt_us: 56,
        work: vec![],
        ttl_secs,
    }
}

async fn heartbeats_list_processes_and_their_work(h: Harness) {
    let store = h.store.clone();
    let now = now_secs();
    let mut b = beat("host:1:aaa", 1, "", 60);
    b.work = vec![
        ("t2".into(), json!({"queue": "default", "payload": "{\"class\":\"B\",\"args\":[]}", "run_at": now - 1.0}).to_string()),
        ("t1".into(), json!({"queue": "default", "payload": "{\"class\":\"A\",\"args\":[]}", "run_at": now - 5.0}).to_string()),
    ];
    assert_eq!(store.heartbeat(&b).await.unwrap(), None);
    store
        .heartbeat(&beat("host:2:bbb", 2, "", 60))
        .await
        .unwrap();
    let procs = store.processes(now).await.unwrap();
    assert_eq!(procs.len(), 2);
    let p = &procs[0];
    assert_eq!(
        (p.identity.as_str(), p.hostname(), p.busy),
        ("host:1:aaa", "test-host", 2)
    );
    assert_eq!(
        (p.rss_kb, p.rtt_us, p.concurrency(), p.quiet),
        (1234, 56, 5, false)
    );
    let work = store.work(now).await.unwrap();
    let tids: Vec<&str> = work.iter().map(|w| w.tid.as_str()).collect();
    assert_eq!(tids, vec!["t1", "t2"]);
    assert_eq!(work[0].job().unwrap().class(), "A");
    let stats = store.stats(now).await.unwrap();
    assert_eq!((stats.processes, stats.busy), (2, 4));
    // A new beat replaces the work list.
    store
        .heartbeat(&beat("host:1:aaa", 1, "", 60))
        .await
        .unwrap();
    assert!(store.work(now).await.unwrap().is_empty());
}

async fn signals_are_delivered_one_per_heartbeat_oldest_first(h: Harness) {
    let store = h.store.clone();
    let b = beat("host:1:aaa", 1, "", 60);
    store.heartbeat(&b).await.unwrap();
    store.signal("host:1:aaa", &Signal::Quiet).await.unwrap();
    store.signal("host:1:aaa", &Signal::Stop).await.unwrap();
    store.signal("host:9:other", &Signal::Stop).await.unwrap();
    assert_eq!(store.heartbeat(&b).await.unwrap(), Some(Signal::Quiet));
    assert_eq!(store.heartbeat(&b).await.unwrap(), Some(Signal::Stop));
    assert_eq!(store.heartbeat(&b).await.unwrap(), None);
}

async fn expired_processes_are_pruned(h: Harness) {
    let store = h.store.clone();
    store
        .heartbeat(&beat("host:1:short", 1, "", 2))
        .await
        .unwrap();
    store
        .heartbeat(&beat("host:2:long", 2, "", 60))
        .await
        .unwrap();
    assert_eq!(store.processes(now_secs()).await.unwrap().len(), 2);
    let left = eventually(
        Duration::from_secs(5),
        "the 2 s heartbeat to expire",
        || {
            let store = store.clone();
            async move {
                let procs = store.processes(now_secs()).await.unwrap();
                (procs.len() == 1).then_some(procs)
            }
        },
    )
    .await;
    assert_eq!(left[0].identity, "host:2:long");
    assert_eq!(store.stats(now_secs()).await.unwrap().processes, 1);
}

async fn a_live_process_keeps_what_it_holds(h: Harness) {
    let store = h.store.clone();
    let local = LocalHost::detect();
    let me = u64::from(std::process::id());
    store
        .heartbeat(&beat("host:1:live", me, &local.pid_space, 60))
        .await
        .unwrap();
    store.push(&[job("default", 1, 1.0)]).await.unwrap();
    let mut f = store
        .fetcher("host:1:live", &spec(&["default"], true))
        .await
        .unwrap();
    assert_eq!(
        f.fetch(&[q("default")], 5, Duration::ZERO)
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(store.recover_orphans(&local).await.unwrap(), 0);
    assert_eq!(store.processes(now_secs()).await.unwrap().len(), 1);
}

async fn jobs_of_an_expired_or_missing_heartbeat_go_back_to_the_front(h: Harness) {
    let store = h.store.clone();
    let local = LocalHost::detect();
    let jobs: Vec<_> = (0..5).map(|i| job("default", i, 1.0)).collect();
    store.push(&jobs).await.unwrap();
    store
        .heartbeat(&beat("host:1:gone", 1, "", 2))
        .await
        .unwrap();
    let mut f = store
        .fetcher("host:1:gone", &spec(&["default"], true))
        .await
        .unwrap();
    assert_eq!(
        args_of(&f.fetch(&[q("default")], 2, Duration::ZERO).await.unwrap()),
        vec![0, 1]
    );
    // Never heartbeated at all.
    let mut g = store
        .fetcher("host:2:never", &spec(&["default"], true))
        .await
        .unwrap();
    assert_eq!(
        args_of(&g.fetch(&[q("default")], 1, Duration::ZERO).await.unwrap()),
        vec![2]
    );
    assert_eq!(store.recover_orphans(&local).await.unwrap(), 1);
    let n = eventually(Duration::from_secs(5), "the heartbeat to expire", || {
        let store = store.clone();
        let local = local.clone();
        async move {
            let n = store.recover_orphans(&local).await.unwrap();
            (n > 0).then_some(n)
        }
    })
    .await;
    assert_eq!(n, 2);
    let mut h = store
        .fetcher("host:3:new", &spec(&["default"], true))
        .await
        .unwrap();
    let all = h.fetch(&[q("default")], 10, Duration::ZERO).await.unwrap();
    assert_eq!(args_of(&all), vec![0, 1, 2, 3, 4]);
}

async fn a_clean_stop_returns_what_is_still_held(h: Harness) {
    let store = h.store.clone();
    let jobs: Vec<_> = (0..3).map(|i| job("default", i, 1.0)).collect();
    store.push(&jobs).await.unwrap();
    store
        .heartbeat(&beat("host:1:stop", 1, "", 60))
        .await
        .unwrap();
    let mut f = store
        .fetcher("host:1:stop", &spec(&["default"], true))
        .await
        .unwrap();
    assert_eq!(
        f.fetch(&[q("default")], 2, Duration::ZERO)
            .await
            .unwrap()
            .len(),
        2
    );
    assert!(f.close().await.unwrap().is_empty());
    store.clear_heartbeat("host:1:stop").await.unwrap();
    assert!(store.processes(now_secs()).await.unwrap().is_empty());
    assert_eq!(store.queues(1.0).await.unwrap()[0].size, 3);
}
