//! A manual throughput measurement, not a test (numbers depend on the
//! machine and the build profile): bulk push, then fetch + complete in
//! batches by a few workers, as `kiqlab worker` does.
//!
//! `cargo test --test it throughput -- --ignored --nocapture`
//! (`KIQLAB_BENCH_JOBS` sets the job count, default 100000.)

use std::time::{Duration, Instant};

use kiqlab::engine::clock::now_secs;
use kiqlab::engine::store::prelude::*;
use kiqlab::engine::store::{Completion, Outcome, RunOutcome};

use super::{fresh, job, q, record, spec};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement; run by hand"]
async fn push_then_fetch_and_complete_in_batches() {
    let n: usize = std::env::var("KIQLAB_BENCH_JOBS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let (store, _dir) = fresh().await;
    let now = now_secs();
    let jobs: Vec<_> = (0..n as i64).map(|i| job("default", i, now)).collect();
    let start = Instant::now();
    let bytes: usize = jobs.iter().map(|j| j.to_json().len()).sum();
    println!(
        "(serialising {n} payloads, {} bytes, alone takes {:?})",
        bytes,
        start.elapsed()
    );
    let start = Instant::now();
    store.push(&jobs).await.unwrap();
    let push = start.elapsed();
    println!(
        "push: {n} jobs in one call: {push:?} ({:.0} jobs/s)",
        n as f64 / push.as_secs_f64()
    );

    let start = Instant::now();
    let workers = 2;
    let mut tasks = Vec::new();
    for w in 0..workers {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let identity = format!("bench:{w}:x");
            let mut f = store
                .fetcher(&identity, &spec(&["default"], true))
                .await
                .unwrap();
            let mut done = 0usize;
            loop {
                let got = f.fetch(&[q("default")], 100, Duration::ZERO).await.unwrap();
                if got.is_empty() {
                    return done;
                }
                done += got.len();
                let t = now_secs();
                let batch: Vec<Completion> = got
                    .iter()
                    .map(|u| Completion {
                        unit: u.clone(),
                        outcome: Outcome::Done,
                        record: Some(record(u, RunOutcome::Done, t)),
                    })
                    .collect();
                store.complete(&identity, &batch, t).await.unwrap();
            }
        }));
    }
    let mut total = 0;
    for t in tasks {
        total += t.await.unwrap();
    }
    let took = start.elapsed();
    assert_eq!(total, n);
    println!(
        "fetch+complete: {n} jobs, {workers} workers, batches of 100: {took:?} ({:.0} jobs/s)",
        n as f64 / took.as_secs_f64()
    );
    assert_eq!(store.stats(now_secs()).await.unwrap().processed, n as u64);
}
