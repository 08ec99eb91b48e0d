//! Processes known dead on this machine (same pid space, pid gone) give
//! back their jobs at once, and leave the Busy page whether or not they held
//! anything. The Redis store recovers what such a process held just as
//! fast (`engine::recovery`), but an idle one stays listed until its
//! heartbeat expires, as with Sidekiq: that difference is why this test is
//! SQLite's own.

use std::time::Duration;

use kiqlab::engine::clock::now_secs;
use kiqlab::engine::store::prelude::*;
use kiqlab::engine::store::{Heartbeat, LocalHost};
use serde_json::json;

use super::{args_of, fresh, job, q, spec};

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

/// The pid of a process that has exited (and been reaped).
fn dead_pid() -> u64 {
    let mut child = std::process::Command::new("true")
        .spawn()
        .expect("spawn true");
    let pid = child.id();
    child.wait().expect("wait");
    u64::from(pid)
}

#[tokio::test]
async fn jobs_of_a_dead_local_pid_go_back_at_once() {
    let local = LocalHost::detect();
    if local.pid_space.is_empty() {
        eprintln!("SKIPPED: no /proc pid namespace information");
        return;
    }
    let (store, _dir) = fresh().await;
    let jobs: Vec<_> = (0..3).map(|i| job("default", i, 1.0)).collect();
    store.push(&jobs).await.unwrap();
    store
        .heartbeat(&beat("host:1:killed", dead_pid(), &local.pid_space, 60))
        .await
        .unwrap();
    // A dead local process holding nothing also leaves the Busy page.
    store
        .heartbeat(&beat("host:2:idle", dead_pid(), &local.pid_space, 60))
        .await
        .unwrap();
    let mut f = store
        .fetcher("host:1:killed", &spec(&["default"], true))
        .await
        .unwrap();
    assert_eq!(
        f.fetch(&[q("default")], 2, Duration::ZERO)
            .await
            .unwrap()
            .len(),
        2
    );
    // Another host's view (different pid space) cannot tell: it waits for the TTL.
    assert_eq!(
        store.recover_orphans(&LocalHost::default()).await.unwrap(),
        0
    );
    assert_eq!(store.recover_orphans(&local).await.unwrap(), 2);
    assert!(store.processes(now_secs()).await.unwrap().is_empty());
    let mut g = store
        .fetcher("host:3:new", &spec(&["default"], true))
        .await
        .unwrap();
    let all = g.fetch(&[q("default")], 10, Duration::ZERO).await.unwrap();
    assert_eq!(args_of(&all), vec![0, 1, 2]);
}
