//! Sorted sets as Sidekiq::Web uses them: paging, filtering, finding an entry
//! by `<score>-<jid>`, the dead set's size and age limits.

use kiqlab::engine::clock::now_secs;
use kiqlab::engine::job::{Job, Retry};
use kiqlab::engine::store::{EntryKey, Page, Removal, SetKind, SetQuery};
use serde_json::json;

use super::harness::q;
use super::{store_test, Harness};

store_test!(
    set_paging_filter_and_take,
    dead_set_is_trimmed_by_count_and_age,
    clear_set_and_delete_queued,
);

fn job(i: usize) -> Job {
    Job::new(
        "Kind",
        vec![json!(format!("arg-{i}"))],
        q("default"),
        Retry::Default,
    )
}

async fn set_paging_filter_and_take(h: Harness) {
    for i in 0..30 {
        h.store
            .add_entry(SetKind::Retry, 1000.0 + i as f64, &job(i))
            .await
            .unwrap();
    }
    assert_eq!(h.store.set_size(SetKind::Retry).await.unwrap(), 30);
    let page = h
        .store
        .set_entries(&SetQuery::new(SetKind::Retry, Page::oldest(25, 25)))
        .await
        .unwrap();
    assert_eq!(page.len(), 5);
    assert_eq!(page[0].score, 1025.0);
    let newest = h
        .store
        .set_entries(&SetQuery::new(SetKind::Retry, Page::newest(0, 2)))
        .await
        .unwrap();
    assert_eq!(newest[0].score, 1029.0);
    let found = h
        .store
        .set_entries(&SetQuery::new(SetKind::Retry, Page::oldest(0, 25)).matching(Some("arg-1")))
        .await
        .unwrap();
    // arg-1, arg-10 … arg-19
    assert_eq!(found.len(), 11);
    let none = h
        .store
        .set_entries(&SetQuery::new(SetKind::Retry, Page::oldest(0, 25)).matching(Some("*[?")))
        .await
        .unwrap();
    assert!(none.is_empty());

    let target = &page[2];
    let key = EntryKey::parse(&target.key().to_string()).unwrap();
    let taken = h
        .store
        .take_entry(SetKind::Retry, &key)
        .await
        .unwrap()
        .into_option()
        .unwrap();
    assert_eq!(taken.raw, target.raw);
    assert!(matches!(
        h.store.take_entry(SetKind::Retry, &key).await.unwrap(),
        Removal::NotFound
    ));
    let wrong = EntryKey {
        score: key.score,
        jid: "ffffffffffffffffffffffff".into(),
    };
    assert!(matches!(
        h.store.take_entry(SetKind::Retry, &wrong).await.unwrap(),
        Removal::NotFound
    ));
    assert_eq!(h.store.set_size(SetKind::Retry).await.unwrap(), 29);
}

async fn dead_set_is_trimmed_by_count_and_age(h: Harness) {
    let now = now_secs();
    // One entry older than 180 days, dropped at the next addition.
    h.store
        .add_entry(SetKind::Dead, now - 181.0 * 86_400.0, &job(0))
        .await
        .unwrap();
    h.store
        .add_entry(SetKind::Dead, now - 1.0, &job(1))
        .await
        .unwrap();
    assert_eq!(h.store.set_size(SetKind::Dead).await.unwrap(), 1);
    for i in 0..10_005 {
        h.store
            .add_entry(SetKind::Dead, now + i as f64 / 1000.0, &job(i + 2))
            .await
            .unwrap();
    }
    assert_eq!(h.store.set_size(SetKind::Dead).await.unwrap(), 10_000);
    // The newest are kept.
    let oldest = h
        .store
        .set_entries(&SetQuery::new(SetKind::Dead, Page::oldest(0, 1)))
        .await
        .unwrap();
    assert_eq!(oldest[0].job.as_ref().unwrap().args()[0], json!("arg-7"));
}

async fn clear_set_and_delete_queued(h: Harness) {
    for i in 0..3 {
        h.store
            .add_entry(SetKind::Schedule, now_secs() + 100.0, &job(i))
            .await
            .unwrap();
    }
    assert_eq!(h.store.clear_set(SetKind::Schedule).await.unwrap(), 3);
    assert_eq!(h.store.set_size(SetKind::Schedule).await.unwrap(), 0);
    h.client()
        .perform_async("NoopWorker", vec![json!(1)])
        .await
        .unwrap();
    h.client()
        .perform_async("NoopWorker", vec![json!(2)])
        .await
        .unwrap();
    let jobs = h
        .store
        .queue_jobs(&q("default"), Page::oldest(0, 10))
        .await
        .unwrap();
    assert_eq!(
        h.store
            .delete_queued(&q("default"), &jobs[0].raw)
            .await
            .unwrap(),
        Removal::Removed(())
    );
    assert_eq!(
        h.store
            .delete_queued(&q("default"), &jobs[0].raw)
            .await
            .unwrap(),
        Removal::NotFound
    );
    let left = h
        .store
        .queue_jobs(&q("default"), Page::oldest(0, 10))
        .await
        .unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].raw, jobs[1].raw);
}
