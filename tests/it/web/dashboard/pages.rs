//! The Dashboard, Busy, Queues, Metrics and Recent tabs and the JSON
//! endpoints on both stores, with a real worker where jobs must run.

use std::time::Duration;

use kiqlab::engine::clock::now_secs;
use kiqlab::engine::job::{Job, Retry};
use kiqlab::engine::store::{Heartbeat, Page, Signal};
use serde_json::{json, Value};

use super::harness::{dash_test, run_one, Dash};
use crate::support::eventually;

dash_test!(
    queues_page_clear_and_delete_one_job,
    busy_shows_processes_and_sends_quiet_and_stop,
    stats_json_has_sidekiqs_shape,
    metrics_recent_and_dashboard_follow_a_real_worker,
);

fn demo(i: usize) -> Job {
    let mut j = Job::new(
        "DemoWorker",
        vec![json!(0), json!(format!("hello {i}"))],
        "default".parse().unwrap(),
        Retry::Default,
    );
    j.set_time("enqueued_at", now_secs());
    j
}

async fn queues_page_clear_and_delete_one_job(d: Dash) {
    let jobs: Vec<Job> = (0..30).map(demo).collect();
    d.store.push(&jobs).await.unwrap();
    let mut other = Job::new("X", vec![], "low".parse().unwrap(), Retry::Default);
    other.set_time("enqueued_at", now_secs());
    d.store.push(&[other]).await.unwrap();
    let mut b = d.admin().await;
    let (s, page) = b.get("/sidekiq/queues").await;
    assert_eq!(s, 200);
    assert!(page.contains("data-queue=\"default\"") && page.contains("data-queue=\"low\""));
    let (s, asc) = b.get("/sidekiq/queues/default").await;
    assert_eq!(s, 200);
    assert_eq!(asc.matches("name=\"key_val\"").count(), 25);
    assert!(asc.contains("hello 0"), "next to run first");
    let (_, desc) = b
        .get("/sidekiq/queues/default?direction=desc&count=5")
        .await;
    assert!(desc.contains("hello 29") && !desc.contains("hello 0&"));
    let (_, p2) = b.get("/sidekiq/queues/default?page=2").await;
    assert_eq!(p2.matches("name=\"key_val\"").count(), 5);
    assert_eq!(b.get("/sidekiq/queues/nosuch").await.0, 404);
    assert_eq!(
        b.get("/sidekiq/queues/bad%20name").await.0,
        404,
        "no such queue"
    );
    assert_eq!(b.get("/sidekiq/queues/default?page=-3").await.0, 400);
    // Delete one job by its payload.
    let raw = d
        .store
        .queue_jobs(&"default".parse().unwrap(), Page::oldest(0, 1))
        .await
        .unwrap()[0]
        .raw
        .clone();
    b.get("/sidekiq/queues/default").await;
    let (s, loc) = b
        .post("/sidekiq/queues/default/delete", &[("key_val", &raw)])
        .await;
    assert_eq!((s, loc.as_str()), (303, "/sidekiq/queues/default"));
    let sizes = |d: &Dash| {
        let store = d.store.clone();
        async move { store.queues(now_secs()).await.unwrap() }
    };
    assert_eq!(
        sizes(&d)
            .await
            .iter()
            .find(|q| q.name.as_str() == "default")
            .unwrap()
            .size,
        29
    );
    b.get("/sidekiq/queues/default").await;
    let (s, _) = b
        .post("/sidekiq/queues/default/delete", &[("key_val", &raw)])
        .await;
    assert_eq!(s, 404, "already gone");
    // Clear a whole queue.
    b.get("/sidekiq/queues").await;
    let (s, loc) = b
        .post("/sidekiq/queues/default", &[("delete", "Delete")])
        .await;
    assert_eq!((s, loc.as_str()), (303, "/sidekiq/queues"));
    let left = sizes(&d).await;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].name.as_str(), "low");
    let (s, _) = b.post("/sidekiq/queues/low", &[("pause", "1")]).await;
    assert_eq!(s, 400);
    d.stop().await;
}

fn beat(identity: &str, host: &str) -> Heartbeat {
    let info = json!({
        "hostname": host, "started_at": now_secs() - 120.0, "pid": 4242, "tag": "lab",
        "concurrency": 5, "queues": ["urgent", "default"], "labels": ["blue"], "identity": identity,
        "version": "kiqlab test", "weights": [{"urgent": 10, "default": 1}], "ip": "192.168.56.11",
    });
    let job = demo(1);
    let work = json!({"queue": "default", "payload": job.to_json(), "run_at": now_secs() as i64});
    Heartbeat {
        identity: identity.into(),
        info_json: info.to_string(),
        busy: 1,
        concurrency: 5,
        beat: now_secs(),
        quiet: false,
        rss_kb: 30524,
        rtt_us: 90,
        work: vec![("t1".into(), work.to_string())],
        ttl_secs: 60,
    }
}

