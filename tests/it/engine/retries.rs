//! Failures through a running worker: Sidekiq 6.4's retry schedule under a
//! clock the test controls, retry limits, the dead set, unknown classes.

use std::sync::Arc;
use std::time::Duration;

use kiqlab::engine::client::PushOptions;
use kiqlab::engine::clock::{now_secs, Clock, ManualClock};
use kiqlab::engine::job::{Job, Retry};
use kiqlab::engine::store::{Page, SetKind, SetQuery, SortedEntry};
use serde_json::json;

use super::harness::spec;
use super::{store_test, Harness};
use crate::support::eventually;

store_test!(
    retry_schedule_follows_backoff_then_dead,
    retry_false_is_dropped_and_counted,
    retry_zero_goes_straight_to_dead,
    unknown_class_retries_then_dies,
    failed_job_succeeds_on_retry,
);

async fn set_entries(h: &Harness, set: SetKind) -> Vec<SortedEntry> {
    h.store
        .set_entries(&SetQuery::new(set, Page::oldest(0, 100)))
        .await
        .unwrap()
}

async fn wait_set(h: &Harness, set: SetKind, n: u64, what: &str) {
    eventually(Duration::from_secs(10), what, || async {
        (h.store.set_size(set).await.unwrap() == n).then_some(())
    })
    .await;
}

async fn retry_schedule_follows_backoff_then_dead(h: Harness) {
    let t0 = now_secs().floor();
    let clock = Arc::new(ManualClock::new(t0));
    let opts = PushOptions {
        retry: Some(Retry::Count(2)),
        ..PushOptions::default()
    };
    let jid = h
        .client_with(clock.clone())
        .push("Fail", vec![json!("x")], &opts)
        .await
        .unwrap();
    let launcher = h
        .launch_with(h.fast_config(2, spec(&["default"], true)), clock.clone())
        .await;

    wait_set(&h, SetKind::Retry, 1, "first failure in the retry set").await;
    let e = &set_entries(&h, SetKind::Retry).await[0];
    let job = e.job.clone().unwrap();
    assert_eq!(job.jid(), jid);
    assert_eq!(job.retry_count(), Some(0));
    assert_eq!(job.time("failed_at"), Some(t0));
    assert_eq!(job.error_message(), Some("always fails"));
    assert_eq!(job.error_class(), Some("RuntimeError"));
    // count 0: 0^4 + 15 + rand(10) * 1
    assert!(
        (t0 + 15.0..=t0 + 24.0).contains(&e.score),
        "score {}",
        e.score - t0
    );
    assert!(((e.score - t0) - 15.0).fract() == 0.0);

    // Not due yet by the test's clock: the scheduler's own step at that
    // clock's now moves nothing (no real-time wait needed to show it).
    assert_eq!(h.store.enqueue_due(clock.now()).await.unwrap(), 0);
    assert_eq!(h.store.enqueue_due(e.score - 0.5).await.unwrap(), 0);
    assert_eq!(h.store.set_size(SetKind::Retry).await.unwrap(), 1);

    let t1 = e.score;
    clock.set(t1);
    eventually(Duration::from_secs(10), "second failure", || async {
        let v = set_entries(&h, SetKind::Retry).await;
        v.first()
            .and_then(|e| e.job.clone())
            .filter(|j| j.retry_count() == Some(1))
            .map(|_| ())
    })
    .await;
    let e = &set_entries(&h, SetKind::Retry).await[0];
    let job = e.job.clone().unwrap();
    assert_eq!(job.time("retried_at"), Some(t1));
    assert_eq!(
        job.time("failed_at"),
        Some(t0),
        "failed_at keeps the first failure"
    );
    // count 1: 1 + 15 + rand(10) * 2
    let d = e.score - t1;
    assert!(
        (16.0..=34.0).contains(&d) && (d - 16.0) % 2.0 == 0.0,
        "delay {d}"
    );

    clock.set(e.score);
    wait_set(&h, SetKind::Dead, 1, "exhausted job in the dead set").await;
    assert_eq!(h.store.set_size(SetKind::Retry).await.unwrap(), 0);
    let dead = &set_entries(&h, SetKind::Dead).await[0];
    let job = Job::parse(&dead.raw).unwrap();
    assert_eq!(job.retry_count(), Some(2));
    assert_eq!(dead.score, clock.now());
    launcher.stop().await;
    let s = h.stats().await;
    assert_eq!((s.processed, s.failed, s.dead, s.retries), (3, 3, 1, 0));
}

