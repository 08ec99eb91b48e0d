//! The playground's console steps: many jobs, scheduled jobs, the urgent
//! queue, and the wrong-arguments job that retries.

use std::time::Duration;

use kiqlab::engine::clock::now_secs;
use kiqlab::engine::queue::QueueName;
use kiqlab::engine::store::{Page, SetKind, SetQuery};

use super::dashboard::harness::{dash_test, Dash};
use super::helpers::{spawn_app, web_test, TestApp, TestStore};
use crate::support::eventually;

/// POST/redirect/GET: the button answers 303 to `/playground?…`; the page there.
async fn press(app: &TestApp, path: &str, form: &[(&str, &str)]) -> String {
    let loc = app.post_redirect(path, form).await;
    assert!(loc.starts_with("/playground?done="), "{loc}");
    let (status, page) = app.page(&loc).await;
    assert_eq!(status, 200);
    page
}

async fn console_steps_enqueue_what_they_say(store: TestStore) {
    let mut app = spawn_app(store).await;
    let page = press(
        &app,
        "/playground/demo",
        &[("delay", "0"), ("message", "hi"), ("count", "500")],
    )
    .await;
    assert!(page.contains("Enqueued 500 DemoWorker job(s)"));
    // Every field keeps what was typed.
    for kept in [
        "id=\"delay\" value=\"0\"",
        "id=\"message\" value=\"hi\"",
        "id=\"count\" value=\"500\"",
    ] {
        assert!(page.contains(kept), "{kept}");
    }
    assert!(page.contains("and 480 more"));
    assert!(page.contains("/sidekiq/queues/default?substr="));
    let stats = app.store.stats(now_secs()).await.unwrap();
    assert_eq!(stats.enqueued, 500);

    let page = press(
        &app,
        "/playground/scheduled",
        &[("seconds", "60"), ("message", "later")],
    )
    .await;
    assert!(page.contains("perform_in 60 seconds"));
    assert!(page.contains("id=\"smessage\" value=\"later\""));
    let page = press(
        &app,
        "/playground/scheduled",
        &[("at", "2030-01-01T10:00:00")],
    )
    .await;
    assert!(page.contains("perform_at 2030-01-01T10:00:00"));
    let scheduled = app
        .store
        .set_entries(&SetQuery::new(SetKind::Schedule, Page::oldest(0, 10)))
        .await
        .unwrap();
    assert_eq!(scheduled.len(), 2);
    assert_eq!(scheduled[1].score, 1_893_492_000.0);

    // "500 jobs at once" takes the form's delay and message.
    app.store
        .clear_queue(&QueueName::default_queue())
        .await
        .unwrap();
    let page = press(
        &app,
        "/playground/demo",
        &[
            ("delay", "2"),
            ("message", "bulk"),
            ("count", "1"),
            ("many", "500"),
        ],
    )
    .await;
    assert!(page.contains("Enqueued 500 DemoWorker job(s)"));
    let queued = app
        .store
        .queue_jobs(&QueueName::default_queue(), Page::oldest(0, 1))
        .await
        .unwrap();
    let args = queued[0].job.as_ref().unwrap().args().to_vec();
    assert_eq!(args[0].as_f64(), Some(2.0), "the form's delay");
    assert!(args[1].as_str().unwrap().starts_with("bulk"), "{args:?}");

    let r = app.post_form("/playground/demo", &[("count", "0")]).await;
    assert_eq!(r.status().as_u16(), 422);
    assert!(r.text().await.unwrap().contains("whole number from 1"));
    assert_eq!(
        app.post_form("/playground/nope", &[])
            .await
            .status()
            .as_u16(),
        404
    );

    // The failing job: ArgumentError, then a retry.
    app.store
        .clear_queue(&QueueName::default_queue())
        .await
        .unwrap();
    let page = press(&app, "/playground/wrong_args", &[]).await;
    let i = page.find("/sidekiq/retries?substr=").unwrap() + "/sidekiq/retries?substr=".len();
    let jid = page[i..i + 24].to_owned();
    app.start_worker("test-worker-07").await;
    let entry = app.wait_for_retry(&jid).await;
    assert_eq!(entry.job.unwrap().error_class(), Some("ArgumentError"));
    app.stop().await;
}

async fn sync_runs_demo_jobs_in_the_request(store: TestStore) {
    let app = spawn_app(store).await;
    let started = std::time::Instant::now();
    let loc = app
        .post_redirect(
            "/playground/demo",
            &[("delay", "0.3"), ("count", "2"), ("mode", "sync")],
        )
        .await;
    assert!(started.elapsed() >= Duration::from_millis(600));
    let (_, page) = app.page(&loc).await;
    assert!(page.contains("Ran 2 DemoWorker job(s) inline"));
    let stats = app.store.stats(now_secs()).await.unwrap();
    assert_eq!(stats.enqueued, 0);
    let r = app
        .post_form("/playground/demo", &[("count", "11"), ("mode", "sync")])
        .await;
    assert_eq!(r.status().as_u16(), 422);
    eventually(Duration::from_secs(5), "timings recorded", || async {
        let (_, t) = app.page("/timings").await;
        t.contains("sync-median").then_some(())
    })
    .await;
    app.stop().await;
}

