//! Queues driven by hand: pushes come out first in first out and byte for
//! byte, fetch drains queues in the order asked (and only the fetcher's),
//! requeues go back in front in their order, and queues report their size,
//! latency and pages (once SQLite-only tests; the same on both stores).

use std::time::Duration;

use kiqlab::engine::store::{Page, Removal};

use super::fixtures::{args_of, job};
use super::harness::{q, spec};
use super::{store_test, Harness};

store_test!(
    pushed_jobs_come_out_first_in_first_out_byte_for_byte,
    fetch_drains_queues_in_the_order_given,
    queues_outside_the_fetchers_spec_are_ignored,
    requeue_puts_jobs_back_at_the_front_in_their_order,
    queues_report_size_latency_and_pages,
    an_emptied_queue_stays_listed,
);

/// 2023-11-14 22:13:20 UTC.
const NOW: f64 = 1_700_000_000.0;

async fn pushed_jobs_come_out_first_in_first_out_byte_for_byte(h: Harness) {
    let store = &h.store;
    let jobs: Vec<_> = (0..5).map(|i| job("default", i, NOW)).collect();
    store.push(&jobs[..2]).await.unwrap();
    store.push(&jobs[2..]).await.unwrap();
    let mut f = store
        .fetcher("w:1:a", &spec(&["default"], true))
        .await
        .unwrap();
    let got = f.fetch(&[q("default")], 3, Duration::ZERO).await.unwrap();
    assert_eq!(args_of(&got), vec![0, 1, 2]);
    assert_eq!(got[0].payload.as_ref(), jobs[0].to_json().as_bytes());
    assert_eq!(got[0].queue, q("default"));
    let rest = f.fetch(&[q("default")], 10, Duration::ZERO).await.unwrap();
    assert_eq!(args_of(&rest), vec![3, 4]);
    assert!(f
        .fetch(&[q("default")], 10, Duration::ZERO)
        .await
        .unwrap()
        .is_empty());
    f.close().await.unwrap();
}

async fn fetch_drains_queues_in_the_order_given(h: Harness) {
    let store = &h.store;
    let mut jobs = vec![job("low", 100, NOW), job("low", 101, NOW)];
    jobs.extend((0..3).map(|i| job("high", i, NOW)));
    store.push(&jobs).await.unwrap();
    let mut f = store
        .fetcher("w:1:a", &spec(&["high", "low"], true))
        .await
        .unwrap();
    let order = [q("high"), q("low")];
    let got = f.fetch(&order, 4, Duration::ZERO).await.unwrap();
    assert_eq!(args_of(&got), vec![0, 1, 2, 100]);
    assert_eq!(got[3].queue, q("low"));
    // Low first this time (as a weighted shuffle may ask).
    store.push(&[job("high", 3, NOW)]).await.unwrap();
    let got = f
        .fetch(&[q("low"), q("high")], 2, Duration::ZERO)
        .await
        .unwrap();
    assert_eq!(args_of(&got), vec![101, 3]);
    f.close().await.unwrap();
}

async fn queues_outside_the_fetchers_spec_are_ignored(h: Harness) {
    h.store.push(&[job("other", 1, NOW)]).await.unwrap();
    let mut f = h
        .store
        .fetcher("w:1:a", &spec(&["default"], true))
        .await
        .unwrap();
    let got = f.fetch(&[q("other")], 5, Duration::ZERO).await.unwrap();
    assert!(got.is_empty());
    assert_eq!(h.store.queues(NOW).await.unwrap()[0].size, 1);
    f.close().await.unwrap();
}

