//! Exact numbers, end to end on both stores: a job pushed as raw JSON with
//! `2**64+1`, `-(2**127)-1`, `1.5e300` and `0.1` keeps every digit through
//! a failing handler's retry, death when retries run out, "Retry Now" from
//! the retry and dead sets, "Kill" and "Add To Queue" on the dashboard over
//! HTTP, and the scheduler; a handler taking `u64` is refused with a reason.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use kiqlab::engine::clock::{now_secs, SystemClock};
use kiqlab::engine::job::Retry;
use kiqlab::engine::launcher::{Launcher, WorkerConfig};
use kiqlab::engine::queue::{QueueName, QueueSpec};
use kiqlab::engine::registry::{JobError, JobOptions, Registry};
use kiqlab::engine::store::{EncodedJob, Page, SetKind, SetQuery, SortedEntry};

use super::harness::{dash_test, Dash};
use crate::support::eventually;

dash_test!(big_numbers_survive_every_rewrite);

/// As pushed (the exponent without a sign, as a non-Ruby client may write it).
const ARGS_IN: &str = "[18446744073709551617,-170141183460469231731687303715884105729,1.5e300,0.1]";
/// As kept: every digit; the exponent gets its sign, as Ruby writes it.
const ARGS: &str = "[18446744073709551617,-170141183460469231731687303715884105729,1.5e+300,0.1]";

kiqlab::job_args! {
    struct Counter {
        n: u64,
    }
}

fn q() -> QueueName {
    QueueName::default_queue()
}

/// A payload written by hand, not through `Job`, so nothing is parsed first.
fn raw_job(class: &str, jid: &str, retry: &str, args: &str) -> EncodedJob {
    EncodedJob {
        queue: q(),
        jid: jid.to_owned(),
        payload: format!(
            r#"{{"retry":{retry},"queue":"default","args":{args},"class":"{class}","jid":"{jid}","created_at":1795617752.0111961}}"#
        ),
        at: None,
    }
}

