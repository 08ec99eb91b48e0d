//! Timestamp units: Sidekiq before 8 writes float epoch seconds, 8.x integer
//! epoch milliseconds. When kiqlab moves a job (retry, scheduler) it should
//! keep the unit the payload came with; and it should read an integer below
//! ~1e11 as seconds (as Sidekiq before 8 does), not milliseconds.

use std::time::Duration;

use serde_json::{json, Value};

use super::dashboard::ruby_push;
use super::kiqlab::kiqlab;
use super::record::{sidekiq_check, Outcome};
use super::sidekiq::Sidekiq;
use crate::support::{eventually, temp_dir, RedisServer, WorkerProc};

sidekiq_check!(
    moved_job_keeps_time_units,
    "A Ruby job kiqlab fails (failed_at) and schedules (enqueued_at) keeps its payload's time unit (float s before 8, integer ms in 8)",
    sidekiq_6_4,
    sidekiq_7_3,
    sidekiq_8_1,
);

sidekiq_check!(
    integer_seconds_enqueued_at_read_as_seconds,
    "An integer-seconds enqueued_at (as some non-Ruby clients write) gives a latency in seconds in `kiqlab stats`",
    sidekiq_6_4,
    sidekiq_7_3,
    sidekiq_8_1,
);

/// Integer milliseconds (8.x) or float seconds (before 8), by `created_at`.
fn unit(v: &Value) -> &'static str {
    match v {
        Value::Number(n) if n.is_u64() => "integer ms",
        Value::Number(_) => "float s",
        _ => "missing",
    }
}

async fn moved_job_keeps_time_units(sk: Sidekiq, redis: RedisServer) -> Outcome {
    let url = redis.url();
    ruby_push(
        &sk,
        &url,
        json!([
            {"class": "FlakyWorker", "args": [1], "retry": 5},
            {"class": "DemoWorker", "args": [0, "parked"], "queue": "parked", "in": 1},
        ]),
    );
    let dir = temp_dir();
    let _w = WorkerProc::start(
        &url,
        &["-c", "2", "-q", "default"],
        &dir.path().join("w.log"),
    );
    let s = eventually(
        Duration::from_secs(30),
        "the retry and the moved job",
        || async {
            let s = sk.inspect(&url);
            (s["stats"]["retry_size"] == 1 && s["stats"]["queues"]["parked"] == 1).then_some(s)
        },
    )
    .await;
    let failed = &s["retries"][0]["item"];
    let want = if sk.version.major() >= 8 {
        "integer ms"
    } else {
        "float s"
    };
    assert_eq!(
        unit(&failed["created_at"]),
        want,
        "Ruby's own unit: {failed}"
    );
    let got = unit(&failed["failed_at"]);
    assert_eq!(got, want, "failed_at written by kiqlab is {got}: {failed}");
    let parked = s["queues"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["name"] == "parked")
        .unwrap();
    let moved = &parked["jobs"][0]["item"];
    assert_eq!(unit(&moved["created_at"]), want, "{moved}");
    let got = unit(&moved["enqueued_at"]);
    assert_eq!(
        got, want,
        "enqueued_at written by kiqlab's scheduler is {got}: {moved}"
    );
    Outcome::Pass
}

async fn integer_seconds_enqueued_at_read_as_seconds(sk: Sidekiq, redis: RedisServer) -> Outcome {
    let url = redis.url();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let job = json!({
        "class": "DemoWorker", "args": [0, "int seconds"], "queue": "default",
        "jid": "0123456789abcdef01234567", "retry": true,
        "created_at": now - 5, "enqueued_at": now - 5,
    });
    sk.ruby("sidekiq_actions.rb", &[&url, "raw_push", &job.to_string()]);
    let stats: Value =
        serde_json::from_str(&kiqlab(&["stats", "--store", &url, "--json"])).expect("stats JSON");
    let latency = stats["queues"]["default"]["latency_s"]
        .as_f64()
        .expect("latency_s");
    assert!(
        (0.0..600.0).contains(&latency),
        "latency {latency:.1e} s, want about 5 s"
    );
    Outcome::Pass
}
