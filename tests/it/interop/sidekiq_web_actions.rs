//! Sidekiq::Web's buttons on kiqlab's data, posted as a browser does (with
//! its CSRF token on 6.x/7.x): retry, delete, kill, add to queue, quiet and
//! stop, each obeyed by a kiqlab worker; and what a manual retry leaves.

use std::time::Duration;

use serde_json::{json, Value};

use super::kiqlab::enqueue;
use super::record::{sidekiq_check, Outcome};
use super::sidekiq::Sidekiq;
use super::sidekiq_web::{kiqlab_data, web};
use crate::support::{eventually, temp_dir, RedisServer, WorkerProc};

sidekiq_check!(
    actions_reach_kiqlab,
    "Sidekiq::Web's buttons on kiqlab's data: retry, delete, kill (retries), retry, delete (dead), add to queue, delete (scheduled), delete (queue), quiet and stop (busy), obeyed by a kiqlab worker",
    sidekiq_6_4,
    sidekiq_7_3,
    sidekiq_8_1,
);

sidekiq_check!(
    manual_retry_keeps_failure_history,
    "After Sidekiq::Web's Retry Now (retry_count - 1, then push), kiqlab's next failure sets retried_at and keeps failed_at, as Sidekiq does",
    sidekiq_6_4,
    sidekiq_7_3,
    sidekiq_8_1,
);

async fn actions_reach_kiqlab(sk: Sidekiq, redis: RedisServer) -> Outcome {
    let url = redis.url();
    let d = kiqlab_data(&sk, &url).await;
    // A second entry in each set, to delete.
    let doomed_retry = enqueue(&url, &["FlakyWorker", "8", "--retry", "5"]);
    let doomed_dead = enqueue(&url, &["DeadWorker", "deleted", "--retry", "0"]);
    let killed_retry = enqueue(&url, &["FlakyWorker", "9", "--retry", "5"]);
    let doomed_sched = enqueue(&url, &["DemoWorker", "0", "never runs", "--in", "1h"]);
    eventually(Duration::from_secs(30), "3 retries and 2 dead", || async {
        let s = sk.inspect(&url);
        (s["stats"]["retry_size"] == 3 && s["stats"]["dead_size"] == 2).then_some(())
    })
    .await;
    let before = sk.inspect(&url)["stats"].clone();
    let failed_before = before["failed"].as_u64().unwrap();
    let processed_before = before["processed"].as_u64().unwrap();
    let raw_queued: Vec<String> = {
        let mut con = redis.connection();
        redis::cmd("LRANGE")
            .arg("queue:later")
            .arg(0)
            .arg(-1)
            .query(&mut con)
            .unwrap()
    };
    let steps = json!([
        {"get": "/sidekiq/retries"},
        {"follow": "/sidekiq/retries/", "containing": d.retried},
        {"post": ".", "form": {"retry": "Retry Now"}},
        {"get": "/sidekiq/retries"},
        {"follow": "/sidekiq/retries/", "containing": doomed_retry},
        {"post": ".", "form": {"delete": "Delete"}},
        {"get": "/sidekiq/retries"},
        {"follow": "/sidekiq/retries/", "containing": killed_retry},
        {"post": ".", "form": {"kill": "Kill"}},
        {"get": "/sidekiq/morgue"},
        {"follow": "/sidekiq/morgue/", "containing": doomed_dead},
        {"post": ".", "form": {"delete": "Delete"}},
        {"get": "/sidekiq/morgue"},
        {"follow": "/sidekiq/morgue/", "containing": d.killed},
        {"post": ".", "form": {"retry": "Retry Now"}},
        {"get": "/sidekiq/scheduled"},
        {"follow": "/sidekiq/scheduled/", "containing": d.scheduled},
        {"post": ".", "form": {"add_to_queue": "Add to queue"}},
        {"get": "/sidekiq/scheduled"},
        {"follow": "/sidekiq/scheduled/", "containing": doomed_sched},
        {"post": ".", "form": {"delete": "Delete"}},
        {"get": "/sidekiq/queues/later"},
        {"post": "/sidekiq/queues/later/delete", "form": {"key_val": raw_queued[0]}},
    ]);
    let pages = web(&sk, &url, steps);
    for p in pages
        .iter()
        .filter(|p| !p.location.is_empty() || p.status != 200)
    {
        assert_eq!(p.status, 302, "POST {}: {} {}", p.path, p.status, p.body);
    }
    // kiqlab ran the retried jobs again (both fail again: no handler) and the
    // scheduled one added to its queue; the deleted ones are gone for good.
    let s = eventually(
        Duration::from_secs(30),
        "kiqlab to run what was retried",
        || async {
            let s = sk.inspect(&url);
            let ok = s["stats"]["failed"].as_u64() == Some(failed_before + 2)
                && s["stats"]["processed"].as_u64() == Some(processed_before + 3)
                && s["stats"]["enqueued"] == 0;
            ok.then_some(s)
        },
    )
    .await;
    let jids = |set: &str| -> Vec<String> {
        s[set]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["jid"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        jids("retries"),
        vec![d.retried.clone()],
        "retried stays; deleted and killed gone"
    );
    let mut dead = jids("dead");
    dead.sort();
    let mut want = vec![d.killed.clone(), killed_retry.clone()];
    want.sort();
    assert_eq!(
        dead, want,
        "killed retry in the morgue, deleted one gone, retried one back"
    );
    assert_eq!(s["stats"]["scheduled_size"], 0);
    assert_eq!(
        s["stats"]["queues"]
            .get("later")
            .and_then(Value::as_u64)
            .unwrap_or(0),
        0
    );
    let log = d.worker.log_text();
    assert!(
        log.contains("in an hour"),
        "the scheduled job added to the queue ran"
    );
    assert!(!log.contains("never runs"));
    assert!(!log.contains(&d.queued), "the deleted queued job never ran");

    // Busy: Quiet, then Stop, on the kiqlab process.
    let identity = s["processes"][0]["identity"].as_str().unwrap().to_owned();
    let pages = web(
        &sk,
        &url,
        json!([{"get": "/sidekiq/busy"}, {"post": "/sidekiq/busy", "form": {"identity": identity, "quiet": "1"}}]),
    );
    assert_eq!(pages[1].status, 302);
    eventually(
        Duration::from_secs(10),
        "the kiqlab worker quiet",
        || async { (sk.inspect(&url)["processes"][0]["quiet"] == "true").then_some(()) },
    )
    .await;
    let waiting = enqueue(&url, &["DemoWorker", "0", "after quiet"]);
    let pages = web(
        &sk,
        &url,
        json!([{"get": "/sidekiq/busy"}, {"post": "/sidekiq/busy", "form": {"identity": identity, "stop": "1"}}]),
    );
    assert_eq!(pages[1].status, 302);
    let mut worker = d.worker;
    eventually(Duration::from_secs(20), "the kiqlab worker to stop", || {
        let done = !worker.is_running();
        async move { done.then_some(()) }
    })
    .await;
    let s = sk.inspect(&url);
    assert_eq!(s["stats"]["processes_size"], 0, "stopped: gone from Busy");
    let q = &s["queues"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["name"] == "default")
        .unwrap()["jobs"];
    let queued: Vec<&str> = q
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["jid"].as_str().unwrap())
        .collect();
    assert!(
        queued.contains(&waiting.as_str()),
        "quiet: the new job waited"
    );
    assert!(
        queued.contains(&d.long.as_str()),
        "stop: the long job pushed back"
    );
    Outcome::Pass
}

