//! The playground's console steps: many jobs, scheduled jobs, the urgent
//! queue, and the wrong-arguments job that retries.

use std::time::Duration;

use kiqlab::engine::clock::now_secs;
use kiqlab::engine::queue::QueueName;
use kiqlab::engine::store::{Page, SetKind, SetQuery};

use super::helpers::{spawn_app, web_test, TestStore};
use crate::support::eventually;

async fn console_steps_enqueue_what_they_say(store: TestStore) {
    let mut app = spawn_app(store).await;
    let r = app
        .post_form(
            "/playground/demo",
            &[("delay", "0"), ("message", "hi"), ("count", "500")],
        )
        .await;
    assert_eq!(r.status().as_u16(), 200);
    let page = r.text().await.unwrap();
    assert!(page.contains("Enqueued 500 DemoWorker job(s)"));
    assert!(page.contains("and 480 more"));
    assert!(page.contains("/sidekiq/queues/default?substr="));
    let stats = app.store.stats(now_secs()).await.unwrap();
    assert_eq!(stats.enqueued, 500);

    let r = app
        .post_form(
            "/playground/scheduled",
            &[("seconds", "60"), ("message", "later")],
        )
        .await;
    assert!(r.text().await.unwrap().contains("perform_in 60 seconds"));
    let r = app
        .post_form("/playground/scheduled", &[("at", "2030-01-01T10:00:00")])
        .await;
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("perform_at 2030-01-01T10:00:00"));
    let scheduled = app
        .store
        .set_entries(&SetQuery::new(SetKind::Schedule, Page::oldest(0, 10)))
        .await
        .unwrap();
    assert_eq!(scheduled.len(), 2);
    assert_eq!(scheduled[1].score, 1_893_492_000.0);

    let r = app
        .post_form("/playground/urgent", &[("slow_count", "5")])
        .await;
    assert!(r.text().await.unwrap().contains("one UrgentWorker"));
    let q = app
        .store
        .queue_jobs(&QueueName::parse("urgent").unwrap(), Page::oldest(0, 10))
        .await
        .unwrap();
    assert_eq!(q.len(), 1);

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
    let r = app.post_form("/playground/wrong_args", &[]).await;
    let page = r.text().await.unwrap();
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
    let r = app
        .post_form(
            "/playground/demo",
            &[("delay", "0.3"), ("count", "2"), ("mode", "sync")],
        )
        .await;
    assert_eq!(r.status().as_u16(), 200);
    assert!(started.elapsed() >= Duration::from_millis(600));
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("Ran 2 DemoWorker job(s) inline"));
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

web_test!(
    console_steps_enqueue_what_they_say,
    sync_runs_demo_jobs_in_the_request,
);