async fn requeue_puts_jobs_back_at_the_front_in_their_order(h: Harness) {
    let store = &h.store;
    let jobs: Vec<_> = (0..6).map(|i| job("default", i, NOW)).collect();
    store.push(&jobs).await.unwrap();
    let mut f = store
        .fetcher("w:1:a", &spec(&["default"], true))
        .await
        .unwrap();
    let held = f.fetch(&[q("default")], 3, Duration::ZERO).await.unwrap();
    assert_eq!(args_of(&held), vec![0, 1, 2]);
    store.push(&[job("default", 6, NOW)]).await.unwrap();
    store.requeue("w:1:a", held.clone()).await.unwrap();
    // Requeuing what another process holds (or nothing) changes nothing.
    store.requeue("w:2:b", held).await.unwrap();
    let mut g = store
        .fetcher("w:3:c", &spec(&["default"], true))
        .await
        .unwrap();
    let all = g.fetch(&[q("default")], 100, Duration::ZERO).await.unwrap();
    assert_eq!(args_of(&all), vec![0, 1, 2, 3, 4, 5, 6]);
    // A second round: hold the head again, and requeue it after a requeue.
    store.requeue("w:3:c", all[4..].to_vec()).await.unwrap();
    store.requeue("w:3:c", all[..2].to_vec()).await.unwrap();
    let again = g.fetch(&[q("default")], 100, Duration::ZERO).await.unwrap();
    assert_eq!(args_of(&again), vec![0, 1, 4, 5, 6]);
    f.close().await.unwrap();
    g.close().await.unwrap();
}

async fn queues_report_size_latency_and_pages(h: Harness) {
    let store = &h.store;
    let jobs: Vec<_> = (0..5).map(|i| job("default", i, NOW + i as f64)).collect();
    store.push(&jobs).await.unwrap();
    store.push(&[job("mail", 9, NOW)]).await.unwrap();
    let qs = store.queues(NOW + 10.0).await.unwrap();
    assert_eq!(qs.len(), 2);
    assert_eq!((qs[0].name.as_str(), qs[0].size), ("default", 5));
    assert_eq!(qs[0].latency_s, 10.0);
    assert_eq!((qs[1].name.as_str(), qs[1].size), ("mail", 1));
    let page = store
        .queue_jobs(&q("default"), Page::oldest(1, 2))
        .await
        .unwrap();
    let args: Vec<i64> = page
        .iter()
        .map(|j| j.job.as_ref().unwrap().args()[0].as_i64().unwrap())
        .collect();
    assert_eq!(args, vec![1, 2]);
    let newest = store
        .queue_jobs(&q("default"), Page::newest(0, 2))
        .await
        .unwrap();
    assert_eq!(newest[0].raw, jobs[4].to_json());
    // Delete one by its exact payload, then clear the queue.
    let first = jobs[0].to_json();
    assert_eq!(
        store.delete_queued(&q("default"), &first).await.unwrap(),
        Removal::Removed(())
    );
    assert_eq!(
        store.delete_queued(&q("default"), &first).await.unwrap(),
        Removal::NotFound
    );
    let qs = store.queues(NOW + 10.0).await.unwrap();
    assert_eq!((qs[0].size, qs[0].latency_s), (4, 9.0));
    assert_eq!(store.clear_queue(&q("default")).await.unwrap(), 4);
    let names: Vec<String> = store
        .queues(NOW)
        .await
        .unwrap()
        .iter()
        .map(|s| s.name.to_string())
        .collect();
    assert_eq!(names, vec!["mail"]);
}

async fn an_emptied_queue_stays_listed(h: Harness) {
    h.store.push(&[job("default", 1, NOW)]).await.unwrap();
    let mut f = h
        .store
        .fetcher("w:1:a", &spec(&["default"], true))
        .await
        .unwrap();
    assert_eq!(
        f.fetch(&[q("default")], 5, Duration::ZERO)
            .await
            .unwrap()
            .len(),
        1
    );
    let qs = h.store.queues(NOW).await.unwrap();
    assert_eq!((qs.len(), qs[0].size, qs[0].latency_s), (1, 0, 0.0));
    assert_eq!(h.store.stats(NOW).await.unwrap().enqueued, 0);
    f.close().await.unwrap();
}