async fn manual_retry_keeps_failure_history(sk: Sidekiq, redis: RedisServer) -> Outcome {
    let url = redis.url();
    let jid = enqueue(&url, &["FlakyWorker", "7", "--retry", "5"]);
    let dir = temp_dir();
    let _w = WorkerProc::start(&url, &["-c", "2"], &dir.path().join("w.log"));
    let first = eventually(Duration::from_secs(30), "the first failure", || async {
        let s = sk.inspect(&url);
        (s["stats"]["retry_size"] == 1).then(|| s["retries"][0]["item"].clone())
    })
    .await;
    let steps = json!([
        {"get": "/sidekiq/retries"},
        {"follow": "/sidekiq/retries/", "containing": jid},
        {"post": ".", "form": {"retry": "Retry Now"}},
    ]);
    assert_eq!(web(&sk, &url, steps)[2].status, 302);
    let again = eventually(Duration::from_secs(30), "the second failure", || async {
        let s = sk.inspect(&url);
        (s["stats"]["failed"] == 2 && s["stats"]["retry_size"] == 1)
            .then(|| s["retries"][0]["item"].clone())
    })
    .await;
    assert_eq!(
        again["retry_count"], 0,
        "a manual retry does not count: {again}"
    );
    assert!(again["retried_at"].is_number(), "retried_at set: {again}");
    assert_eq!(
        again["failed_at"], first["failed_at"],
        "failed_at kept: {again}"
    );
    Outcome::Pass
}
