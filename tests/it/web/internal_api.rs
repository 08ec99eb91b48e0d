//! The workers' internal API: bearer token required (401 without or with a
//! wrong one), and a web node that is down makes the job fail and retry.

use std::sync::Arc;

use kiqlab::engine::client::Client;
use kiqlab::engine::clock::SystemClock;
use serde_json::json;

use super::helpers::{spawn_app, web_test, TestStore};

async fn requires_the_bearer_token(store: TestStore) {
    let app = spawn_app(store).await;
    let loc = app
        .post_redirect("/snippets", &[("language", "go"), ("code", "package main")])
        .await;
    let id = loc.rsplit('/').next().unwrap();
    let url = app.url(&format!("/internal/snippets/{id}"));
    let r = app.http.get(&url).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 401);
    assert!(r.headers().contains_key("www-authenticate"));
    let r = app
        .http
        .get(&url)
        .bearer_auth("wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    let r = app
        .http
        .get(&url)
        .bearer_auth(app.token.expose())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let rec: serde_json::Value = r.json().await.unwrap();
    assert_eq!(rec["language"], "go");
    assert_eq!(rec["code"], "package main");
    let r = app
        .http
        .get(app.url("/internal/snippets/4242"))
        .bearer_auth(app.token.expose())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
    let r = app
        .http
        .put(app.url(&format!("/internal/snippets/{id}/highlight")))
        .bearer_auth(app.token.expose())
        .json(&json!({"html": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400, "a malformed body is refused");
    app.stop().await;
}

async fn a_web_node_that_is_down_makes_the_job_fail_and_retry(store: TestStore) {
    let mut app = spawn_app(store).await;
    // A port nobody listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let mut jobs = app.jobs.clone();
    jobs.web_url = url::Url::parse(&format!("http://127.0.0.1:{port}")).unwrap();
    let client = Client::new(
        app.store.clone(),
        Arc::new(kiqlab::apps::registry(&jobs)),
        Arc::new(SystemClock),
    );
    let jid = client
        .perform_async("HighlightWorker", vec![json!(1)])
        .await
        .unwrap();
    app.start_worker_with("test-worker-05", &jobs).await;
    let entry = app.wait_for_retry(&jid).await;
    let job = entry.job.unwrap();
    assert_eq!(job.retry_count(), Some(0));
    let msg = job.error_message().unwrap();
    assert!(msg.contains("cannot be reached"), "{msg}");
    assert!(
        entry.score > kiqlab::engine::clock::now_secs(),
        "retried later"
    );
    app.stop().await;
}

async fn a_wrong_token_fails_the_job_with_a_clear_message(store: TestStore) {
    let mut app = spawn_app(store).await;
    let loc = app
        .post_redirect("/snippets", &[("language", "sql"), ("code", "select 1")])
        .await;
    let (_, page) = app.page(&loc).await;
    let jid = super::helpers::jid_in(&page);
    let mut jobs = app.jobs.clone();
    jobs.internal_token = Some(kiqlab::secret::Secret::new("not-the-token"));
    app.start_worker_with("test-worker-06", &jobs).await;
    let entry = app.wait_for_retry(&jid).await;
    let msg = entry.job.unwrap().error_message().unwrap().to_owned();
    assert!(msg.contains("401"), "{msg}");
    app.stop().await;
}

/// Issue 14: a token holder could store a `<script>` in a snippet's
/// highlight. Only what the highlighter makes is accepted (422 otherwise),
/// and every page says scripts come only from this origin's files.
async fn only_highlighter_html_is_stored_and_pages_forbid_inline_script(store: TestStore) {
    let app = spawn_app(store).await;
    let loc = app
        .post_redirect("/snippets", &[("language", "ruby"), ("code", "puts 1")])
        .await;
    let id = loc.rsplit('/').next().unwrap();
    let by = json!({"hostname": "worker-01", "ip": "127.0.0.11", "pid": 1, "jid": "a",
        "queue": "default", "duration_ms": 1.0, "finished_at": 1.0});
    let put = |html: &'static str| {
        app.http
            .put(app.url(&format!("/internal/snippets/{id}/highlight")))
            .bearer_auth(app.token.expose())
            .json(&json!({"html": html, "by": by}))
            .send()
    };
    for bad in [
        "<pre><script>alert(1)</script></pre>",
        "<pre><span style=\"color:red\" onmouseover=\"alert(1)\">x</span></pre>",
        "<img src=x onerror=alert(1)>",
    ] {
        let r = put(bad).await.unwrap();
        assert_eq!(r.status().as_u16(), 422, "{bad}");
        assert!(r.text().await.unwrap().contains("refused"));
    }
    let (_, page) = app.page(&loc).await;
    assert!(!page.contains("alert(1)"), "nothing was stored");
    let r = put("<pre style=\"background-color:#ffffff;\"><span style=\"color:#323232;\">puts 1</span></pre>")
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 204);
    for path in [
        "/",
        "/snippets",
        &loc,
        "/blog",
        "/fibtastic",
        "/playground",
        "/timings",
        "/nope",
    ] {
        let r = app.http.get(app.url(path)).send().await.unwrap();
        let csp = r.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(csp.contains("script-src 'self'"), "{path}: {csp}");
        let scripts = csp
            .split(';')
            .find(|d| d.trim().starts_with("script-src"))
            .unwrap();
        assert!(!scripts.contains("unsafe"), "{path}: {csp}");
        assert_eq!(r.headers()["x-content-type-options"], "nosniff", "{path}");
        let body = r.text().await.unwrap();
        for inline in [
            "<script>",
            " onclick=",
            " onload=",
            " onsubmit=",
            "javascript:",
        ] {
            assert!(!body.contains(inline), "{path} has {inline}");
        }
    }
    app.stop().await;
}

web_test!(
    only_highlighter_html_is_stored_and_pages_forbid_inline_script,
    requires_the_bearer_token,
    a_web_node_that_is_down_makes_the_job_fail_and_retry,
    a_wrong_token_fails_the_job_with_a_clear_message,
);
