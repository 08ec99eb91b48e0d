//! What the dashboard reads and does beyond Sidekiq's API, on both stores:
//! the recent-jobs feed with its host filter, per-class metrics and the
//! duration histogram over a window, bulk pops and adds on sorted sets.

use std::time::Duration;

use kiqlab::engine::clock::now_secs;
use kiqlab::engine::job::{Job, Retry};
use kiqlab::engine::store::metrics::{bucket_for, BUCKETS};
use kiqlab::engine::store::{
    Completion, JobRecord, Outcome, Page, RunOutcome, SetKind, SetQuery, UnitOfWork,
};
use serde_json::json;

use super::harness::{q, spec};
use super::{store_test, Harness};

store_test!(
    feed_metrics_and_histogram_follow_completions,
    pop_and_add_entries_in_bulk,
);

fn record(
    u: &UnitOfWork,
    class: &str,
    host: &str,
    ms: f64,
    outcome: RunOutcome,
    now: f64,
) -> JobRecord {
    let job = Job::parse(std::str::from_utf8(&u.payload).unwrap()).unwrap();
    JobRecord {
        jid: job.jid().to_owned(),
        class: class.to_owned(),
        queue: u.queue.to_string(),
        host: host.to_owned(),
        ip: "10.0.0.1".to_owned(),
        pid: 42,
        started_at: now - ms / 1000.0,
        duration_ms: ms,
        outcome,
        error: outcome.failed().then(|| "RuntimeError: boom".to_owned()),
        backtrace: Vec::new(),
    }
}

async fn feed_metrics_and_histogram_follow_completions(h: Harness) {
    let now = now_secs();
    let jobs: Vec<Job> = (0..6)
        .map(|i| Job::new("Any", vec![json!(i)], q("default"), Retry::Default))
        .collect();
    h.store.push(&jobs).await.unwrap();
    let mut f = h
        .store
        .fetcher("w:1:feed", &spec(&["default"], true))
        .await
        .unwrap();
    let units = f.fetch(&[q("default")], 10, Duration::ZERO).await.unwrap();
    assert_eq!(units.len(), 6);
    // Fast on host-a (5 ms, 25 ms, a failure), slow on host-b (300 ms ×2), one Other.
    let plan = [
        ("Fast", "host-a", 5.0, false),
        ("Fast", "host-a", 25.0, false),
        ("Fast", "host-a", 7.0, true),
        ("Fast", "host-b", 300.0, false),
        ("Fast", "host-b", 310.0, false),
        ("Other", "host-b", 1.0, false),
    ];
    let batch: Vec<Completion> = units
        .iter()
        .zip(plan)
        .map(|(u, (class, host, ms, fail))| Completion {
            unit: u.clone(),
            outcome: if fail {
                Outcome::Discard
            } else {
                Outcome::Done
            },
            record: Some(record(
                u,
                class,
                host,
                ms,
                if fail {
                    RunOutcome::Discarded
                } else {
                    RunOutcome::Done
                },
                now,
            )),
        })
        .collect();
    h.store.complete("w:1:feed", &batch, now).await.unwrap();

    let all = h.store.recent_jobs(100, None).await.unwrap();
    assert_eq!(all.len(), 6);
    assert_eq!(all[0].class, "Other", "newest first");
    assert_eq!(h.store.recent_jobs(2, None).await.unwrap().len(), 2);
    let a = h.store.recent_jobs(100, Some("host-a")).await.unwrap();
    assert_eq!(a.len(), 3);
    assert!(a.iter().all(|r| r.host == "host-a"));
    let b = h.store.recent_jobs(1, Some("host-b")).await.unwrap();
    assert_eq!((b.len(), b[0].class.as_str()), (1, "Other"));
    assert!(h
        .store
        .recent_jobs(100, Some("nowhere"))
        .await
        .unwrap()
        .is_empty());

    let m = h.store.class_metrics(now - 3600.0, now).await.unwrap();
    let fast = m.iter().find(|c| c.class == "Fast").unwrap();
    // Milliseconds count successful runs only, as Sidekiq 7's do.
    assert_eq!(
        (fast.executions, fast.failures, fast.ms),
        (5, 1, 5 + 25 + 300 + 310)
    );
    let other = m.iter().find(|c| c.class == "Other").unwrap();
    assert_eq!((other.executions, other.failures, other.ms), (1, 0, 1));
    let later = h
        .store
        .class_metrics(now + 120.0, now + 600.0)
        .await
        .unwrap();
    assert!(later.is_empty(), "outside the window: {later:?}");

    let hist = h
        .store
        .class_histogram("Fast", now - 3600.0, now)
        .await
        .unwrap();
    let mut expect = [0u64; BUCKETS];
    for ms in [5.0, 25.0, 300.0, 310.0] {
        expect[bucket_for(ms)] += 1;
    }
    assert_eq!(hist, expect);
    assert_eq!(hist.iter().sum::<u64>(), 4, "failures are not timed");
    let none = h
        .store
        .class_histogram("Fast", now + 120.0, now + 600.0)
        .await
        .unwrap();
    assert_eq!(none, [0u64; BUCKETS]);
    assert_eq!(
        h.store
            .class_histogram("Missing", now - 60.0, now)
            .await
            .unwrap(),
        [0u64; BUCKETS]
    );
}

async fn pop_and_add_entries_in_bulk(h: Harness) {
    let entries: Vec<(f64, Job)> = (0..5)
        .map(|i| {
            (
                1000.0 + f64::from(i),
                Job::new("Kind", vec![json!(i)], q("default"), Retry::Default),
            )
        })
        .rev()
        .collect();
    h.store.add_entries(SetKind::Retry, &entries).await.unwrap();
    h.store.add_entries(SetKind::Dead, &[]).await.unwrap();
    assert_eq!(h.store.set_size(SetKind::Retry).await.unwrap(), 5);
    // Found by key and left in place.
    let first = &h
        .store
        .set_entries(&SetQuery::new(SetKind::Retry, Page::oldest(0, 1)))
        .await
        .unwrap()[0];
    let found = h
        .store
        .find_entry(SetKind::Retry, &first.key())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.raw, first.raw);
    let mut other = first.key();
    other.jid = "0123456789abcdef01234567".into();
    assert!(h
        .store
        .find_entry(SetKind::Retry, &other)
        .await
        .unwrap()
        .is_none());
    assert_eq!(h.store.set_size(SetKind::Retry).await.unwrap(), 5);
    let popped = h.store.pop_entries(SetKind::Retry, 3).await.unwrap();
    let scores: Vec<f64> = popped.iter().map(|e| e.score).collect();
    assert_eq!(scores, vec![1000.0, 1001.0, 1002.0]);
    assert_eq!(popped[0].job.as_ref().unwrap().args(), &[json!(0)]);
    assert_eq!(h.store.set_size(SetKind::Retry).await.unwrap(), 2);
    let rest = h.store.pop_entries(SetKind::Retry, 100).await.unwrap();
    assert_eq!(rest.len(), 2);
    assert!(h
        .store
        .pop_entries(SetKind::Retry, 100)
        .await
        .unwrap()
        .is_empty());
    // Into the dead set, in one step.
    let dead: Vec<(f64, Job)> = rest
        .into_iter()
        .map(|e| (now_secs(), e.job.unwrap()))
        .collect();
    h.store.add_entries(SetKind::Dead, &dead).await.unwrap();
    assert_eq!(h.store.set_size(SetKind::Dead).await.unwrap(), 2);
}
