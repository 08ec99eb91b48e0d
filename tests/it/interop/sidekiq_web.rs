//! The real Sidekiq::Web (tests/ruby/sidekiq_web.rb drives it through
//! Rack::MockRequest, posting its forms with its CSRF token) on kiqlab's
//! data: every page answers, Busy shows kiqlab's processes, Metrics the
//! classes kiqlab ran (its buttons: `sidekiq_web_actions`).

use std::time::Duration;

use serde_json::{json, Value};

use super::kiqlab::{enqueue, row_cells, text};
use super::record::{sidekiq_check, Outcome};
use super::sidekiq::{Sidekiq, Version};
use crate::support::{eventually, temp_dir, RedisServer, WorkerProc};

sidekiq_check!(
    every_page_answers,
    "Sidekiq::Web on kiqlab's data: dashboard, busy, queues, a queue, retries and an entry, scheduled and an entry, dead and an entry, stats, metrics (7+) answer 200 and show kiqlab's jobs",
    sidekiq_6_4,
    sidekiq_7_3,
    sidekiq_8_1,
);

sidekiq_check!(
    busy_shows_kiqlab_threads_and_jobs,
    "Sidekiq::Web's Busy shows a kiqlab worker's threads (concurrency), busy count and running job",
    sidekiq_6_4,
    sidekiq_7_3,
    sidekiq_8_1,
);

sidekiq_check!(
    busy_shows_kiqlab_queues,
    "Sidekiq::Web's Busy shows a kiqlab worker's queues, with their weights where the version shows them (7.x)",
    sidekiq_6_4,
    sidekiq_7_3,
    sidekiq_8_1,
);

sidekiq_check!(
    metrics_lists_kiqlab_classes,
    "Sidekiq::Web's Metrics lists the classes a kiqlab worker ran (7.0+)",
    sidekiq_6_4,
    sidekiq_7_3,
    sidekiq_8_1,
);

/// One answer of Sidekiq::Web.
pub struct Page {
    pub status: u64,
    pub location: String,
    pub path: String,
    pub body: String,
}

/// Runs `steps` (see tests/ruby/sidekiq_web.rb) through Sidekiq::Web on `url`.
pub fn web(sk: &Sidekiq, url: &str, steps: Value) -> Vec<Page> {
    let out = sk.ruby_input("sidekiq_web.rb", &[url], &steps.to_string());
    out.as_array()
        .expect("an array of answers")
        .iter()
        .map(|p| Page {
            status: p["status"].as_u64().unwrap_or(0),
            location: p["location"].as_str().unwrap_or("").to_owned(),
            path: p["path"].as_str().unwrap_or("").to_owned(),
            body: p["body"].as_str().unwrap_or("").to_owned(),
        })
        .collect()
}

/// The number on a Sidekiq::Web summary card (`<h3>N</h3><p>LABEL</p>`).
fn card(html: &str, label: &str) -> Option<String> {
    let at = html.find(&format!("<p>{label}</p>"))?;
    let h3 = html[..at].rfind("<h3>")? + 4;
    let end = h3 + html[h3..].find("</h3>")?;
    Some(text(&html[h3..end]))
}

/// A kiqlab worker with a long job running, plus a retry, a dead job, a
/// scheduled job and a queued one, as Sidekiq::Web would find them.
pub struct KiqlabData {
    pub worker: WorkerProc,
    /// Holds the worker's log.
    pub _dir: tempfile::TempDir,
    pub long: String,
    pub retried: String,
    pub killed: String,
    pub scheduled: String,
    pub queued: String,
}

pub async fn kiqlab_data(sk: &Sidekiq, url: &str) -> KiqlabData {
    let scheduled = enqueue(url, &["DemoWorker", "0", "in an hour", "--in", "1h"]);
    let retried = enqueue(url, &["FlakyWorker", "7", "--retry", "5"]);
    let killed = enqueue(url, &["DeadWorker", "to the morgue", "--retry", "0"]);
    let long = enqueue(url, &["DemoWorker", "60", "long job"]);
    let queued = enqueue(url, &["DemoWorker", "0", "waiting", "--queue", "later"]);
    for i in 0..3 {
        enqueue(url, &["DemoWorker", "0", &format!("quick {i}")]);
    }
    let dir = temp_dir();
    let args = ["-c", "3", "-q", "default", "--name", "kiq-web", "-t", "1s"];
    let worker = WorkerProc::start(url, &args, &dir.path().join("worker.log"));
    eventually(
        Duration::from_secs(30),
        "kiqlab's data in place",
        || async {
            let s = sk.inspect(url);
            let ok = s["stats"]["retry_size"] == 1
                && s["stats"]["dead_size"] == 1
                && s["stats"]["processed"] == 5
                && s["workers"].as_array().is_some_and(|w| w.len() == 1);
            ok.then_some(())
        },
    )
    .await;
    KiqlabData {
        worker,
        _dir: dir,
        long,
        retried,
        killed,
        scheduled,
        queued,
    }
}

