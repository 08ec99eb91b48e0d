//! kiqlab's dashboard (signed in, through `kiqlab web`) on what a real Ruby
//! Sidekiq wrote: its queues, sets and latencies, its process on Busy with
//! its threads and queue weights, and the classes it ran on Metrics.

use std::time::Duration;

use serde_json::json;

use super::kiqlab::{row_cells, text, KiqlabWeb};
use super::record::{sidekiq_check, Outcome};
use super::sidekiq::{Sidekiq, Version};
use crate::support::{eventually, temp_dir, RedisServer};

sidekiq_check!(
    shows_ruby_jobs,
    "kiqlab's dashboard shows Ruby's queued, scheduled, retrying and dead jobs with their arguments, errors and a sane latency",
    sidekiq_6_4,
    sidekiq_7_3,
    sidekiq_8_1,
);

sidekiq_check!(
    busy_shows_ruby_threads_and_weights,
    "kiqlab's Busy shows a Ruby process's threads (concurrency), queue weights and running job",
    sidekiq_6_4,
    sidekiq_7_3,
    sidekiq_8_1,
);

sidekiq_check!(
    metrics_lists_ruby_classes,
    "kiqlab's Metrics lists the classes a Ruby process ran, with their success and failure counts (7.0+)",
    sidekiq_6_4,
    sidekiq_7_3,
    sidekiq_8_1,
);

/// Pushes `jobs` with Ruby's client (tests/ruby/sidekiq_enqueue.rb); their jids.
pub fn ruby_push(sk: &Sidekiq, url: &str, jobs: serde_json::Value) -> Vec<String> {
    let out = sk.ruby_input("sidekiq_enqueue.rb", &[url], &jobs.to_string());
    out.as_array()
        .expect("jids")
        .iter()
        .map(|j| j.as_str().expect("jid").to_owned())
        .collect()
}

async fn shows_ruby_jobs(sk: Sidekiq, redis: RedisServer) -> Outcome {
    let url = redis.url();
    let jids = ruby_push(
        &sk,
        &url,
        json!([
            {"class": "DemoWorker", "args": [0, "parked by ruby"], "queue": "parked"},
            {"class": "DemoWorker", "args": [0, "ruby in an hour"], "in": 3600},
            {"class": "RetryingWorker", "args": ["r1"], "retry": 3},
            {"class": "DoomedWorker", "args": ["d1"], "retry": 0},
        ]),
    );
    let dir = temp_dir();
    let mut ruby = sk.start_sidekiq(
        &url,
        &["-q", "default", "-c", "2"],
        &dir.path().join("sk.log"),
    );
    eventually(
        Duration::from_secs(60),
        "Ruby's retry and dead jobs",
        || async {
            let s = sk.inspect(&url);
            (s["stats"]["retry_size"] == 1 && s["stats"]["dead_size"] == 1).then_some(())
        },
    )
    .await;
    assert!(ruby.term().success());
    let web = KiqlabWeb::start(&url).await;
    let mut b = web.admin().await;
    let queues = b.page("/sidekiq/queues").await;
    let row = row_cells(&queues, "parked").expect("a row for queue parked");
    assert!(row.iter().any(|c| c == "1"), "size 1: {row:?}");
    let stats: serde_json::Value =
        serde_json::from_str(&b.page("/sidekiq/stats").await).expect("stats JSON");
    assert_eq!(stats["sidekiq"]["retries"], 1, "{stats}");
    assert_eq!(stats["sidekiq"]["dead"], 1);
    assert_eq!(stats["sidekiq"]["scheduled"], 1);
    assert_eq!(stats["sidekiq"]["enqueued"], 1);
    let parked = b.page("/sidekiq/queues/parked").await;
    let job = row_cells(&parked, &jids[0]).expect("the parked job");
    assert!(job.iter().any(|c| c.contains("parked by ruby")), "{job:?}");
    // Latency from Ruby's enqueued_at (float s in 6/7, integer ms in 8): seconds, not days.
    let heading = text(&parked[parked.find("<h1").unwrap()..parked.find("</h1>").unwrap()]);
    assert!(
        !heading.contains(" h)") && !heading.contains(" d)"),
        "latency: {heading}"
    );
    let scheduled = b.page("/sidekiq/scheduled").await;
    assert!(scheduled.contains(&jids[1]) && text(&scheduled).contains("ruby in an hour"));
    let retries = b.page("/sidekiq/retries").await;
    let r = row_cells(&retries, &jids[2]).expect("the retry");
    assert!(r.iter().any(|c| c.contains("ArgumentError")), "{r:?}");
    let dead = b.page("/sidekiq/morgue").await;
    assert!(dead.contains(&jids[3]) && text(&dead).contains("to the morgue"));
    Outcome::Pass
}

