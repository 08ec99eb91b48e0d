//! Completions and their side effects (counters per day, retry, dead,
//! discard, sidekiq-failures' entries, the feed and per-class metrics), the
//! dead set's limits, due jobs, and sorted-set pages and keys, driven by
//! hand (once SQLite-only tests; the same on both stores).

use std::time::Duration;

use kiqlab::engine::job::Job;
use kiqlab::engine::store::{
    Completion, DeadLimits, EntryKey, Outcome, Page, Removal, RunOutcome, SetKind, SetQuery,
    SortedEntry, Store, UnitOfWork,
};
use serde_json::Value;

use super::fixtures::{args_of, done, job, record};
use super::harness::{q, spec};
use super::{store_test, Harness};

store_test!(
    completions_count_processed_and_failed_in_total_and_per_day,
    retry_dead_and_discard_file_the_job_where_it_belongs,
    the_dead_set_is_trimmed_by_its_limits,
    due_retries_and_scheduled_jobs_move_to_their_queues,
    set_entries_page_filter_and_take_by_key,
);

/// 2023-11-14 22:13:20 UTC.
const NOW: f64 = 1_700_000_000.0;
const DAY: f64 = 86_400.0;

fn all(set: SetKind, newest_first: bool) -> SetQuery {
    let page = Page {
        offset: 0,
        limit: 10,
        newest_first,
    };
    SetQuery::new(set, page)
}

async fn fetch_all(store: &dyn Store, identity: &str) -> Vec<UnitOfWork> {
    let mut f = store
        .fetcher(identity, &spec(&["default"], true))
        .await
        .unwrap();
    let got = f
        .fetch(&[q("default")], 1000, Duration::ZERO)
        .await
        .unwrap();
    f.close().await.unwrap();
    got
}

fn failed_job(u: &UnitOfWork, now: f64) -> Job {
    let mut j = Job::parse(std::str::from_utf8(&u.payload).unwrap()).unwrap();
    j.set("error_class", Value::from("RuntimeError"));
    j.set("error_message", Value::from("boom"));
    j.set_time("failed_at", now);
    j.set("retry_count", Value::from(0));
    j
}

async fn completions_count_processed_and_failed_in_total_and_per_day(h: Harness) {
    let store = h.store.as_ref();
    let jobs: Vec<_> = (0..5).map(|i| job("default", i, NOW)).collect();
    store.push(&jobs).await.unwrap();
    let held = fetch_all(store, "w:1:a").await;
    let mut batch: Vec<Completion> = held[..3].iter().map(|u| done(u, NOW)).collect();
    batch.push(Completion {
        unit: held[3].clone(),
        outcome: Outcome::Discard,
        record: Some(record(&held[3], RunOutcome::Discarded, NOW)),
    });
    store.complete("w:1:a", &batch, NOW).await.unwrap();
    store
        .complete("w:1:a", &[done(&held[4], NOW + DAY)], NOW + DAY)
        .await
        .unwrap();
    let stats = store.stats(NOW + DAY).await.unwrap();
    assert_eq!((stats.processed, stats.failed), (5, 1));
    assert_eq!((stats.retries, stats.dead, stats.enqueued), (0, 0, 0));
    let history = store.history(NOW + DAY, 3).await.unwrap();
    let days: Vec<(&str, u64, u64)> = history
        .iter()
        .map(|d| (d.date.as_str(), d.processed, d.failed))
        .collect();
    assert_eq!(
        days,
        vec![
            ("2023-11-15", 1, 0),
            ("2023-11-14", 4, 1),
            ("2023-11-13", 0, 0)
        ]
    );
    // Acknowledged: nothing left to recover or refetch.
    assert!(fetch_all(store, "w:1:a").await.is_empty());
    store.clear_heartbeat("w:1:a").await.unwrap();
    assert!(fetch_all(store, "w:2:b").await.is_empty());

    store.reset_stats(true, false).await.unwrap();
    let stats = store.stats(NOW).await.unwrap();
    assert_eq!((stats.processed, stats.failed), (0, 1));
    store.reset_stats(false, true).await.unwrap();
    assert_eq!(store.stats(NOW).await.unwrap().failed, 0);
    // Daily history is not reset, as in Sidekiq.
    assert_eq!(store.history(NOW, 1).await.unwrap()[0].processed, 4);
}

