//! Sidekiq's own API (what its web UI and tools read) on what kiqlab wrote:
//! queues, the scheduled, retry and dead sets, processes, running work,
//! history; and its quiet, stop and retry-all reaching a kiqlab worker.

use std::time::Duration;

use serde_json::json;

use super::kiqlab::enqueue;
use super::record::{sidekiq_check, Outcome};
use super::sidekiq::{Sidekiq, Version};
use crate::support::{eventually, temp_dir, RedisServer, WorkerProc};

sidekiq_check!(
    sidekiq_api_reads_kiqlab_data,
    "Sidekiq's API reads kiqlab's queues, sets, processes, work and history; its quiet, stop and retry-all reach a kiqlab worker",
    sidekiq_6_4,
    sidekiq_7_3,
    sidekiq_8_1,
);

sidekiq_check!(
    sidekiq_api_sees_kiqlab_concurrency,
    "Sidekiq's API gives a kiqlab worker's concurrency (Process#[\"concurrency\"], ProcessSet#total_concurrency)",
    sidekiq_6_4,
    sidekiq_7_3,
    sidekiq_8_1,
);

sidekiq_check!(
    sidekiq_api_sees_kiqlab_weights,
    "Sidekiq's API gives a kiqlab worker's queue weights (Process#weights, 7.0+) and, from 8.0, its capsules (Process#capsules)",
    sidekiq_6_4,
    sidekiq_7_3,
    sidekiq_8_1,
);

async fn sidekiq_api_sees_kiqlab_weights(sk: Sidekiq, redis: RedisServer) -> Outcome {
    if sk.version == Version::V6_4 {
        return Outcome::NotApplicable("Sidekiq 6.4 has no queue weights in its process data");
    }
    let url = redis.url();
    let dir = temp_dir();
    let args = ["-c", "3", "-q", "critical,3", "-q", "default,1"];
    let _w = WorkerProc::start(&url, &args, &dir.path().join("w.log"));
    let s = eventually(Duration::from_secs(30), "the kiqlab process", || async {
        let s = sk.inspect(&url);
        (s["processes"].as_array().is_some_and(|p| p.len() == 1)).then_some(s)
    })
    .await;
    let p = &s["processes"][0];
    let weights = json!({"critical": 3, "default": 1});
    if sk.version.major() == 7 {
        // One hash per capsule.
        assert_eq!(p["weights_api"], json!([weights]), "Process#weights: {p}");
    } else {
        let caps = p["capsules"]
            .as_object()
            .map(|c| c.values().cloned().collect::<Vec<_>>());
        let cap = caps
            .as_ref()
            .and_then(|c| c.first())
            .unwrap_or_else(|| panic!("Process#capsules is {}", p["capsules"]));
        assert_eq!(cap["weights"], weights, "capsule weights: {cap}");
        assert_eq!(cap["concurrency"], 3, "capsule concurrency: {cap}");
    }
    Outcome::Pass
}