async fn busy_shows_ruby_threads_and_weights(sk: Sidekiq, redis: RedisServer) -> Outcome {
    let url = redis.url();
    let jids = ruby_push(
        &sk,
        &url,
        json!([{"class": "DemoWorker", "args": [60, "long"]}]),
    );
    let dir = temp_dir();
    let ruby = sk.start_sidekiq(
        &url,
        &["-q", "critical,3", "-q", "default,1", "-c", "4", "-g", "rb"],
        &dir.path().join("sk.log"),
    );
    eventually(
        Duration::from_secs(60),
        "Ruby running the long job",
        || async {
            let s = sk.inspect(&url);
            (s["workers"].as_array().is_some_and(|w| w.len() == 1)).then_some(())
        },
    )
    .await;
    let web = KiqlabWeb::start(&url).await;
    let mut b = web.admin().await;
    let busy = b.page("/sidekiq/busy").await;
    let needle = format!(":{}</strong>", ruby.pid());
    let row =
        row_cells(&busy, &needle).unwrap_or_else(|| panic!("a row for Ruby's process: {busy}"));
    let job = row_cells(&busy, &jids[0]).expect("a row for Ruby's running job");
    assert!(job.iter().any(|c| c == "DemoWorker"), "{job:?}");
    let queues = &row[2];
    assert!(
        queues.contains("critical") && queues.contains("default"),
        "{row:?}"
    );
    // Sidekiq writes queue weights from 7.0 on (`info.weights`; 8.x also
    // `info.capsules`); kiqlab shows them as "NAME (WEIGHT)".
    if sk.version.major() >= 7 {
        assert!(
            queues.contains("critical (3)") && queues.contains("default (1)"),
            "weights in {row:?}"
        );
    }
    assert_eq!(
        row[5], "4",
        "threads (concurrency) {:?}, row {row:?}",
        row[5]
    );
    assert_eq!(row[6], "1", "busy in {row:?}");
    Outcome::Pass
}

async fn metrics_lists_ruby_classes(sk: Sidekiq, redis: RedisServer) -> Outcome {
    if sk.version == Version::V6_4 {
        return Outcome::NotApplicable("Sidekiq 6.4 writes no metrics");
    }
    let url = redis.url();
    ruby_push(
        &sk,
        &url,
        json!([
            {"class": "DemoWorker", "args": [0, "m1"]},
            {"class": "DemoWorker", "args": [0, "m2"]},
            {"class": "DemoWorker", "args": [0, "m3"]},
            {"class": "FailingWorker", "args": []},
        ]),
    );
    let dir = temp_dir();
    let _ruby = sk.start_sidekiq(&url, &["-c", "2"], &dir.path().join("sk.log"));
    let web = KiqlabWeb::start(&url).await;
    let mut b = web.admin().await;
    // Sidekiq flushes metrics at its heartbeat (every 10 s).
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let body = loop {
        let body = b.page("/sidekiq/metrics").await;
        let demo = row_cells(&body, "data-class=\"DemoWorker\"");
        let failing = row_cells(&body, "data-class=\"FailingWorker\"");
        // Sidekiq flushes what has finished at each beat: wait for all four.
        let all = demo
            .as_ref()
            .is_some_and(|r| r.get(1).is_some_and(|c| c == "3"))
            && failing
                .as_ref()
                .is_some_and(|r| r.get(2).is_some_and(|c| c == "1"));
        if all {
            break body;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for Ruby's classes on Metrics: DemoWorker {demo:?}, FailingWorker {failing:?}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    let demo = row_cells(&body, "data-class=\"DemoWorker\"").expect("DemoWorker row");
    assert_eq!(demo[1], "3", "3 successes: {demo:?}");
    let failing = row_cells(&body, "data-class=\"FailingWorker\"").expect("FailingWorker row");
    assert_eq!(failing[2], "1", "1 failure: {failing:?}");
    Outcome::Pass
}