async fn retry_dead_and_discard_file_the_job_where_it_belongs(h: Harness) {
    let store = h.store.as_ref();
    let jobs: Vec<_> = (0..3).map(|i| job("default", i, NOW)).collect();
    store.push(&jobs).await.unwrap();
    let held = fetch_all(store, "w:1:a").await;
    let retry = failed_job(&held[0], NOW);
    let dead = failed_job(&held[1], NOW);
    let batch = vec![
        Completion {
            unit: held[0].clone(),
            outcome: Outcome::Retry {
                job: retry.clone(),
                at: NOW + 30.0,
            },
            record: Some(record(&held[0], RunOutcome::Retry, NOW)),
        },
        Completion {
            unit: held[1].clone(),
            outcome: Outcome::Dead {
                job_json: dead.to_json(),
            },
            record: Some(record(&held[1], RunOutcome::Dead, NOW)),
        },
        Completion {
            unit: held[2].clone(),
            outcome: Outcome::Discard,
            record: Some(record(&held[2], RunOutcome::Discarded, NOW)),
        },
    ];
    store.complete("w:1:a", &batch, NOW).await.unwrap();
    let retries = store
        .set_entries(&all(SetKind::Retry, false))
        .await
        .unwrap();
    assert_eq!(retries.len(), 1);
    assert_eq!(
        (retries[0].score, retries[0].raw.as_str()),
        (NOW + 30.0, retry.to_json().as_str())
    );
    let deads = store.set_entries(&all(SetKind::Dead, false)).await.unwrap();
    assert_eq!((deads.len(), deads[0].score), (1, NOW));
    assert_eq!(deads[0].raw, dead.to_json());
    // sidekiq-failures: every failed execution, with the processor.
    let failures = store
        .set_entries(&all(SetKind::Failed, false))
        .await
        .unwrap();
    assert_eq!(failures.len(), 3);
    let f = failures[0].job.as_ref().unwrap();
    assert_eq!(
        f.get("processor").and_then(Value::as_str),
        Some(format!("test-host:{}", std::process::id()).as_str())
    );
    let stats = store.stats(NOW).await.unwrap();
    assert_eq!((stats.processed, stats.failed), (3, 3));
    assert_eq!((stats.retries, stats.dead), (1, 1));
    // The feed and the per-class metrics.
    let recent = store.recent_jobs(10, None).await.unwrap();
    assert_eq!(recent.len(), 3);
    assert_eq!(recent[0].outcome, RunOutcome::Discarded);
    let metrics = store.class_metrics(NOW - 60.0, NOW).await.unwrap();
    assert_eq!(metrics.len(), 1);
    assert_eq!(
        (
            metrics[0].class.as_str(),
            metrics[0].executions,
            metrics[0].failures,
            metrics[0].ms
        ),
        ("NoopWorker", 3, 3, 0)
    );
}

async fn the_dead_set_is_trimmed_by_its_limits(h: Harness) {
    let store = h
        .with_dead_limits(DeadLimits {
            max_jobs: 3,
            timeout_secs: 146.5,
        })
        .await;
    let store = store.as_ref();
    for i in 0..5 {
        store
            .add_entry(SetKind::Dead, NOW + i as f64, &job("default", i, NOW))
            .await
            .unwrap();
    }
    let kept: Vec<i64> = store
        .set_entries(&all(SetKind::Dead, false))
        .await
        .unwrap()
        .iter()
        .map(|e| e.job.as_ref().unwrap().args()[0].as_i64().unwrap())
        .collect();
    assert_eq!(kept, vec![2, 3, 4]);
    // A death at +150 s drops the entries older than 146.5 s (scores 2 and 3).
    store.push(&[job("default", 9, NOW)]).await.unwrap();
    let held = fetch_all(store, "w:1:a").await;
    let later = NOW + 150.0;
    let batch = vec![Completion {
        unit: held[0].clone(),
        outcome: Outcome::Dead {
            job_json: failed_job(&held[0], later).to_json(),
        },
        record: None,
    }];
    store.complete("w:1:a", &batch, later).await.unwrap();
    let kept: Vec<(f64, i64)> = store
        .set_entries(&all(SetKind::Dead, true))
        .await
        .unwrap()
        .iter()
        .map(|e| (e.score, e.job.as_ref().unwrap().args()[0].as_i64().unwrap()))
        .collect();
    assert_eq!(kept, vec![(later, 9), (NOW + 4.0, 4)]);
}

