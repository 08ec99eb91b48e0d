//! Redis-specific behaviour: payloads written by other clients (malformed
//! ones included) and a Redis that restarts under a running worker.

use std::time::Duration;

use kiqlab::engine::job::Job;
use kiqlab::engine::store::{Page, SetKind, SetQuery};
use redis::Commands;
use serde_json::json;

use super::harness::spec;
use super::Harness;
use crate::support::{eventually, RedisServer};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_payloads_go_dead_and_the_worker_keeps_running() {
    let Some(h) = Harness::redis().await else {
        return;
    };
    let mut con = h.redis.as_ref().unwrap().connection();
    let big = format!(
        r#"{{"class":"Record","args":["{}"]}}"#,
        "x".repeat(1_100_000)
    );
    let poison: Vec<Vec<u8>> = vec![
        b"not json at all".to_vec(),
        br#"{"args":[1]}"#.to_vec(),
        br#"{"class":"Record","args":"not an array"}"#.to_vec(),
        br#"["an","array"]"#.to_vec(),
        b"{\"class\":\"Rec\xffrd\",\"args\":[]}".to_vec(),
        big.into_bytes(),
    ];
    let mut valid = Vec::new();
    for (i, p) in poison.iter().enumerate() {
        let _: () = con.lpush("queue:default", p).unwrap();
        let jid = format!("{:024x}", i + 1);
        let ok = format!(r#"{{"class":"Record","args":[{i}],"jid":"{jid}","queue":"default"}}"#);
        let _: () = con.lpush("queue:default", ok).unwrap();
        valid.push(jid);
    }
    let _: () = con.sadd("queues", "default").unwrap();
    let launcher = h.launch(h.fast_config(2, spec(&["default"], true))).await;
    eventually(Duration::from_secs(10), "6 dead and 6 run", || async {
        let dead = h.store.set_size(SetKind::Dead).await.unwrap();
        (dead == 6 && h.ran().len() == 6).then_some(())
    })
    .await;
    let mut ran = h.ran();
    ran.sort();
    assert_eq!(ran, valid);
    for e in h
        .store
        .set_entries(&SetQuery::new(SetKind::Dead, Page::oldest(0, 10)))
        .await
        .unwrap()
    {
        let job = Job::parse(&e.raw).expect("dead entries are readable jobs");
        assert_eq!(job.error_class(), Some("Kiqlab::MalformedPayload"));
        assert!(!job.error_message().unwrap_or("").is_empty());
        assert!(job.get("payload").is_some(), "the original is kept");
    }
    // Still running: a new job is processed.
    let jid = h
        .client()
        .perform_async("Record", vec![json!(1)])
        .await
        .unwrap();
    eventually(
        Duration::from_secs(10),
        "a job after the poison",
        || async { h.ran().contains(&jid).then_some(()) },
    )
    .await;
    launcher.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn worker_survives_a_redis_restart() {
    let Some(mut redis) =
        RedisServer::start_with(&["--appendonly", "yes", "--appendfsync", "always"])
    else {
        return;
    };
    let url = redis.url();
    let store =
        kiqlab::engine::store::open(&kiqlab::engine::store::url::StoreUrl::parse(&url).unwrap())
            .await
            .unwrap();
    let h = Harness::from_store(store, url);
    let first = h
        .client()
        .push_bulk("Record", vec![vec![]; 50], &Default::default())
        .await
        .unwrap();
    let launcher = h.launch(h.fast_config(4, spec(&["default"], true))).await;
    eventually(Duration::from_secs(10), "first batch", || async {
        (h.ran().len() >= 50).then_some(())
    })
    .await;
    tokio::task::block_in_place(|| redis.restart());
    // The client reconnects too.
    let second = eventually(Duration::from_secs(20), "pushing after restart", || async {
        h.client()
            .push_bulk("Record", vec![vec![]; 50], &Default::default())
            .await
            .ok()
    })
    .await;
    eventually(
        Duration::from_secs(30),
        "second batch after reconnect",
        || async {
            let ran = h.ran();
            second.iter().all(|j| ran.contains(j)).then_some(())
        },
    )
    .await;
    launcher.stop().await;
    let ran = h.ran();
    assert!(first.iter().chain(second.iter()).all(|j| ran.contains(j)));
    let s = h.stats().await;
    assert_eq!(s.enqueued, 0);
    drop(redis);
}
