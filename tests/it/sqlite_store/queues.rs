//! Push, fetch order, claims, requeue, queue pages and queue actions.

use std::collections::HashSet;
use std::time::Duration;

use kiqlab::engine::store::Store;

use super::{args_of, fresh, job, q, spec};

const NOW: f64 = 1_700_000_000.0;

#[tokio::test]
async fn pushed_jobs_come_out_first_in_first_out_byte_for_byte() {
    let (store, _dir) = fresh().await;
    let jobs: Vec<_> = (0..5).map(|i| job("default", i, NOW)).collect();
    store.push(&jobs[..2]).await.unwrap();
    store.push(&jobs[2..]).await.unwrap();
    let mut f = store
        .fetcher("w:1:a", &spec(&["default"], true))
        .await
        .unwrap();
    let got = f.fetch(&[q("default")], 3, Duration::ZERO).await.unwrap();
    assert_eq!(args_of(&got), vec![0, 1, 2]);
    assert_eq!(got[0].raw.as_ref(), jobs[0].to_json().as_bytes());
    assert_eq!(got[0].queue, q("default"));
    assert!(got.iter().all(|u| u.id > 0));
    let rest = f.fetch(&[q("default")], 10, Duration::ZERO).await.unwrap();
    assert_eq!(args_of(&rest), vec![3, 4]);
    assert!(f
        .fetch(&[q("default")], 10, Duration::ZERO)
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn fetch_drains_queues_in_the_order_given() {
    let (store, _dir) = fresh().await;
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
}

#[tokio::test]
async fn queues_outside_the_fetchers_spec_are_ignored() {
    let (store, _dir) = fresh().await;
    store.push(&[job("other", 1, NOW)]).await.unwrap();
    let mut f = store
        .fetcher("w:1:a", &spec(&["default"], true))
        .await
        .unwrap();
    let got = f.fetch(&[q("other")], 5, Duration::ZERO).await.unwrap();
    assert!(got.is_empty());
}

#[tokio::test]
async fn two_fetchers_never_claim_the_same_job() {
    let (store, _dir) = fresh().await;
    let jobs: Vec<_> = (0..400).map(|i| job("default", i, NOW)).collect();
    store.push(&jobs).await.unwrap();
    let mut tasks = Vec::new();
    for w in 0..2 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut f = store
                .fetcher(&format!("w:{w}:x"), &spec(&["default"], true))
                .await
                .unwrap();
            let mut mine = Vec::new();
            loop {
                let got = f.fetch(&[q("default")], 7, Duration::ZERO).await.unwrap();
                if got.is_empty() {
                    return mine;
                }
                mine.extend(args_of(&got));
            }
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    assert_eq!(all.len(), 400);
    let distinct: HashSet<i64> = all.into_iter().collect();
    assert_eq!(distinct.len(), 400);
}

#[tokio::test]
async fn requeue_puts_jobs_back_at_the_front_in_their_order() {
    let (store, _dir) = fresh().await;
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
}

#[tokio::test]
async fn queues_report_size_latency_and_pages() {
    let (store, _dir) = fresh().await;
    let jobs: Vec<_> = (0..5).map(|i| job("default", i, NOW + i as f64)).collect();
    store.push(&jobs).await.unwrap();
    store.push(&[job("mail", 9, NOW)]).await.unwrap();
    let qs = store.queues(NOW + 10.0).await.unwrap();
    assert_eq!(qs.len(), 2);
    assert_eq!((qs[0].name.as_str(), qs[0].size), ("default", 5));
    assert_eq!(qs[0].latency_s, 10.0);
    assert_eq!((qs[1].name.as_str(), qs[1].size), ("mail", 1));
    let page = store.queue_jobs(&q("default"), 1, 2, false).await.unwrap();
    let args: Vec<i64> = page
        .iter()
        .map(|j| j.job.as_ref().unwrap().args()[0].as_i64().unwrap())
        .collect();
    assert_eq!(args, vec![1, 2]);
    let newest = store.queue_jobs(&q("default"), 0, 2, true).await.unwrap();
    assert_eq!(newest[0].raw, jobs[4].to_json());
    // Delete one by its exact payload, then clear the queue.
    assert!(store
        .delete_queued(&q("default"), &jobs[0].to_json())
        .await
        .unwrap());
    assert!(!store
        .delete_queued(&q("default"), &jobs[0].to_json())
        .await
        .unwrap());
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

#[tokio::test]
async fn an_emptied_queue_stays_listed() {
    let (store, _dir) = fresh().await;
    store.push(&[job("default", 1, NOW)]).await.unwrap();
    let mut f = store
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
    let qs = store.queues(NOW).await.unwrap();
    assert_eq!((qs.len(), qs[0].size, qs[0].latency_s), (1, 0, 0.0));
    let stats = store.stats(NOW).await.unwrap();
    assert_eq!(stats.enqueued, 0);
}

#[tokio::test]
async fn a_fetch_cancelled_mid_claim_strands_nothing() {
    let (store, _dir) = fresh().await;
    let jobs: Vec<_> = (0..300).map(|i| job("default", i, NOW)).collect();
    store.push(&jobs).await.unwrap();
    let mut f = store
        .fetcher("w:1:a", &spec(&["default"], true))
        .await
        .unwrap();
    let mut held = Vec::new();
    for i in 0..200u64 {
        // Timeouts from 0 to ~2 ms land before, during and after the claim.
        let budget = Duration::from_micros((i * 37) % 2000);
        if let Ok(got) =
            tokio::time::timeout(budget, f.fetch(&[q("default")], 3, Duration::ZERO)).await
        {
            held.extend(args_of(&got.unwrap()));
        }
    }
    // Any write queues behind the writer's clean-up of cancelled claims.
    store.signal("w:1:a", "noop").await.unwrap();
    let waiting = store.queues(NOW).await.unwrap()[0].size as usize;
    assert_eq!(
        held.len() + waiting,
        300,
        "held {} + waiting {waiting}",
        held.len()
    );
    let distinct: HashSet<i64> = held.iter().copied().collect();
    assert_eq!(distinct.len(), held.len());
}
