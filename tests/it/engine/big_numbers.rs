//! Exact numbers through the store's own rewrites, on both stores: a fetch
//! and a push-back, the poller moving due retry and scheduled entries to
//! their queue, and the API's bulk actions (kill all, retry all from the
//! retry and dead sets, add all to queue). The worker's and the dashboard's
//! single-entry paths are in `web::dashboard::big_numbers`.

use std::time::Duration;

use kiqlab::engine::api::SetAction;
use kiqlab::engine::clock::now_secs;
use kiqlab::engine::job::Job;
use kiqlab::engine::store::{EncodedJob, Page, SetKind, SetQuery};

use super::harness::{q, spec};
use super::{store_test, Harness};

store_test!(big_numbers_survive_the_poller_push_back_and_bulk_actions);

const ARGS: &str = "[18446744073709551617,-170141183460469231731687303715884105729,1.5e+300,0.1]";

fn raw(jid: &str) -> String {
    format!(
        r#"{{"retry":true,"queue":"default","args":{ARGS},"class":"Any","jid":"{jid}","created_at":1795617752.0111961,"bid":{{"n":123456789012345678901234567890}},"retry_count":3}}"#
    )
}

fn job(jid: &str) -> Job {
    Job::parse(&raw(jid)).expect("a job")
}

/// Every queued payload keeps the numbers' text, its own fields' too.
async fn assert_queued_exact(h: &Harness, jids: &[&str]) {
    let queued = h
        .store
        .queue_jobs(&q("default"), Page::oldest(0, 100))
        .await
        .unwrap();
    let mut found: Vec<String> = Vec::new();
    for j in &queued {
        assert!(j.raw.contains(&format!(r#""args":{ARGS}"#)), "{}", j.raw);
        assert!(
            j.raw.contains(
                r#""created_at":1795617752.0111961,"bid":{"n":123456789012345678901234567890}"#
            ),
            "{}",
            j.raw
        );
        found.push(j.job.as_ref().unwrap().jid().to_owned());
    }
    found.sort();
    assert_eq!(found, jids, "the queue");
    h.store.clear_queue(&q("default")).await.unwrap();
}

async fn big_numbers_survive_the_poller_push_back_and_bulk_actions(h: Harness) {
    let api = h.api();
    // Pushed as raw text, fetched, pushed back (a stop's requeue).
    h.store
        .push_encoded(&[EncodedJob {
            queue: q("default"),
            jid: "b00000000000000000000001".into(),
            payload: raw("b00000000000000000000001"),
            at: None,
        }])
        .await
        .unwrap();
    let mut f = h
        .store
        .fetcher("w:1:big", &spec(&["default"], true))
        .await
        .unwrap();
    let units = f.fetch(&[q("default")], 10, Duration::ZERO).await.unwrap();
    assert_eq!(units.len(), 1);
    let text = String::from_utf8(units[0].payload.to_vec()).unwrap();
    assert!(text.contains(ARGS), "fetched: {text}");
    h.store.requeue("w:1:big", units).await.unwrap();
    assert_queued_exact(&h, &["b00000000000000000000001"]).await;

    // Due entries of the retry and schedule sets, moved by the poller.
    let now = now_secs();
    h.store
        .add_entries(
            SetKind::Retry,
            &[(now - 10.0, job("b00000000000000000000002"))],
        )
        .await
        .unwrap();
    h.store
        .add_entries(
            SetKind::Schedule,
            &[(now - 5.0, job("b00000000000000000000003"))],
        )
        .await
        .unwrap();
    assert_eq!(h.store.enqueue_due(now).await.unwrap(), 2);
    assert_queued_exact(
        &h,
        &["b00000000000000000000002", "b00000000000000000000003"],
    )
    .await;

    // Kill all, then retry all from the dead set.
    let later = now + 3600.0;
    h.store
        .add_entries(SetKind::Retry, &[(later, job("b00000000000000000000004"))])
        .await
        .unwrap();
    assert_eq!(
        api.apply_all(SetKind::Retry, SetAction::Kill)
            .await
            .unwrap()
            .done,
        1
    );
    let dead = h
        .store
        .set_entries(&SetQuery::new(SetKind::Dead, Page::oldest(0, 10)))
        .await
        .unwrap();
    assert_eq!(dead.len(), 1);
    assert!(dead[0].raw.contains(ARGS), "dead: {}", dead[0].raw);
    api.apply_all(SetKind::Dead, SetAction::Retry)
        .await
        .unwrap();
    assert_queued_exact(&h, &["b00000000000000000000004"]).await;

    // Retry all from the retry set, add all to queue from the schedule.
    h.store
        .add_entries(SetKind::Retry, &[(later, job("b00000000000000000000005"))])
        .await
        .unwrap();
    h.store
        .add_entries(
            SetKind::Schedule,
            &[(later, job("b00000000000000000000006"))],
        )
        .await
        .unwrap();
    api.apply_all(SetKind::Retry, SetAction::Retry)
        .await
        .unwrap();
    api.apply_all(SetKind::Schedule, SetAction::AddToQueue)
        .await
        .unwrap();
    assert_queued_exact(
        &h,
        &["b00000000000000000000005", "b00000000000000000000006"],
    )
    .await;
}
