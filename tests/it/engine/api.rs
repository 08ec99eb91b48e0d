//! `engine::api`'s actions on both stores: one entry and every entry go
//! through the same code, so they agree; an unreadable entry is never lost
//! by retry or kill (it stays, byte for byte, with its score), and delete
//! deletes it. Signals reach live processes, but "all" skips embedded ones.

use kiqlab::engine::api::{
    ActionOutcome, BulkOutcome, EntryKey, Page, SetAction, SetKind, SetQuery, Signal,
    SignalOutcome, SortedEntry, Target,
};
use kiqlab::engine::clock::now_secs;
use kiqlab::engine::job::{Job, Retry};
use kiqlab::engine::store::Heartbeat;
use serde_json::json;

use super::harness::q;
use super::{store_test, Harness};

store_test!(
    retry_all_keeps_unreadable_entries_in_place,
    kill_all_keeps_unreadable_entries_in_place,
    one_entry_and_all_agree_on_unreadable_entries,
    signals_go_to_live_processes_and_all_skips_embedded_ones,
);

/// Not JSON, and JSON that is not a job: both unreadable.
const JUNK: [&str; 2] = ["not json at all", r#"{"class":"X","args":"not a list"}"#];

fn failed(i: usize) -> Job {
    let mut j = Job::new("HardWorker", vec![json!(i)], q("default"), Retry::Default);
    j.set("error_message", json!(format!("boom {i}")));
    j.set("retry_count", json!(2));
    j
}

/// `n` readable entries at scores 1000…, and the junk at the lowest scores
/// (so every batch of the "all" actions meets it first).
async fn seed(h: &Harness, set: SetKind, n: usize) -> Vec<SortedEntry> {
    let entries: Vec<(f64, Job)> = (0..n).map(|i| (1000.0 + i as f64, failed(i))).collect();
    h.store.add_entries(set, &entries).await.unwrap();
    let junk: Vec<SortedEntry> = JUNK
        .iter()
        .enumerate()
        .map(|(i, raw)| SortedEntry::new(10.0 + i as f64, (*raw).to_owned()))
        .collect();
    h.store.restore_entries(set, &junk).await.unwrap();
    junk
}

/// The set's entries as (score, bytes).
async fn contents(h: &Harness, set: SetKind) -> Vec<(f64, String)> {
    h.store
        .set_entries(&SetQuery::new(set, Page::oldest(0, 10_000)))
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.score, e.raw))
        .collect()
}

fn as_kept(junk: &[SortedEntry]) -> Vec<(f64, String)> {
    junk.iter().map(|e| (e.score, e.raw.clone())).collect()
}

async fn retry_all_keeps_unreadable_entries_in_place(h: Harness) {
    // More than one batch (1,000), so the junk is met again and again.
    let junk = seed(&h, SetKind::Retry, 1200).await;
    let out = h
        .api()
        .apply_all(SetKind::Retry, SetAction::Retry)
        .await
        .unwrap();
    assert_eq!(
        out,
        BulkOutcome {
            done: 1200,
            unreadable: 2
        }
    );
    assert_eq!(contents(&h, SetKind::Retry).await, as_kept(&junk));
    let queued = h
        .store
        .queue_jobs(&q("default"), Page::oldest(0, 1))
        .await
        .unwrap();
    let job = queued[0].job.as_ref().unwrap();
    assert_eq!(job.get("retry_count"), Some(&json!(1)), "one retry back");
    assert!(job.enqueued_at().is_some());
    assert_eq!(h.stats().await.enqueued, 1200);
}

async fn kill_all_keeps_unreadable_entries_in_place(h: Harness) {
    let junk = seed(&h, SetKind::Retry, 3).await;
    let out = h
        .api()
        .apply_all(SetKind::Retry, SetAction::Kill)
        .await
        .unwrap();
    assert_eq!((out.done, out.unreadable), (3, 2));
    assert_eq!(contents(&h, SetKind::Retry).await, as_kept(&junk));
    let dead = contents(&h, SetKind::Dead).await;
    assert_eq!(dead.len(), 3);
    // Delete all deletes everything, the junk too.
    let out = h
        .api()
        .apply_all(SetKind::Retry, SetAction::Delete)
        .await
        .unwrap();
    assert_eq!((out.done, out.unreadable), (2, 0));
    assert!(contents(&h, SetKind::Retry).await.is_empty());
}