async fn busy_shows_processes_and_sends_quiet_and_stop(d: Dash) {
    d.store
        .heartbeat(&beat("worker-01:4242:abc", "worker-01"))
        .await
        .unwrap();
    d.store
        .heartbeat(&beat("worker-02:4242:def", "worker-02"))
        .await
        .unwrap();
    let mut b = d.admin().await;
    let (s, page) = b.get("/sidekiq/busy").await;
    assert_eq!(s, 200);
    assert!(
        !page.contains("card-worker-time"),
        "no meter before any worker ran"
    );
    // The autoscaler's meter: 90 worker-seconds over the last 10 minutes.
    let now_ms = (now_secs() * 1000.0) as u64;
    d.store.add_worker_time(0, now_ms - 600_000).await.unwrap();
    d.store.add_worker_time(90_000, now_ms).await.unwrap();
    let (_, page) = b.get("/sidekiq/busy").await;
    let card = page
        .split("id=\"card-worker-time\"")
        .nth(1)
        .expect("the worker time card");
    assert!(card.contains(">90 s<"), "{card:.200}");
    assert!(
        card.contains("of 600 s always-on (15.0%)") || card.contains("of 601 s always-on"),
        "{card:.200}"
    );
    for f in [
        "worker-01:4242",
        "192.168.56.11",
        "urgent (10), default (1)",
        "29.8 MB",
        "lab",
        "blue",
        "hello 1",
        "DemoWorker",
    ] {
        assert!(page.contains(f), "{f} on the Busy page");
    }
    let (s, loc) = b
        .post(
            "/sidekiq/busy",
            &[("identity", "worker-01:4242:abc"), ("quiet", "1")],
        )
        .await;
    assert_eq!((s, loc.as_str()), (303, "/sidekiq/busy"));
    let got = d
        .store
        .heartbeat(&beat("worker-01:4242:abc", "worker-01"))
        .await
        .unwrap();
    assert_eq!(got, Some(Signal::Quiet));
    b.get("/sidekiq/busy").await;
    let (s, _) = b.post("/sidekiq/busy", &[("stop", "1")]).await;
    assert_eq!(s, 303);
    for id in ["worker-01:4242:abc", "worker-02:4242:def"] {
        let got = d.store.heartbeat(&beat(id, "w")).await.unwrap();
        assert_eq!(got, Some(Signal::Stop), "{id}");
    }
    let (s, _) = b
        .post("/sidekiq/busy", &[("identity", "gone:1:x"), ("quiet", "1")])
        .await;
    assert_eq!(s, 404);
    let (s, _) = b
        .post("/sidekiq/busy", &[("identity", "worker-01:4242:abc")])
        .await;
    assert_eq!(s, 400);
    d.stop().await;
}

async fn stats_json_has_sidekiqs_shape(d: Dash) {
    let jobs: Vec<Job> = (0..3).map(demo).collect();
    d.store.push(&jobs).await.unwrap();
    let mut low = Job::new("X", vec![], "low".parse().unwrap(), Retry::Default);
    low.set_time("enqueued_at", now_secs());
    d.store.push(&[low]).await.unwrap();
    run_one(&d, true).await;
    let mut b = d.admin().await;
    let (s, body) = b.get("/sidekiq/stats").await;
    assert_eq!(s, 200);
    let v: Value = serde_json::from_str(&body).unwrap();
    let keys: Vec<&str> = v["sidekiq"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "processed",
            "failed",
            "busy",
            "processes",
            "enqueued",
            "scheduled",
            "retries",
            "dead",
            "default_latency"
        ]
    );
    assert_eq!(v["sidekiq"]["processed"], 1);
    assert_eq!(v["sidekiq"]["enqueued"], 4);
    assert!(v["sidekiq"]["default_latency"].is_number());
    assert!(v["redis"]["store_name"].is_string());
    if v["redis"]["store_name"] == "redis" {
        for k in [
            "redis_version",
            "uptime_in_days",
            "connected_clients",
            "used_memory_human",
            "used_memory_peak_human",
        ] {
            assert!(v["redis"][k].is_string(), "{k}");
        }
    }
    let t = v["server_utc_time"].as_str().unwrap();
    assert!(t.len() == 12 && t.ends_with(" UTC"), "{t}");
    let (_, q) = b.get("/sidekiq/stats/queues").await;
    assert_eq!(q, r#"{"default":3,"low":1}"#);
    assert_eq!(
        b.location("/sidekiq/dashboard/stats").await.as_deref(),
        Some("/sidekiq/stats")
    );
    d.stop().await;
}

