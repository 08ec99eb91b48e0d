//! Time units on both stores: a Sidekiq 8 payload (integer-millisecond
//! times) moved by the scheduler keeps integer milliseconds, and an
//! integer-seconds `enqueued_at` gives a latency in seconds.

use kiqlab::engine::job::Job;
use kiqlab::engine::store::{Page, SetKind};
use serde_json::Value;

use super::harness::q;
use super::{store_test, Harness};

store_test!(
    a_moved_sidekiq_8_job_keeps_integer_milliseconds,
    integer_seconds_give_a_latency_in_seconds,
);

/// 2023-11-14 22:13:20 UTC.
const NOW: f64 = 1_700_000_000.0;

async fn a_moved_sidekiq_8_job_keeps_integer_milliseconds(h: Harness) {
    let store = h.store.clone();
    let raw = r#"{"retry":true,"queue":"default","class":"A","args":[1],"jid":"0123456789abcdef01234567","created_at":1699999999123}"#;
    let job = Job::parse(raw).unwrap();
    store
        .add_entry(SetKind::Schedule, NOW + 5.0, &job)
        .await
        .unwrap();
    assert_eq!(store.enqueue_due(NOW + 10.0).await.unwrap(), 1);
    let moved = store
        .queue_jobs(&q("default"), Page::oldest(0, 10))
        .await
        .unwrap();
    let moved = moved[0].job.as_ref().unwrap();
    assert_eq!(
        moved.get("enqueued_at"),
        Some(&Value::from(1_700_000_010_000_i64)),
        "enqueued_at in integer ms"
    );
    assert_eq!(
        moved.get("created_at"),
        Some(&Value::from(1_699_999_999_123_i64))
    );
    assert_eq!(moved.enqueued_at(), Some(NOW + 10.0));
}

async fn integer_seconds_give_a_latency_in_seconds(h: Harness) {
    let store = h.store.clone();
    let now = kiqlab::engine::clock::now_secs();
    let secs = now as i64 - 5;
    let raw = format!(
        r#"{{"retry":true,"queue":"default","class":"A","args":[],"jid":"0123456789abcdef01234567","created_at":{secs},"enqueued_at":{secs}}}"#
    );
    store.push(&[Job::parse(&raw).unwrap()]).await.unwrap();
    let qs = store.queues(now).await.unwrap();
    let latency = qs[0].latency_s;
    assert!(
        (4.0..60.0).contains(&latency),
        "latency {latency} s, want about 5"
    );
}