/// The `args` of a stored payload, as the text it holds.
fn args_text(raw: &str) -> String {
    let i = raw.find(r#""args":"#).expect("args in the payload") + 7;
    let end = raw[i..].find(']').expect("end of args") + i + 1;
    raw[i..end].to_owned()
}

/// `BigFail` records the arguments it was given (as JSON text) and fails;
/// `BigOk` records them and succeeds; `Counter` takes one `u64`.
fn registry(seen: Arc<Mutex<Vec<(String, String)>>>) -> Registry {
    let mut r = Registry::new();
    let s = seen.clone();
    r.register("BigFail", JobOptions::default(), move |ctx| {
        let s = s.clone();
        async move {
            let args = serde_json::to_string(ctx.args()).unwrap_or_default();
            s.lock().unwrap().push((ctx.jid().to_owned(), args));
            Err(JobError::runtime("always fails"))
        }
    });
    r.register("BigOk", JobOptions::default(), move |ctx| {
        let s = seen.clone();
        async move {
            let args = serde_json::to_string(ctx.args()).unwrap_or_default();
            s.lock().unwrap().push((ctx.jid().to_owned(), args));
            Ok(())
        }
    });
    struct CounterJob;
    impl kiqlab::engine::job_class::JobClass for CounterJob {
        const NAME: &'static str = "Counter";
        type Args = Counter;
        fn options() -> JobOptions {
            JobOptions {
                queue: QueueName::default_queue(),
                retry: Retry::Count(0),
            }
        }
    }
    r.register_class::<CounterJob, _, _>(|_ctx, _args: Counter| async { Ok(()) });
    r
}

async fn launch(d: &Dash, seen: &Arc<Mutex<Vec<(String, String)>>>) -> Launcher {
    let config = WorkerConfig {
        concurrency: 2,
        queues: QueueSpec::new(vec!["default".parse().unwrap()], true).unwrap(),
        timeout: Duration::from_secs(3),
        name: Some("big-numbers".into()),
        poll_interval: Some(0.05),
        heartbeat_interval: Duration::from_millis(100),
        recovery_interval: Duration::from_millis(200),
        ..WorkerConfig::default()
    };
    Launcher::start(
        d.store.clone(),
        Arc::new(registry(seen.clone())),
        Arc::new(SystemClock),
        config,
    )
    .await
    .unwrap()
}

async fn entry(d: &Dash, set: SetKind, jid: &str) -> SortedEntry {
    eventually(
        Duration::from_secs(20),
        &format!("{jid} in {set:?}"),
        || async {
            d.store
                .set_entries(&SetQuery::new(set, Page::oldest(0, 100)))
                .await
                .ok()?
                .into_iter()
                .find(|e| e.jid() == jid)
        },
    )
    .await
}

async fn queued_raw(d: &Dash, jid: &str) -> String {
    d.store
        .queue_jobs(&q(), Page::oldest(0, 100))
        .await
        .unwrap()
        .into_iter()
        .find(|j| j.job.as_ref().is_some_and(|j| j.jid() == jid))
        .unwrap_or_else(|| panic!("{jid} in the queue"))
        .raw
}

fn runs(seen: &Arc<Mutex<Vec<(String, String)>>>, jid: &str) -> Vec<String> {
    let seen = seen.lock().unwrap();
    seen.iter()
        .filter(|(j, _)| j == jid)
        .map(|(_, a)| a.clone())
        .collect()
}

async fn big_numbers_survive_every_rewrite(d: Dash) {
    let (retried, killed, counter) = (
        "a00000000000000000000001",
        "a00000000000000000000002",
        "a00000000000000000000003",
    );
    let (scheduled, added) = ("a00000000000000000000004", "a00000000000000000000005");
    let seen = Arc::new(Mutex::new(Vec::new()));
    let mut later = raw_job("BigOk", scheduled, "true", ARGS_IN);
    later.at = Some(now_secs() + 0.3);
    let mut far = raw_job("BigOk", added, "true", ARGS_IN);
    far.at = Some(now_secs() + 3600.0);
    d.store
        .push_encoded(&[
            raw_job("BigFail", retried, "1", ARGS_IN),
            raw_job("BigFail", killed, "0", ARGS_IN),
            raw_job("Counter", counter, "0", "[18446744073709551617]"),
            later,
            far,
        ])
        .await
        .unwrap();

    // The worker: a retry, a death (no retries left), a refusal, the scheduler.
    let worker = launch(&d, &seen).await;
    let r = entry(&d, SetKind::Retry, retried).await;
    assert_eq!(args_text(&r.raw), ARGS, "retry set: {}", r.raw);
    assert!(r.raw.contains(r#""created_at":1795617752.0111961"#));
    let k = entry(&d, SetKind::Dead, killed).await;
    assert_eq!(args_text(&k.raw), ARGS, "dead set: {}", k.raw);
    let c = entry(&d, SetKind::Dead, counter).await;
    let job = c.job.as_ref().unwrap();
    assert_eq!(job.error_class(), Some("ArgumentError"));
    assert_eq!(
        job.error_message(),
        Some("argument 1 (n): 18446744073709551617 does not fit in u64")
    );
    assert_eq!(args_text(&c.raw), "[18446744073709551617]");
    eventually(Duration::from_secs(20), "the scheduled job ran", || async {
        (!runs(&seen, scheduled).is_empty()).then_some(())
    })
    .await;
    worker.stop().await;
    for jid in [retried, killed, scheduled] {
        assert_eq!(runs(&seen, jid), vec![ARGS.to_owned()], "{jid}'s handler");
    }

    // The dashboard, with no worker running so the queue can be read.
    let mut b = d.admin().await;
    b.get("/sidekiq/retries").await;
    let (s, _) = b
        .post(
            "/sidekiq/retries",
            &[("key[]", &r.key().to_string()), ("action", "retry")],
        )
        .await;
    assert_eq!(s, 303);
    assert_eq!(args_text(&queued_raw(&d, retried).await), ARGS, "retry now");
    let path = format!("/sidekiq/morgue/{}", k.key());
    b.get(&path).await;
    let (s, _) = b.post(&path, &[("action", "retry")]).await;
    assert_eq!(s, 303);
    assert_eq!(args_text(&queued_raw(&d, killed).await), ARGS, "dead retry");
    let f = entry(&d, SetKind::Schedule, added).await;
    b.get("/sidekiq/scheduled").await;
    let (s, _) = b
        .post(
            "/sidekiq/scheduled",
            &[("key[]", &f.key().to_string()), ("action", "add_to_queue")],
        )
        .await;
    assert_eq!(s, 303);
    assert_eq!(
        args_text(&queued_raw(&d, added).await),
        ARGS,
        "add to queue"
    );

    // Run them again: the handlers see the same digits; then Kill.
    let worker = launch(&d, &seen).await;
    let r = eventually(Duration::from_secs(20), "the second failure", || async {
        let e = entry(&d, SetKind::Retry, retried).await;
        (runs(&seen, retried).len() == 2).then_some(e)
    })
    .await;
    entry(&d, SetKind::Dead, killed).await;
    eventually(Duration::from_secs(20), "the added job ran", || async {
        (!runs(&seen, added).is_empty()).then_some(())
    })
    .await;
    worker.stop().await;
    for jid in [retried, killed] {
        assert_eq!(runs(&seen, jid), vec![ARGS.to_owned(); 2], "{jid}");
    }
    assert_eq!(runs(&seen, added), vec![ARGS.to_owned()]);
    b.get("/sidekiq/retries").await;
    let (s, _) = b
        .post(
            "/sidekiq/retries",
            &[("key[]", &r.key().to_string()), ("kill", "Kill")],
        )
        .await;
    assert_eq!(s, 303);
    let dead = entry(&d, SetKind::Dead, retried).await;
    assert_eq!(args_text(&dead.raw), ARGS, "killed: {}", dead.raw);
    d.stop().await;
}
