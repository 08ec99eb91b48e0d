//! `/lessons/flow` end to end, on both stores: a real worker, the event
//! stream read as a browser's EventSource would, and jobs made the way a
//! student makes them (a snippet posted, a playground button pressed).

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use kiqlab::apps::lessons::FlowHub;
use kiqlab::engine::api::Api;
use kiqlab::engine::clock::SystemClock;

use super::helpers::{spawn_app, web_test, TestApp, TestStore};
use crate::support::eventually;

/// An open `text/event-stream`, parsed into (event name, data) pairs.
struct Sse {
    resp: reqwest::Response,
    buf: String,
    events: Vec<(String, Value)>,
}

impl Sse {
    async fn open(app: &TestApp) -> Sse {
        let resp = app.get("/lessons/flow/events").await;
        assert_eq!(resp.status(), 200);
        let ct = resp.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(ct.starts_with("text/event-stream"), "{ct}");
        let mut sse = Sse {
            resp,
            buf: String::new(),
            events: Vec::new(),
        };
        // The baseline: once a state came, what follows is news.
        sse.until(Duration::from_secs(10), "the first state", |s| {
            s.named("state").next().is_some()
        })
        .await;
        sse
    }

    fn named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Value> + 'a {
        self.events
            .iter()
            .filter(move |(n, _)| n == name)
            .map(|(_, v)| v)
    }

    /// The sum of `count` over the events called `name`.
    fn count(&self, name: &str) -> u64 {
        self.named(name).map(|v| v["count"].as_u64().unwrap()).sum()
    }

    /// Reads until `done` holds, or panics after `timeout` with what came.
    async fn until(&mut self, timeout: Duration, what: &str, done: impl Fn(&Sse) -> bool) {
        let deadline = tokio::time::Instant::now() + timeout;
        while !done(self) {
            let chunk = tokio::time::timeout_at(deadline, self.resp.chunk())
                .await
                .unwrap_or_else(|_| panic!("timed out waiting for {what}: {:?}", self.events))
                .expect("read the stream")
                .expect("the stream stays open");
            self.buf.push_str(std::str::from_utf8(&chunk).unwrap());
            while let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                let mut name = "message".to_owned();
                let mut data = None;
                for line in block.lines() {
                    if let Some(n) = line.strip_prefix("event: ") {
                        name = n.to_owned();
                    } else if let Some(d) = line.strip_prefix("data: ") {
                        data = Some(serde_json::from_str(d).expect("one line of JSON"));
                    }
                }
                if let Some(d) = data {
                    self.events.push((name, d));
                }
            }
        }
    }

    /// Reads on to the state that closes the tick of the last event.
    async fn settle(&mut self) {
        let seen = self.events.len();
        self.until(Duration::from_secs(10), "the tick's state", |s| {
            s.events[seen - 1..].iter().any(|(n, _)| n == "state")
        })
        .await;
    }

    /// The job events so far (not `hello`, `state`).
    fn job_messages(&self) -> usize {
        self.events
            .iter()
            .filter(|(n, _)| ["enqueued", "picked", "done", "failed"].contains(&n.as_str()))
            .count()
    }
}

async fn snippets_flow_to_the_worker_and_finish(store: TestStore) {
    let mut app = spawn_app(store).await;
    app.start_worker("flow-worker-01").await;
    let (status, page) = app.page("/lessons/flow").await;
    assert_eq!(status, 200);
    assert!(page.contains("<script src=\"/static/flow.js\"></script>"));
    assert!(page.contains("/lessons/load"));
    let mut sse = Sse::open(&app).await;
    for i in 0..3 {
        let code = format!("puts {i}\n");
        let loc = app
            .post_redirect(
                "/snippets",
                &[("language", "ruby"), ("code", &code), ("mode", "async")],
            )
            .await;
        assert!(loc.starts_with("/snippets/"), "{loc}");
    }
    sse.until(Duration::from_secs(30), "3 done", |s| s.count("done") >= 3)
        .await;
    sse.settle().await;
    assert_eq!(sse.count("enqueued"), 3, "{:?}", sse.events);
    assert!(sse
        .named("enqueued")
        .all(|e| e["queue"] == "default" && e["count"] == 1));
    let picked: Vec<&Value> = sse.named("picked").collect();
    assert_eq!(picked.len(), 3, "{picked:?}");
    for p in &picked {
        assert_eq!(p["worker"], "flow-worker-01", "{p}");
        assert_eq!(p["class"], "HighlightWorker", "{p}");
        assert_eq!(p["queue"], "default", "{p}");
    }
    let done: Vec<&Value> = sse.named("done").collect();
    assert_eq!(done.len(), 3);
    for d in &done {
        assert_eq!(d["worker"], "flow-worker-01");
        // Each job is picked before it is done, by its jid.
        let jid = d["jid"].as_str().unwrap();
        let at = |name: &str| {
            sse.events
                .iter()
                .position(|(n, v)| n == name && v["jid"] == jid)
                .unwrap()
        };
        assert!(at("picked") < at("done"), "{jid}");
    }
    assert_eq!(sse.count("failed"), 0);
    let state = sse.named("state").last().unwrap();
    assert_eq!(state["counts"]["flow-worker-01"]["done"], 3, "{state}");
    assert!(state["workers"]
        .as_array()
        .unwrap()
        .iter()
        .any(|w| w["name"] == "flow-worker-01"));
    app.stop().await;
}