/// Tutorial 004: the urgent job is pushed once a worker has started the
/// slow ones, and runs right after the first batch, before the rest.
async fn the_urgent_job_runs_right_after_the_first_batch(store: TestStore) {
    let mut app = spawn_app(store).await;
    let urgent = QueueName::parse("urgent").unwrap();
    let page = press(&app, "/playground/urgent", &[("slow_count", "3")]).await;
    assert!(page.contains("as soon as a worker has started"), "{page}");
    assert!(page.contains("id=\"slow_count\" value=\"3\""));
    let in_urgent = app
        .store
        .queue_jobs(&urgent, Page::oldest(0, 10))
        .await
        .unwrap();
    assert!(in_urgent.is_empty(), "no worker has started a slow job yet");
    // Two slots: the first batch is two slow jobs; the third waits.
    app.start_worker("test-worker-08").await;
    let feed = eventually(Duration::from_secs(40), "all four jobs run", || async {
        let feed = app.store.recent_jobs(10, None).await.ok()?;
        (feed.len() >= 4).then_some(feed)
    })
    .await;
    let started = |class: &str| -> Vec<f64> {
        feed.iter()
            .filter(|r| r.class == class)
            .map(|r| r.started_at)
            .collect()
    };
    let urgent_at = started("UrgentWorker")[0];
    let mut slow = started("DemoWorker");
    slow.sort_by(f64::total_cmp);
    assert_eq!(slow.len(), 3);
    assert!(urgent_at > slow[1], "after the first batch started");
    assert!(urgent_at <= slow[2], "before the last slow job");
    app.stop().await;
}

/// Issue 14: one anonymous POST queued 10,000 jobs. Anyone not signed in as
/// an admin pushes at most 500 a press, and at most 10 many-job presses a
/// minute from one address; refused presses queue nothing.
async fn anonymous_bulk_buttons_are_capped_and_rate_limited(store: TestStore) {
    use kiqlab::web::auth::throttle::BULK_PRESSES_PER_IP;
    let app = spawn_app(store).await;
    let r = app
        .post_form("/playground/demo", &[("delay", "0"), ("many", "501")])
        .await;
    assert_eq!(r.status().as_u16(), 422);
    let body = r.text().await.unwrap();
    assert!(body.contains("from 1 to 500"), "{body}");
    assert!(body.contains("admins may push up to 10000"), "{body}");
    let r = app
        .post_form("/playground/urgent", &[("slow_count", "501")])
        .await;
    assert_eq!(r.status().as_u16(), 422);
    for _ in 0..BULK_PRESSES_PER_IP {
        press(&app, "/playground/demo", &[("delay", "0"), ("count", "2")]).await;
    }
    let r = app
        .post_form("/playground/demo", &[("delay", "0"), ("count", "2")])
        .await;
    assert_eq!(r.status().as_u16(), 429);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("Wait a minute, or sign in as an admin"),
        "{body}"
    );
    let r = app
        .post_form("/playground/urgent", &[("slow_count", "3")])
        .await;
    assert_eq!(r.status().as_u16(), 429);
    // One job at a time is not a many-job press: still fine.
    press(&app, "/playground/demo", &[("delay", "0"), ("count", "1")]).await;
    let stats = app.store.stats(now_secs()).await.unwrap();
    assert_eq!(stats.enqueued, 2 * BULK_PRESSES_PER_IP + 1, "{stats:?}");
    app.stop().await;
}

/// A signed-in admin's press may push up to 10,000 and is not rate-limited.
async fn an_admins_bulk_buttons_push_up_to_ten_thousand(d: Dash) {
    let mut b = d.admin().await;
    let (status, loc) = b
        .post("/playground/demo", &[("delay", "0"), ("many", "2000")])
        .await;
    assert_eq!(status, 303, "{loc}");
    for _ in 0..kiqlab::web::auth::throttle::BULK_PRESSES_PER_IP {
        let (status, _) = b
            .post("/playground/demo", &[("delay", "0"), ("count", "2")])
            .await;
        assert_eq!(status, 303);
    }
    let (status, body) = b
        .post("/playground/demo", &[("delay", "0"), ("many", "10001")])
        .await;
    assert_eq!(status, 422, "{body}");
    let stats = d.store.stats(now_secs()).await.unwrap();
    assert_eq!(stats.enqueued, 2000 + 20);
    d.stop().await;
}

dash_test!(an_admins_bulk_buttons_push_up_to_ten_thousand);

web_test!(
    anonymous_bulk_buttons_are_capped_and_rate_limited,
    console_steps_enqueue_what_they_say,
    sync_runs_demo_jobs_in_the_request,
    the_urgent_job_runs_right_after_the_first_batch,
);