async fn sidekiq_api_reads_kiqlab_data(sk: Sidekiq, redis: RedisServer) -> Outcome {
    let url = redis.url();
    let scheduled = enqueue(&url, &["DemoWorker", "0", "in an hour", "--in", "1h"]);
    let retried = enqueue(&url, &["FlakyWorker", "7", "--retry", "2"]);
    let killed = enqueue(&url, &["DeadWorker", "to the morgue", "--retry", "0"]);
    let long = enqueue(&url, &["DemoWorker", "30", "long job"]);
    let queued = enqueue(&url, &["DemoWorker", "0", "waiting", "--queue", "later"]);

    let dir = temp_dir();
    let args = [
        "-c",
        "3",
        "-q",
        "default",
        "--name",
        "kiq-interop",
        "--tag",
        "lab",
        "-t",
        "1s",
    ];
    let mut w = WorkerProc::start(&url, &args, &dir.path().join("worker.log"));
    let s = eventually(
        Duration::from_secs(30),
        "retry, dead and a busy worker",
        || async {
            let s = sk.inspect(&url);
            let ok = s["stats"]["retry_size"] == 1
                && s["stats"]["dead_size"] == 1
                && s["workers"].as_array().is_some_and(|w| w.len() == 1)
                // Sidekiq sums the heartbeats' `busy`, which lags the work
                // hash by up to a heartbeat on a loaded machine.
                && s["stats"]["workers_size"] == 1;
            ok.then_some(s)
        },
    )
    .await;
    let st = &s["stats"];
    assert_eq!(st["scheduled_size"], 1);
    assert_eq!(st["failed"], 2);
    assert_eq!(st["processes_size"], 1);
    assert_eq!(st["workers_size"], 1);
    assert_eq!(st["queues"]["later"], 1);
    assert_eq!(st["enqueued"], 1);

    let sch = &s["scheduled"][0];
    assert_eq!(sch["jid"], scheduled.as_str());
    assert_eq!(sch["klass"], "DemoWorker");
    assert_eq!(sch["args"], json!([0, "in an hour"]));
    assert!(sch["score"].as_f64().unwrap() > sch["created_at"].as_f64().unwrap() + 3500.0);

    let r = &s["retries"][0];
    assert_eq!(r["jid"], retried.as_str());
    assert_eq!(r["error_class"], "NameError");
    assert!(r["error_message"].as_str().unwrap().contains("FlakyWorker"));
    assert_eq!(r["retry_count"], 0);
    assert_eq!(r["args"], json!([7]));

    let d = &s["dead"][0];
    assert_eq!(d["jid"], killed.as_str());
    assert_eq!(d["args"], json!(["to the morgue"]));

    let q = s["queues"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["name"] == "later")
        .unwrap();
    assert_eq!(q["jobs"][0]["jid"], queued.as_str());
    let latency = q["latency"].as_f64().unwrap();
    assert!(latency > 0.0 && latency < 600.0, "latency {latency} s");

    let p = &s["processes"][0];
    assert_eq!(p["hostname"], "kiq-interop");
    assert_eq!(p["queues"], json!(["default"]));
    assert_eq!(p["busy"], 1);
    assert_eq!(p["tag"], "lab");
    let wk = &s["workers"][0];
    assert_eq!(wk["jid"], long.as_str());
    assert_eq!(wk["queue"], "default");
    assert_eq!(wk["class"], "DemoWorker");
    assert_eq!(wk["process"], p["identity"]);
    assert!(s["history"]
        .as_object()
        .unwrap()
        .values()
        .any(|v| v.as_u64() == Some(2)));

    // Sidekiq's "Quiet" reaches the kiqlab worker at its next heartbeat…
    let identity = p["identity"].as_str().unwrap().to_owned();
    sk.ruby("sidekiq_actions.rb", &[&url, "quiet", &identity]);
    eventually(Duration::from_secs(10), "quiet=true", || async {
        (sk.inspect(&url)["processes"][0]["quiet"] == "true").then_some(())
    })
    .await;
    // …"Retry All" on the Dead tab puts the job back in its queue…
    sk.ruby("sidekiq_actions.rb", &[&url, "retry_all_dead"]);
    let s = sk.inspect(&url);
    assert_eq!(s["stats"]["dead_size"], 0);
    assert_eq!(
        s["stats"]["queues"]["default"], 1,
        "quiet: the retried job waits"
    );
    // …and "Stop" stops it; the long job is pushed back within -t 1.
    sk.ruby("sidekiq_actions.rb", &[&url, "stop", &identity]);
    let (status, _) = tokio::task::spawn_blocking(move || w.term()).await.unwrap();
    assert!(status.success());
    let s = sk.inspect(&url);
    assert_eq!(s["stats"]["processes_size"], 0);
    assert_eq!(
        s["stats"]["queues"]["default"], 2,
        "long job back in its queue"
    );
    Outcome::Pass
}

async fn sidekiq_api_sees_kiqlab_concurrency(sk: Sidekiq, redis: RedisServer) -> Outcome {
    let url = redis.url();
    let dir = temp_dir();
    let _w = WorkerProc::start(
        &url,
        &["-c", "3", "--name", "kiq-c3"],
        &dir.path().join("w.log"),
    );
    let s = eventually(Duration::from_secs(30), "the kiqlab process", || async {
        let s = sk.inspect(&url);
        (s["processes"].as_array().is_some_and(|p| p.len() == 1)).then_some(s)
    })
    .await;
    let (one, total) = (&s["processes"][0]["concurrency"], &s["total_concurrency"]);
    assert_eq!(one, 3, "Process#[\"concurrency\"] is {one}");
    assert_eq!(total, 3, "ProcessSet#total_concurrency is {total}");
    Outcome::Pass
}
