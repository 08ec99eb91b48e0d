//! Reliable fetch: FIFO, strict and weighted queue order, exclusive claims,
//! requeue to the front, blocking waits woken by another connection, and
//! acknowledgements with their counters.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use kiqlab::engine::client::PushOptions;
use kiqlab::engine::clock::now_secs;
use kiqlab::engine::store::{Completion, Outcome, Page};
use serde_json::json;

use super::harness::{q, spec};
use super::{store_test, Harness};

store_test!(
    fetch_is_fifo_and_exact,
    strict_order_drains_first_queue_first,
    weighted_order_follows_weights,
    two_fetchers_never_share_a_job,
    requeue_puts_jobs_back_in_front,
    blocking_fetch_wakes_on_push_from_another_connection,
    complete_counts_processed_and_failed,
    acknowledging_a_batch_twice_counts_once,
);

async fn push_n(h: &Harness, queue: &str, n: usize) -> Vec<String> {
    let opts = PushOptions {
        queue: Some(q(queue)),
        ..PushOptions::default()
    };
    let args = (0..n).map(|i| vec![json!(i)]).collect();
    h.client()
        .push_bulk("NoopWorker", args, &opts)
        .await
        .unwrap()
}

async fn fetch_is_fifo_and_exact(h: Harness) {
    let jids = push_n(&h, "default", 5).await;
    let queued = h
        .store
        .queue_jobs(&q("default"), Page::oldest(0, 5))
        .await
        .unwrap();
    let mut f = h
        .store
        .fetcher("me:1:aaaaaaaaaaaa", &spec(&["default"], true))
        .await
        .unwrap();
    let units = f.fetch(&[q("default")], 3, Duration::ZERO).await.unwrap();
    assert_eq!(units.len(), 3);
    for (u, (j, raw)) in units.iter().zip(jids.iter().zip(queued.iter())) {
        assert_eq!(
            std::str::from_utf8(&u.payload).unwrap(),
            raw.raw,
            "payload unchanged"
        );
        assert!(raw.raw.contains(j.as_str()));
    }
    let rest = f.fetch(&[q("default")], 10, Duration::ZERO).await.unwrap();
    assert_eq!(rest.len(), 2);
    assert!(f
        .fetch(&[q("default")], 10, Duration::ZERO)
        .await
        .unwrap()
        .is_empty());
    // Fetched jobs are held, not queued.
    assert_eq!(h.stats().await.enqueued, 0);
    f.close().await.unwrap();
}

async fn strict_order_drains_first_queue_first(h: Harness) {
    push_n(&h, "default", 3).await;
    push_n(&h, "urgent", 2).await;
    let s = spec(&["urgent", "default"], false);
    let mut f = h.store.fetcher("me:1:aaaaaaaaaaaa", &s).await.unwrap();
    let units = f.fetch(&s.fetch_order(), 4, Duration::ZERO).await.unwrap();
    let queues: Vec<_> = units.iter().map(|u| u.queue.to_string()).collect();
    assert_eq!(queues, vec!["urgent", "urgent", "default", "default"]);
    f.close().await.unwrap();
}

async fn weighted_order_follows_weights(h: Harness) {
    // 3:1 weights, one job per fetch: about 75% of fetches come from "high".
    push_n(&h, "high", 2000).await;
    push_n(&h, "low", 2000).await;
    let s = spec(&["high,3", "low,1"], false);
    assert!(!s.is_strict());
    let mut f = h.store.fetcher("me:1:aaaaaaaaaaaa", &s).await.unwrap();
    let mut high = 0;
    let n = 1600;
    for _ in 0..n {
        let u = f.fetch(&s.fetch_order(), 1, Duration::ZERO).await.unwrap();
        if u[0].queue.as_str() == "high" {
            high += 1;
        }
    }
    let share = f64::from(high) / f64::from(n);
    // Expected 0.75, standard deviation ~0.011: allow six of them.
    assert!((share - 0.75).abs() < 0.065, "high share {share}");
    f.close().await.unwrap();
}

async fn two_fetchers_never_share_a_job(h: Harness) {
    push_n(&h, "default", 2000).await;
    let other = h.reopen().await;
    let s = spec(&["default"], true);
    let mut a = h.store.fetcher("a:1:aaaaaaaaaaaa", &s).await.unwrap();
    let mut b = other.fetcher("b:2:bbbbbbbbbbbb", &s).await.unwrap();
    let order = [q("default")];
    let (ra, rb) = tokio::join!(
        async {
            let mut got = Vec::new();
            loop {
                let u = a.fetch(&order, 7, Duration::ZERO).await.unwrap();
                if u.is_empty() {
                    break got;
                }
                got.extend(u);
            }
        },
        async {
            let mut got = Vec::new();
            loop {
                let u = b.fetch(&order, 5, Duration::ZERO).await.unwrap();
                if u.is_empty() {
                    break got;
                }
                got.extend(u);
            }
        }
    );
    let all: Vec<_> = ra
        .iter()
        .chain(rb.iter())
        .map(|u| u.payload.clone())
        .collect();
    let unique: HashSet<_> = all.iter().collect();
    assert_eq!(all.len(), 2000);
    assert_eq!(unique.len(), 2000);
    assert!(!ra.is_empty() && !rb.is_empty(), "both fetchers got work");
    a.close().await.unwrap();
    b.close().await.unwrap();
}