async fn every_page_answers(sk: Sidekiq, redis: RedisServer) -> Outcome {
    let url = redis.url();
    let d = kiqlab_data(&sk, &url).await;
    let mut steps = vec![
        json!({"get": "/sidekiq/"}),
        json!({"get": "/sidekiq/busy"}),
        json!({"get": "/sidekiq/queues"}),
        json!({"get": "/sidekiq/queues/later"}),
        json!({"get": "/sidekiq/retries"}),
        json!({"follow": "/sidekiq/retries/", "containing": d.retried}),
        json!({"get": "/sidekiq/scheduled"}),
        json!({"follow": "/sidekiq/scheduled/", "containing": d.scheduled}),
        json!({"get": "/sidekiq/morgue"}),
        json!({"follow": "/sidekiq/morgue/", "containing": d.killed}),
        json!({"get": "/sidekiq/stats"}),
        json!({"get": "/sidekiq/stats/queues"}),
    ];
    if sk.version.major() >= 7 {
        steps.push(json!({"get": "/sidekiq/metrics"}));
    }
    let pages = web(&sk, &url, Value::Array(steps));
    for p in &pages {
        assert_eq!(p.status, 200, "GET {} → {}: {}", p.path, p.status, p.body);
    }
    let body = |path: &str| {
        &pages
            .iter()
            .find(|p| p.path == path || p.path.starts_with(&format!("{path}/")))
            .unwrap_or_else(|| panic!("no page {path}"))
            .body
    };
    assert!(
        body("/sidekiq/busy").contains("kiq-web"),
        "Busy names the kiqlab process"
    );
    assert!(
        body("/sidekiq/busy").contains(&d.long),
        "Busy lists the running job"
    );
    assert!(body("/sidekiq/queues").contains("later"));
    assert!(body("/sidekiq/queues/later").contains("waiting"));
    let retry = &pages[5];
    assert!(retry.body.contains(&d.retried) && retry.body.contains("FlakyWorker"));
    assert!(
        text(&retry.body).contains("NameError"),
        "the retry's error class"
    );
    assert!(pages[7].body.contains(&d.scheduled) && pages[7].body.contains("in an hour"));
    assert!(pages[9].body.contains(&d.killed) && pages[9].body.contains("to the morgue"));
    let stats: Value = serde_json::from_str(body("/sidekiq/stats")).expect("stats JSON");
    assert_eq!(stats["sidekiq"]["processed"], 5, "{stats}");
    assert_eq!(stats["sidekiq"]["failed"], 2);
    assert_eq!(stats["sidekiq"]["retries"], 1);
    assert_eq!(stats["sidekiq"]["dead"], 1);
    assert_eq!(stats["sidekiq"]["scheduled"], 1);
    assert_eq!(stats["sidekiq"]["busy"], 1);
    drop(d.worker);
    Outcome::Pass
}

async fn busy_shows_kiqlab_threads_and_jobs(sk: Sidekiq, redis: RedisServer) -> Outcome {
    let url = redis.url();
    let d = kiqlab_data(&sk, &url).await;
    let pages = web(&sk, &url, json!([{"get": "/sidekiq/busy"}]));
    let busy = &pages[0].body;
    assert_eq!(pages[0].status, 200);
    let pid = d.worker.pid().to_string();
    let cells = row_cells(busy, &format!("kiq-web:{pid}")).expect("a row for the kiqlab process");
    assert!(cells.iter().any(|c| c == "1"), "busy 1 in {cells:?}");
    assert_eq!(card(busy, "Busy").as_deref(), Some("1"), "the Busy card");
    let job = row_cells(busy, &d.long).expect("a row for the running job");
    assert!(job.iter().any(|c| c.contains("DemoWorker")), "{job:?}");
    let threads = card(busy, "Threads");
    assert_eq!(
        threads.as_deref(),
        Some("3"),
        "the Threads card shows {threads:?}"
    );
    assert!(cells.iter().any(|c| c == "3"), "threads 3 in {cells:?}");
    Outcome::Pass
}

async fn busy_shows_kiqlab_queues(sk: Sidekiq, redis: RedisServer) -> Outcome {
    let url = redis.url();
    let dir = temp_dir();
    let args = [
        "-c",
        "3",
        "-q",
        "critical,3",
        "-q",
        "default,1",
        "--name",
        "kiq-q",
    ];
    let w = WorkerProc::start(&url, &args, &dir.path().join("w.log"));
    eventually(Duration::from_secs(30), "the kiqlab process", || async {
        (sk.inspect(&url)["stats"]["processes_size"] == 1).then_some(())
    })
    .await;
    let pages = web(&sk, &url, json!([{"get": "/sidekiq/busy"}]));
    let row = row_cells(&pages[0].body, &format!("kiq-q:{}", w.pid())).expect("the kiqlab row");
    let name = &row[0];
    assert!(
        name.contains("critical") && name.contains("default"),
        "queues in {row:?}"
    );
    if sk.version == Version::V7_3 {
        assert!(
            name.contains("critical: 3") && name.contains("default: 1"),
            "weights in {row:?}"
        );
    }
    Outcome::Pass
}

async fn metrics_lists_kiqlab_classes(sk: Sidekiq, redis: RedisServer) -> Outcome {
    if sk.version == Version::V6_4 {
        return Outcome::NotApplicable("Sidekiq 6.4 has no Metrics");
    }
    let url = redis.url();
    let _d = kiqlab_data(&sk, &url).await;
    let body = eventually(Duration::from_secs(30), "DemoWorker on Metrics", || async {
        let pages = web(&sk, &url, json!([{"get": "/sidekiq/metrics"}]));
        assert_eq!(pages[0].status, 200);
        let b = pages[0].body.clone();
        (b.contains("DemoWorker") && b.contains("FlakyWorker")).then_some(b)
    })
    .await;
    let row = row_cells(&body, ">DemoWorker</a>").expect("a DemoWorker row");
    assert!(
        row.iter().any(|c| c == "3"),
        "3 DemoWorker successes: {row:?}"
    );
    let pages = web(&sk, &url, json!([{"get": "/sidekiq/metrics/DemoWorker"}]));
    assert_eq!(pages[0].status, 200);
    Outcome::Pass
}