async fn a_failing_job_is_seen_failed(store: TestStore) {
    let mut app = spawn_app(store).await;
    app.start_worker("flow-worker-02").await;
    let mut sse = Sse::open(&app).await;
    let loc = app.post_redirect("/playground/wrong_args", &[]).await;
    assert!(loc.starts_with("/playground?done="), "{loc}");
    sse.until(Duration::from_secs(30), "a failure", |s| {
        s.count("failed") >= 1
    })
    .await;
    sse.settle().await;
    let failed = sse.named("failed").next().unwrap();
    assert_eq!(failed["worker"], "flow-worker-02", "{failed}");
    assert_eq!(failed["class"], "DemoWorker", "{failed}");
    assert_eq!(sse.count("done"), 0);
    let state = sse.named("state").last().unwrap();
    assert_eq!(state["counts"]["flow-worker-02"]["failed"], 1, "{state}");
    app.stop().await;
}

async fn five_hundred_at_once_come_grouped_and_add_up(store: TestStore) {
    let mut app = spawn_app(store).await;
    app.start_worker("flow-worker-01").await;
    app.start_worker("flow-worker-02").await;
    let mut sse = Sse::open(&app).await;
    let loc = app
        .post_redirect(
            "/playground/demo",
            &[("delay", "0"), ("message", "hi"), ("count", "500")],
        )
        .await;
    assert!(loc.starts_with("/playground?done="), "{loc}");
    sse.until(Duration::from_secs(60), "500 done", |s| {
        s.count("done") >= 500
    })
    .await;
    sse.settle().await;
    assert_eq!(sse.count("enqueued"), 500, "{:?}", sse.events);
    assert_eq!(sse.count("picked"), 500);
    assert_eq!(sse.count("done"), 500);
    assert_eq!(sse.count("failed"), 0);
    let messages = sse.job_messages();
    assert!(messages < 100, "{messages} messages for 500 jobs");
    assert!(
        sse.named("enqueued").any(|e| e["count"].as_u64() > Some(1)),
        "a group of enqueued"
    );
    assert!(sse.named("state").any(|s| s["aggregated"] == true));
    let state = sse.named("state").last().unwrap();
    let per_worker: u64 = ["flow-worker-01", "flow-worker-02"]
        .iter()
        .map(|w| state["counts"][w]["done"].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(per_worker, 500, "{state}");
    app.stop().await;
}

/// The store is read only while someone watches: the poller starts with
/// the first stream, stops once the last one is gone, starts again.
async fn the_store_is_polled_only_while_watched(store: TestStore) {
    use futures::StreamExt;
    let app = spawn_app(store).await;
    let api = Api::new(app.store.clone(), Arc::new(SystemClock));
    let hub = FlowHub::new();
    assert!(!hub.is_polling());
    for _ in 0..2 {
        let mut stream = Box::pin(hub.stream(&api));
        assert!(hub.is_polling());
        let mut seen = String::new();
        while !seen.contains("event: state") {
            let chunk = tokio::time::timeout(Duration::from_secs(10), stream.next())
                .await
                .expect("a state within 10 s")
                .expect("the stream stays open")
                .unwrap();
            seen.push_str(std::str::from_utf8(&chunk).unwrap());
        }
        assert!(seen.starts_with("retry: 2000\nevent: hello"), "{seen}");
        drop(stream);
        eventually(Duration::from_secs(5), "the poller stops", || async {
            (!hub.is_polling()).then_some(())
        })
        .await;
    }
    // Stopping ends a stream that is still open.
    let mut stream = Box::pin(hub.stream(&api));
    hub.stop().await;
    let ended = async { while stream.next().await.is_some() {} };
    tokio::time::timeout(Duration::from_secs(5), ended)
        .await
        .expect("the stream ends with the hub");
    assert!(!hub.is_polling());
    app.stop().await;
}

web_test!(
    the_store_is_polled_only_while_watched,
    snippets_flow_to_the_worker_and_finish,
    a_failing_job_is_seen_failed,
    five_hundred_at_once_come_grouped_and_add_up,
);