async fn retry_false_is_dropped_and_counted(h: Harness) {
    h.client()
        .perform_async("NoRetryFail", vec![])
        .await
        .unwrap();
    let launcher = h.launch(h.fast_config(2, spec(&["default"], true))).await;
    eventually(Duration::from_secs(10), "the failure counted", || async {
        (h.stats().await.failed == 1).then_some(())
    })
    .await;
    launcher.stop().await;
    let s = h.stats().await;
    assert_eq!((s.retries, s.dead, s.enqueued), (0, 0, 0));
    // sidekiq-failures still lists it.
    assert_eq!(h.store.set_size(SetKind::Failed).await.unwrap(), 1);
}

async fn retry_zero_goes_straight_to_dead(h: Harness) {
    let opts = PushOptions {
        retry: Some(Retry::Count(0)),
        ..PushOptions::default()
    };
    h.client().push("Fail", vec![], &opts).await.unwrap();
    let launcher = h.launch(h.fast_config(1, spec(&["default"], true))).await;
    wait_set(&h, SetKind::Dead, 1, "job in the dead set").await;
    launcher.stop().await;
    assert_eq!(h.stats().await.retries, 0);
    let dead = &set_entries(&h, SetKind::Dead).await[0];
    assert_eq!(dead.job.as_ref().unwrap().retry_count(), Some(0));
}

async fn unknown_class_retries_then_dies(h: Harness) {
    let opts = PushOptions {
        retry: Some(Retry::Count(1)),
        ..PushOptions::default()
    };
    h.client()
        .push("NoSuchWorker", vec![json!(1)], &opts)
        .await
        .unwrap();
    let launcher = h.launch(h.fast_config(1, spec(&["default"], true))).await;
    wait_set(&h, SetKind::Retry, 1, "unknown class in the retry set").await;
    let e = set_entries(&h, SetKind::Retry).await.remove(0);
    let job = e.job.clone().unwrap();
    assert_eq!(job.error_class(), Some("NameError"));
    assert!(job.error_message().unwrap().contains("NoSuchWorker"));
    // Retry it now, as the dashboard's "Retry Now" does.
    let taken = h
        .store
        .take_entry(SetKind::Retry, &e.key())
        .await
        .unwrap()
        .into_option()
        .unwrap();
    h.client().push_job(taken.job.unwrap()).await.unwrap();
    wait_set(&h, SetKind::Dead, 1, "unknown class dead after its retry").await;
    launcher.stop().await;
}

async fn failed_job_succeeds_on_retry(h: Harness) {
    let jid = h.client().perform_async("FailOnce", vec![]).await.unwrap();
    let launcher = h.launch(h.fast_config(1, spec(&["default"], true))).await;
    wait_set(&h, SetKind::Retry, 1, "first failure").await;
    let e = set_entries(&h, SetKind::Retry).await.remove(0);
    // Make it due now by moving it with the scheduler at its score.
    assert_eq!(h.store.enqueue_due(e.score).await.unwrap(), 1);
    eventually(Duration::from_secs(10), "the retry to succeed", || async {
        h.ran().contains(&jid).then_some(())
    })
    .await;
    launcher.stop().await;
    let s = h.stats().await;
    assert_eq!((s.processed, s.failed, s.retries, s.dead), (2, 1, 0, 0));
}
