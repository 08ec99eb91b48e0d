//! Pushing: perform_async, perform_in/at, push_bulk, payload shape and order.

use std::sync::Arc;

use kiqlab::engine::client::PushOptions;
use kiqlab::engine::clock::{now_secs, ManualClock};
use kiqlab::engine::job::Job;
use kiqlab::engine::store::{Page, SetKind, SetQuery};
use serde_json::json;

use super::harness::{q, spec};
use super::{store_test, Harness};

store_test!(
    perform_async_writes_sidekiq_payload,
    perform_in_schedules_without_at,
    perform_at_in_the_past_runs_now,
    push_bulk_keeps_order_and_counts,
    queues_are_listed_with_size_and_latency,
);

async fn perform_async_writes_sidekiq_payload(h: Harness) {
    let jid = h
        .client()
        .perform_async("DemoWorker", vec![json!(1), json!("hi")])
        .await
        .unwrap();
    assert_eq!(jid.len(), 24);
    let jobs = h
        .store
        .queue_jobs(&q("default"), Page::oldest(0, 10))
        .await
        .unwrap();
    assert_eq!(jobs.len(), 1);
    let raw = &jobs[0].raw;
    assert!(
        raw.starts_with(&format!(
            r#"{{"retry":true,"queue":"default","args":[1,"hi"],"class":"DemoWorker","jid":"{jid}","created_at":"#
        )),
        "{raw}"
    );
    let job = Job::parse(raw).unwrap();
    assert_eq!(job.created_at(), job.enqueued_at());
    // UrgentWorker's options: queue urgent, retry false.
    h.client()
        .perform_async("UrgentWorker", vec![json!(0), json!("now")])
        .await
        .unwrap();
    let urgent = h
        .store
        .queue_jobs(&q("urgent"), Page::oldest(0, 10))
        .await
        .unwrap();
    assert!(urgent[0]
        .raw
        .starts_with(r#"{"retry":false,"queue":"urgent""#));
}

async fn perform_in_schedules_without_at(h: Harness) {
    let before = now_secs();
    let jid = h
        .client()
        .perform_in("DemoWorker", 60.0, vec![json!(0), json!("later")])
        .await
        .unwrap();
    assert_eq!(h.store.set_size(SetKind::Schedule).await.unwrap(), 1);
    let e = &h
        .store
        .set_entries(&SetQuery::new(SetKind::Schedule, Page::oldest(0, 10)))
        .await
        .unwrap()[0];
    assert!(e.score >= before + 60.0 && e.score < before + 62.0);
    assert!(!e.raw.contains("\"at\""), "{}", e.raw);
    assert!(!e.raw.contains("enqueued_at"), "{}", e.raw);
    assert_eq!(e.jid(), jid);
    // Not due yet:
    assert_eq!(h.store.enqueue_due(before + 30.0).await.unwrap(), 0);
    assert_eq!(h.store.enqueue_due(e.score + 0.001).await.unwrap(), 1);
    assert_eq!(h.store.set_size(SetKind::Schedule).await.unwrap(), 0);
    let queued = h
        .store
        .queue_jobs(&q("default"), Page::oldest(0, 10))
        .await
        .unwrap();
    let job = queued[0].job.clone().unwrap();
    assert_eq!(job.jid(), jid);
    assert_eq!(job.enqueued_at(), Some(e.score + 0.001));
    // Moving twice is a no-op.
    assert_eq!(h.store.enqueue_due(e.score + 10.0).await.unwrap(), 0);
}

async fn perform_at_in_the_past_runs_now(h: Harness) {
    h.client()
        .perform_at("DemoWorker", now_secs() - 100.0, vec![json!(0), json!("x")])
        .await
        .unwrap();
    h.client()
        .perform_in("DemoWorker", -5.0, vec![json!(0), json!("y")])
        .await
        .unwrap();
    assert_eq!(h.store.set_size(SetKind::Schedule).await.unwrap(), 0);
    assert_eq!(h.stats().await.enqueued, 2);
}

async fn push_bulk_keeps_order_and_counts(h: Harness) {
    let args: Vec<Vec<serde_json::Value>> = (0..10_000).map(|i| vec![json!(i)]).collect();
    let jids = h
        .client()
        .push_bulk("NoopWorker", args, &PushOptions::default())
        .await
        .unwrap();
    assert_eq!(jids.len(), 10_000);
    let unique: std::collections::HashSet<_> = jids.iter().collect();
    assert_eq!(unique.len(), 10_000);
    assert_eq!(h.stats().await.enqueued, 10_000);
    // The first pushed is the first to run.
    let next = h
        .store
        .queue_jobs(&q("default"), Page::oldest(0, 3))
        .await
        .unwrap();
    let firsts: Vec<_> = next
        .iter()
        .map(|j| j.job.as_ref().unwrap().args()[0].clone())
        .collect();
    assert_eq!(firsts, vec![json!(0), json!(1), json!(2)]);
    let newest = h
        .store
        .queue_jobs(&q("default"), Page::newest(0, 1))
        .await
        .unwrap();
    assert_eq!(newest[0].job.as_ref().unwrap().args()[0], json!(9999));
    // Scheduled in bulk:
    let opts = PushOptions {
        at: Some(3600.0),
        ..PushOptions::default()
    };
    h.client()
        .push_bulk("NoopWorker", vec![vec![]; 2500], &opts)
        .await
        .unwrap();
    assert_eq!(
        h.store
            .set_size(kiqlab::engine::store::SetKind::Schedule)
            .await
            .unwrap(),
        2500
    );
    let _ = spec(&["default"], true);
}

async fn queues_are_listed_with_size_and_latency(h: Harness) {
    // Pushed at t0 by the test's clock; read 2.5 s later by the same clock.
    let t0 = now_secs().floor();
    let c = h.client_with(Arc::new(ManualClock::new(t0)));
    c.perform_async("DemoWorker", vec![json!(0), json!("a")])
        .await
        .unwrap();
    c.push(
        "DemoWorker",
        vec![json!(0), json!("b")],
        &PushOptions {
            queue: Some(q("low")),
            ..PushOptions::default()
        },
    )
    .await
    .unwrap();
    let queues = h.store.queues(t0 + 2.5).await.unwrap();
    let names: Vec<_> = queues.iter().map(|q| q.name.as_str()).collect();
    assert_eq!(names, vec!["default", "low"]);
    assert!(queues.iter().all(|q| q.size == 1));
    assert_eq!(queues[0].latency_s, 2.5);
    let s = h.stats().await;
    assert_eq!((s.enqueued, s.processed, s.failed), (2, 0, 0));
    // A queue stays listed when empty, until cleared.
    assert_eq!(h.store.clear_queue(&q("low")).await.unwrap(), 1);
    let names: Vec<_> = h
        .store
        .queues(now_secs())
        .await
        .unwrap()
        .into_iter()
        .map(|q| q.name.to_string())
        .collect();
    assert_eq!(names, vec!["default"]);
}
