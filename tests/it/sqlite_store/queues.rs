//! A fetch cancelled while it claims (a worker's fetch timing out, a
//! shutdown) strands nothing: the writer thread puts back what the
//! cancelled claim took. On Redis the same case is a lost reply, which the
//! manager's sweep handles (`engine::recovery`).

use std::collections::HashSet;
use std::time::Duration;

use kiqlab::engine::store::prelude::*;
use kiqlab::engine::store::Signal;

use super::{args_of, fresh, job, q, spec};

const NOW: f64 = 1_700_000_000.0;

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
    store.signal("w:1:a", &Signal::parse("noop")).await.unwrap();
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
