//! Poison input: malformed entries pushed straight into `queue:default` by a
//! foreign client, interleaved with valid jobs.

use std::time::Duration;

use kiqlab::engine::job::Job;
use kiqlab::engine::store::{Page, SetKind, SetQuery};
use redis::Commands;

use crate::engine::Harness;
use crate::support::{count_messages, eventually, temp_dir, WorkerProc};

fn malformed(i: usize) -> Vec<u8> {
    match i % 100 {
        // Ten payloads over the 1 MiB limit.
        0 => format!(
            r#"{{"class":"DemoWorker","args":[0,"{}"]}}"#,
            "m".repeat(1_100_000)
        )
        .into_bytes(),
        _ => match i % 4 {
            0 => format!("{{not json {i}").into_bytes(),
            1 => format!(r#"{{"args":[0,"no class {i}"]}}"#).into_bytes(),
            2 => format!(r#"{{"class":"DemoWorker","args":"not an array {i}"}}"#).into_bytes(),
            _ => {
                let mut v =
                    format!(r#"{{"class":"DemoWorker","args":[0,"bad utf8 {i} "#).into_bytes();
                v.extend_from_slice(b"\xff\xfe\"]}");
                v
            }
        },
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_malformed_entries_go_dead_with_reasons() {
    let Some(h) = Harness::redis().await else {
        return;
    };
    let mut con = h.redis.as_ref().unwrap().connection();
    for i in 0..1000 {
        let _: () = con.lpush("queue:default", malformed(i)).unwrap();
        let valid = format!(
            r#"{{"retry":true,"queue":"default","args":[0,"valid-{i}"],"class":"DemoWorker","jid":"{:024x}","created_at":1795618640.6}}"#,
            i + 1
        );
        let _: () = con.lpush("queue:default", valid).unwrap();
    }
    let _: () = con.sadd("queues", "default").unwrap();
    let dir = temp_dir();
    let mut w = WorkerProc::start(&h.url, &["-c", "10"], &dir.path().join("w.log"));
    eventually(
        Duration::from_secs(120),
        "2,000 entries handled",
        || async {
            let s = h.stats().await;
            (s.processed >= 2000 && s.enqueued == 0).then_some(())
        },
    )
    .await;
    assert!(w.is_running(), "the worker stayed up");
    let (status, _) = w.term();
    assert!(status.success());
    let s = h.stats().await;
    assert_eq!(
        (s.processed, s.failed, s.dead, s.retries),
        (2000, 1000, 1000, 0)
    );
    let valid = count_messages(&[w.log_text()], "valid-");
    assert_eq!(valid.len(), 1000, "every valid job ran");
    let mut reasons = std::collections::BTreeMap::<String, usize>::new();
    for e in h
        .store
        .set_entries(&SetQuery::new(SetKind::Dead, Page::oldest(0, 2000)))
        .await
        .unwrap()
    {
        let job = Job::parse(&e.raw).expect("each dead entry is a readable job");
        assert_eq!(job.error_class(), Some("Kiqlab::MalformedPayload"));
        let msg = job.error_message().unwrap().to_owned();
        let kind = msg.split(':').next().unwrap().to_owned();
        *reasons.entry(kind).or_default() += 1;
        assert!(job.get("payload").is_some());
    }
    eprintln!("dead reasons: {reasons:?}");
    assert_eq!(reasons.values().sum::<usize>(), 1000);
    assert!(reasons.keys().any(|k| k.contains("UTF-8")));
    assert!(reasons.keys().any(|k| k.contains("limit")));
    assert!(reasons.keys().any(|k| k.contains("class")));
    assert!(reasons.keys().any(|k| k.contains("array")));
    assert!(reasons.keys().any(|k| k.contains("JSON")));
}