async fn one_entry_and_all_agree_on_unreadable_entries(h: Harness) {
    let api = h.api();
    let junk = seed(&h, SetKind::Schedule, 1).await;
    // An unreadable entry has no jid: its key is `<score>-`.
    let key = |e: &SortedEntry| EntryKey {
        score: e.score,
        jid: e.jid().to_owned(),
    };
    for action in [SetAction::Retry, SetAction::AddToQueue, SetAction::Kill] {
        let got = api.apply(SetKind::Schedule, &key(&junk[0]), action).await;
        assert_eq!(got.unwrap(), ActionOutcome::Unreadable, "{action:?}");
    }
    let all = api
        .apply_all(SetKind::Schedule, SetAction::AddToQueue)
        .await
        .unwrap();
    assert_eq!((all.done, all.unreadable), (1, 2));
    assert_eq!(contents(&h, SetKind::Schedule).await, as_kept(&junk));
    assert_eq!(contents(&h, SetKind::Dead).await, vec![]);
    // Delete may delete it; then it is gone.
    let got = api
        .apply(SetKind::Schedule, &key(&junk[0]), SetAction::Delete)
        .await;
    assert_eq!(got.unwrap(), ActionOutcome::Done);
    let again = api
        .apply(SetKind::Schedule, &key(&junk[0]), SetAction::Delete)
        .await;
    assert_eq!(again.unwrap(), ActionOutcome::NotFound);
    assert_eq!(contents(&h, SetKind::Schedule).await, as_kept(&junk[1..]));
    // A readable entry, one at a time.
    let job = failed(7);
    h.store
        .add_entry(SetKind::Schedule, 2000.0, &job)
        .await
        .unwrap();
    let k = EntryKey {
        score: 2000.0,
        jid: job.jid().to_owned(),
    };
    let got = api.apply(SetKind::Schedule, &k, SetAction::Kill).await;
    assert_eq!(got.unwrap(), ActionOutcome::Done);
    assert_eq!(h.store.set_size(SetKind::Dead).await.unwrap(), 1);
}

fn beat(identity: &str, embedded: bool) -> Heartbeat {
    let info = json!({"hostname": "h", "pid": 1, "identity": identity,
        "pid_space": "elsewhere", "embedded": embedded});
    Heartbeat {
        identity: identity.into(),
        info_json: info.to_string(),
        busy: 0,
        concurrency: 5,
        beat: now_secs(),
        quiet: false,
        rss_kb: 0,
        rtt_us: 0,
        work: vec![],
        ttl_secs: 60,
    }
}

async fn signals_go_to_live_processes_and_all_skips_embedded_ones(h: Harness) {
    let api = h.api();
    for (id, embedded) in [("w:1:a", false), ("w:2:b", false), ("rails:3:c", true)] {
        h.store.heartbeat(&beat(id, embedded)).await.unwrap();
    }
    let gone = Target::Process("w:9:gone".into());
    assert_eq!(
        api.signal(&gone, &Signal::Quiet).await.unwrap(),
        SignalOutcome::NoSuchProcess
    );
    let one = Target::Process("w:1:a".into());
    assert_eq!(
        api.signal(&one, &Signal::Quiet).await.unwrap(),
        SignalOutcome::Sent(1)
    );
    assert_eq!(
        api.signal(&Target::All, &Signal::Stop).await.unwrap(),
        SignalOutcome::Sent(2)
    );
    let next = |id: &'static str| {
        let h = &h;
        async move { h.store.heartbeat(&beat(id, false)).await.unwrap() }
    };
    assert_eq!(next("w:1:a").await, Some(Signal::Quiet));
    assert_eq!(next("w:1:a").await, Some(Signal::Stop));
    assert_eq!(next("w:2:b").await, Some(Signal::Stop));
    assert_eq!(next("rails:3:c").await, None, "embedded: not signalled");
}
