//! The worker-seconds meter: started once, added to by every process,
//! reset on request; the same on both stores.

use super::{store_test, Harness};

store_test!(usage_meter_starts_once_adds_up_and_resets);

async fn usage_meter_starts_once_adds_up_and_resets(h: Harness) {
    let s = &h.store;
    assert_eq!(s.worker_time().await.unwrap(), None);
    s.add_worker_time(0, 1_000).await.unwrap();
    s.add_worker_time(1_500, 5_000).await.unwrap();
    let other = h.reopen().await;
    other.add_worker_time(2_500, 9_000).await.unwrap();
    let t = s.worker_time().await.unwrap().unwrap();
    assert_eq!((t.since_ms, t.worker_ms), (1_000, 4_000));
    let r = kiqlab::autoscale::report(s.as_ref(), 11_000)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((r.window_s, r.used_s), (10.0, 4.0));
    s.reset_worker_time().await.unwrap();
    assert_eq!(s.worker_time().await.unwrap(), None);
    s.add_worker_time(7, 20_000).await.unwrap();
    let t = s.worker_time().await.unwrap().unwrap();
    assert_eq!((t.since_ms, t.worker_ms), (20_000, 7));
}