async fn metrics_recent_and_dashboard_follow_a_real_worker(mut d: Dash) {
    run_one(&d, false).await;
    let jobs: Vec<Job> = (0..5).map(demo).collect();
    d.store.push(&jobs).await.unwrap();
    d.worker("worker-07").await;
    eventually(
        Duration::from_secs(20),
        "5 DemoWorker jobs done",
        || async { (d.store.stats(now_secs()).await.ok()?.processed >= 6).then_some(()) },
    )
    .await;
    let mut b = d.admin().await;
    let (s, m) = b.get("/sidekiq/metrics").await;
    assert_eq!(s, 200);
    assert!(m.contains("data-class=\"DemoWorker\""), "{m}");
    let (s, m) = b.get("/sidekiq/metrics?period=8h&substr=demo").await;
    assert_eq!(s, 200);
    assert!(m.contains("DemoWorker") && !m.contains("data-class=\"ByHand\""));
    let (s, c) = b.get("/sidekiq/metrics/DemoWorker?period=2h").await;
    assert_eq!(s, 200);
    assert!(
        c.contains("<span class=\"count\" id=\"class-executions\">5</span>"),
        "{c}"
    );
    // All five DemoWorker(0) runs fall in the first bucket (under 20 ms).
    assert!(c.contains("<tr><td>20ms</td><td class=\"n\">5</td>"), "{c}");
    assert_eq!(b.get("/sidekiq/metrics?period=3h").await.0, 400);
    let (s, r) = b.get("/sidekiq/recent").await;
    assert_eq!(s, 200);
    assert!(r.contains("worker-07") && r.contains("web-test") && r.contains("127.0.0.9"));
    let (_, only) = b.get("/sidekiq/recent?host=web-test").await;
    assert!(
        only.contains("ByHand") && !only.contains(">DemoWorker<"),
        "{only}"
    );
    assert!(only.contains("RuntimeError: by hand"));
    let (s, home) = b.get("/sidekiq?days=7").await;
    assert_eq!(s, 200);
    assert!(home.contains("id=\"realtime-chart\"") && home.contains("id=\"history-chart\""));
    assert!(
        home.contains("&quot;processed&quot;:6"),
        "today's history: {home}"
    );
    assert!(home.contains("id=\"store-info\""));
    // The layout names the store's address; the panel its kind.
    let redis = home.contains("<th>redis_version</th>");
    let (address, heading) = if redis {
        ("<span class=\"store\">redis:&#x2F;&#x2F;", "<h2>Redis</h2>")
    } else {
        (
            "<span class=\"store\">sqlite:&#x2F;&#x2F;",
            "<h2>Store</h2>",
        )
    };
    assert!(home.contains(address) && home.contains(heading), "{home}");
    assert_eq!(b.get("/sidekiq?days=365").await.0, 400);
    d.stop().await;
}

/// Queues another client wrote under names kiqlab would not take for `-q`
/// (Ruby Sidekiq takes any string) are listed, flagged, can be opened and
/// cleared; a queue name that is not UTF-8 is skipped without hiding the
/// others.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn foreign_queues_with_odd_names_are_shown_flagged() {
    let Some(mut d) = Dash::redis().await else {
        return;
    };
    let mut con = d.redis_server().connection();
    let payload = |q: &str| {
        json!({"class": "HardWorker", "args": [1], "queue": q, "jid": "0123456789abcdef01234567",
               "retry": true, "created_at": now_secs(), "enqueued_at": now_secs()})
        .to_string()
    };
    for q in ["mailers high", "ünïcode/x?y"] {
        redis::pipe()
            .cmd("SADD")
            .arg("queues")
            .arg(q)
            .cmd("LPUSH")
            .arg(format!("queue:{q}"))
            .arg(payload(q))
            .query::<()>(&mut con)
            .unwrap();
    }
    redis::pipe()
        .cmd("SADD")
        .arg("queues")
        .arg(&b"\xff\xfe"[..])
        .query::<()>(&mut con)
        .unwrap();
    d.store.push(&[demo(1)]).await.unwrap();
    let mut b = d.admin().await;
    let (s, page) = b.get("/sidekiq/queues").await;
    assert_eq!(s, 200, "{page}");
    // (Tera writes `/` as `&#x2F;`.)
    for q in ["mailers high", "ünïcode&#x2F;x?y"] {
        let row = page
            .split("<tr data-queue=")
            .find(|r| r.starts_with(&format!("\"{q}\"")))
            .unwrap_or_else(|| panic!("{q} is listed: {page}"));
        assert!(row.contains("odd name"), "{q} is flagged: {row}");
    }
    let default_row = page
        .split("<tr data-queue=")
        .find(|r| r.starts_with("\"default\""))
        .unwrap();
    assert!(!default_row.contains("odd name"), "{default_row}");
    let (s, q) = b.get("/sidekiq/queues/mailers%20high").await;
    assert_eq!(s, 200, "{q}");
    assert!(
        q.contains("HardWorker") && q.contains("id=\"odd-name\""),
        "{q}"
    );
    let (s, q) = b.get("/sidekiq/queues/%C3%BCn%C3%AFcode%2Fx%3Fy").await;
    assert_eq!(s, 200, "{q}");
    assert!(q.contains("HardWorker"), "{q}");
    let (s, _) = b
        .post("/sidekiq/queues/mailers%20high", &[("delete", "Delete")])
        .await;
    assert_eq!(s, 303);
    let (_, page) = b.get("/sidekiq/queues").await;
    assert!(!page.contains("data-queue=\"mailers high\""), "cleared");
    let stats = d.store.stats(now_secs()).await.unwrap();
    assert_eq!(stats.enqueued, 2, "default's one and ünïcode's one");
    d.stop().await;
}