async fn requeue_puts_jobs_back_in_front(h: Harness) {
    push_n(&h, "default", 5).await;
    let id = "me:1:aaaaaaaaaaaa";
    let mut f = h
        .store
        .fetcher(id, &spec(&["default"], true))
        .await
        .unwrap();
    let order = [q("default")];
    let first = f.fetch(&order, 3, Duration::ZERO).await.unwrap();
    h.store.requeue(id, first.clone()).await.unwrap();
    assert_eq!(h.stats().await.enqueued, 5);
    let again = f.fetch(&order, 3, Duration::ZERO).await.unwrap();
    let a: Vec<_> = first.iter().map(|u| u.payload.clone()).collect();
    let b: Vec<_> = again.iter().map(|u| u.payload.clone()).collect();
    assert_eq!(a, b, "requeued jobs come back first, in order");
    // Requeuing a unit this process does not hold does nothing.
    h.store
        .requeue("other:9:cccccccccccc", again.clone())
        .await
        .unwrap();
    assert_eq!(h.stats().await.enqueued, 2);
    f.close().await.unwrap();
}

async fn blocking_fetch_wakes_on_push_from_another_connection(h: Harness) {
    // The fetch may block far longer than a wake-up (or SQLite's fallback
    // poll) takes: returning the job before the block is over is the point,
    // so nothing here depends on how fast a loaded machine is.
    const BLOCK: Duration = Duration::from_secs(30);
    let s = spec(&["urgent", "default"], false);
    let mut f = h.store.fetcher("me:1:aaaaaaaaaaaa", &s).await.unwrap();
    let other = h.reopen().await;
    let pusher = tokio::spawn(async move {
        // Gives the fetch time to start waiting; if it has not, it finds the
        // job at once, which proves less but fails nothing.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let c = kiqlab::engine::client::Client::new(
            other,
            std::sync::Arc::new(kiqlab::engine::builtin::registry()),
            std::sync::Arc::new(kiqlab::engine::clock::SystemClock),
        );
        c.perform_async("NoopWorker", vec![]).await.unwrap();
    });
    let start = Instant::now();
    let units = f.fetch(&s.fetch_order(), 5, BLOCK).await.unwrap();
    pusher.await.unwrap();
    assert_eq!(units.len(), 1);
    assert!(start.elapsed() < BLOCK, "woke by the push, not the timeout");
    // With nothing pushed, the wait ends at the timeout with nothing. A
    // real-time wait on purpose: the block's length is what is tested, and
    // only its lower bound, which a slow machine cannot break.
    let t = Instant::now();
    assert!(f
        .fetch(&s.fetch_order(), 5, Duration::from_millis(300))
        .await
        .unwrap()
        .is_empty());
    assert!(t.elapsed() >= Duration::from_millis(300));
    let late = f.close().await.unwrap();
    assert!(late.is_empty());
}

async fn complete_counts_processed_and_failed(h: Harness) {
    push_n(&h, "default", 4).await;
    let id = "me:1:aaaaaaaaaaaa";
    let mut f = h
        .store
        .fetcher(id, &spec(&["default"], true))
        .await
        .unwrap();
    let units = f.fetch(&[q("default")], 4, Duration::ZERO).await.unwrap();
    let batch: Vec<Completion> = units
        .into_iter()
        .enumerate()
        .map(|(i, unit)| Completion {
            unit,
            outcome: if i == 0 {
                Outcome::Discard
            } else {
                Outcome::Done
            },
            record: None,
        })
        .collect();
    h.store.complete(id, &batch, now_secs()).await.unwrap();
    let s = h.stats().await;
    assert_eq!((s.processed, s.failed, s.enqueued), (4, 1, 0));
    let hist = h.store.history(now_secs(), 7).await.unwrap();
    assert_eq!(hist.len(), 7);
    assert_eq!((hist[0].processed, hist[0].failed), (4, 1));
    assert_eq!(hist[1].processed, 0);
    h.store.reset_stats(false, true).await.unwrap();
    let s = h.stats().await;
    assert_eq!((s.processed, s.failed), (4, 0));
    // Acknowledged jobs are gone: a dead process holding nothing recovers nothing.
    h.store.clear_heartbeat(id).await.unwrap();
    assert_eq!(h.stats().await.enqueued, 0);
    f.close().await.unwrap();
}

async fn acknowledging_a_batch_twice_counts_once(h: Harness) {
    // A batch whose reply was lost is sent again: nothing may happen twice.
    push_n(&h, "default", 2).await;
    let id = "me:1:aaaaaaaaaaaa";
    let mut f = h
        .store
        .fetcher(id, &spec(&["default"], true))
        .await
        .unwrap();
    let units = f.fetch(&[q("default")], 2, Duration::ZERO).await.unwrap();
    let failed_job = units[1].clone();
    let mut job = kiqlab::engine::job::Job::from_bytes(&failed_job.payload, 1 << 20).unwrap();
    job.set("error_message", json!("boom"));
    job.set("retry_count", json!(0));
    let batch = vec![
        Completion {
            unit: units[0].clone(),
            outcome: Outcome::Done,
            record: None,
        },
        Completion {
            unit: failed_job,
            outcome: Outcome::Retry {
                job,
                at: now_secs() + 60.0,
            },
            record: None,
        },
    ];
    h.store.complete(id, &batch, now_secs()).await.unwrap();
    h.store.complete(id, &batch, now_secs()).await.unwrap();
    let s = h.stats().await;
    assert_eq!((s.processed, s.failed, s.retries), (2, 1, 1));
    f.close().await.unwrap();
}