async fn due_retries_and_scheduled_jobs_move_to_their_queues(h: Harness) {
    let store = h.store.as_ref();
    let mut later = job("default", 1, NOW);
    later.set_time("at", NOW + 60.0);
    let mut soon = job("mail", 2, NOW);
    soon.set_time("at", NOW + 5.0);
    soon.remove("created_at");
    store.push(&[later.clone(), soon]).await.unwrap();
    let sched = store
        .set_entries(&all(SetKind::Schedule, false))
        .await
        .unwrap();
    assert_eq!(sched.len(), 2);
    assert_eq!(sched[0].score, NOW + 5.0);
    assert!(sched.iter().all(|e| !e.raw.contains("\"at\"")));
    assert!(store.queues(NOW).await.unwrap().is_empty());
    store
        .add_entry(SetKind::Retry, NOW + 1.0, &job("default", 3, NOW))
        .await
        .unwrap();
    // A malformed entry goes to the dead set instead of blocking the set
    // (written as raw bytes, as a foreign client might have).
    let junk = SortedEntry::new(NOW + 2.0, "{not json".to_owned());
    store
        .restore_entries(SetKind::Retry, &[junk])
        .await
        .unwrap();

    assert_eq!(store.enqueue_due(NOW).await.unwrap(), 0);
    assert_eq!(store.enqueue_due(NOW + 10.0).await.unwrap(), 2);
    assert_eq!(store.set_size(SetKind::Retry).await.unwrap(), 0);
    assert_eq!(store.set_size(SetKind::Dead).await.unwrap(), 1);
    assert_eq!(store.set_size(SetKind::Schedule).await.unwrap(), 1);
    let mail = store
        .queue_jobs(&q("mail"), Page::oldest(0, 10))
        .await
        .unwrap();
    let moved = mail[0].job.as_ref().unwrap();
    assert_eq!(moved.enqueued_at(), Some(NOW + 10.0));
    assert_eq!(moved.created_at(), Some(NOW + 10.0));
    let mut f = store
        .fetcher("w:1:a", &spec(&["default", "mail"], true))
        .await
        .unwrap();
    let got = f
        .fetch(&[q("default"), q("mail")], 10, Duration::ZERO)
        .await
        .unwrap();
    assert_eq!(args_of(&got), vec![3, 2]);
    assert_eq!(store.enqueue_due(NOW + 60.0).await.unwrap(), 1);
}

async fn set_entries_page_filter_and_take_by_key(h: Harness) {
    let store = h.store.as_ref();
    let jobs: Vec<Job> = (0..6).map(|i| job("default", i, NOW)).collect();
    for (i, j) in jobs.iter().enumerate() {
        let mut j = j.clone();
        if i % 2 == 0 {
            j.set("error_message", Value::from("needle here"));
        }
        store
            .add_entry(SetKind::Retry, NOW + i as f64 * 0.5, &j)
            .await
            .unwrap();
    }
    let page = store
        .set_entries(&SetQuery::new(SetKind::Retry, Page::oldest(1, 2)))
        .await
        .unwrap();
    assert_eq!(
        page.iter().map(|e| e.score).collect::<Vec<_>>(),
        vec![NOW + 0.5, NOW + 1.0]
    );
    let newest = store
        .set_entries(&SetQuery::new(SetKind::Retry, Page::newest(0, 2)))
        .await
        .unwrap();
    assert_eq!(newest[0].score, NOW + 2.5);
    let found = store
        .set_entries(&all(SetKind::Retry, true).matching(Some("needle")))
        .await
        .unwrap();
    assert_eq!(
        found.iter().map(|e| e.score).collect::<Vec<_>>(),
        vec![NOW + 2.0, NOW + 1.0, NOW]
    );
    // Keys as the dashboard prints and parses them.
    let key = EntryKey::parse(&page[0].key().to_string()).unwrap();
    let taken = store
        .take_entry(SetKind::Retry, &key)
        .await
        .unwrap()
        .into_option()
        .unwrap();
    assert_eq!(taken.raw, page[0].raw);
    assert!(matches!(
        store.take_entry(SetKind::Retry, &key).await.unwrap(),
        Removal::NotFound
    ));
    let wrong_jid = EntryKey {
        score: NOW + 1.0,
        jid: "0".repeat(24),
    };
    assert!(matches!(
        store.take_entry(SetKind::Retry, &wrong_jid).await.unwrap(),
        Removal::NotFound
    ));
    let wrong_score = EntryKey {
        score: NOW + 1.25,
        jid: page[1].jid().to_owned(),
    };
    assert!(matches!(
        store
            .take_entry(SetKind::Retry, &wrong_score)
            .await
            .unwrap(),
        Removal::NotFound
    ));
    assert_eq!(store.set_size(SetKind::Retry).await.unwrap(), 5);
    assert_eq!(store.clear_set(SetKind::Retry).await.unwrap(), 5);
    assert_eq!(store.set_size(SetKind::Retry).await.unwrap(), 0);
}
