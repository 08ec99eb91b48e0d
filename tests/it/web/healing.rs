//! Connections that heal: redis-server restarted between two requests (its
//! clients' connections dropped), and the second request still answers 200,
//! on the dashboard and on the apps.

use std::time::Duration;

use super::dashboard::harness::Dash;
use super::helpers::{spawn_app, TestStore};
use crate::support::eventually;

const DASHBOARD_PAGES: &[&str] = &[
    "/sidekiq",
    "/sidekiq/stats",
    "/sidekiq/queues",
    "/sidekiq/busy",
    "/sidekiq/retries",
    "/sidekiq/scheduled",
    "/sidekiq/morgue",
    "/sidekiq/metrics",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_dashboard_page_answers_200_right_after_a_redis_restart() {
    let Some(mut dash) = Dash::redis().await else {
        return;
    };
    let mut admin = dash.admin().await;
    for page in DASHBOARD_PAGES {
        let (status, body) = admin.get(page).await;
        assert_eq!(status, 200, "{page} before: {body}");
        dash.redis_server().restart();
        let (status, body) = admin.get(page).await;
        assert_eq!(status, 200, "{page} right after a Redis restart: {body}");
    }
    dash.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_post_right_after_a_redis_restart_is_saved_and_queued() {
    let Some(store) = TestStore::redis() else {
        return;
    };
    let mut app = spawn_app(store).await;
    let first = app
        .post_redirect("/snippets", &[("language", "ruby"), ("code", "p 1")])
        .await;
    app.redis().restart();
    let r = app
        .post_form("/snippets", &[("language", "ruby"), ("code", "p 2")])
        .await;
    assert_eq!(r.status().as_u16(), 303, "{}", r.text().await.unwrap());
    for path in [first.as_str(), "/snippets", "/"] {
        let (status, page) = app.page(path).await;
        assert_eq!(status, 200, "{path}: {page}");
    }
    // The restart emptied Redis (no persistence): the second job arrives.
    eventually(Duration::from_secs(30), "the second job queued", || async {
        let s = app
            .store
            .stats(kiqlab::engine::clock::now_secs())
            .await
            .ok()?;
        (s.enqueued == 1 && app.outbox_backlog().await == 0).then_some(())
    })
    .await;
    app.stop().await;
}

/// With Redis gone (not restarted), a dashboard page says what is down and
/// that nothing saved is lost (503 with Retry-After, not "details are in its
/// log"), and a snippet posted meanwhile is still saved (its job waits in the
/// outbox).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_redis_is_down_pages_say_what_is_down_and_that_nothing_is_lost() {
    let Some(mut dash) = Dash::redis().await else {
        return;
    };
    let mut admin = dash.admin().await;
    assert_eq!(admin.get("/sidekiq/queues").await.0, 200);
    dash.redis_server().kill();
    let (status, body, headers) = admin.get_full("/sidekiq/queues").await;
    assert_eq!(status, 503, "{body}");
    assert!(
        body.contains("The job store (Redis, or the embedded SQLite store) cannot be reached")
            && body.contains("Nothing saved is lost")
            && !body.contains("details are in its log"),
        "{body}"
    );
    assert_eq!(
        headers.get("retry-after").and_then(|v| v.to_str().ok()),
        Some("5")
    );
    let (status, body) = admin
        .post("/snippets", &[("language", "ruby"), ("code", "p :down")])
        .await;
    assert_eq!(status, 303, "a post during the outage is saved: {body}");
    dash.stop().await;
}
