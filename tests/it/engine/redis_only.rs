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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn processes_follow_sidekiq_8_fields_and_7_cleanup_lock() {
    let Some(h) = Harness::redis().await else {
        return;
    };
    let mut con = h.redis.as_ref().unwrap().connection();
    // A Sidekiq 8.1 process: concurrency only as the hash's own field,
    // queues and weights only in info.capsules.
    let info = json!({"hostname": "rb", "pid": 7, "identity": "rb:7:0123456789ab",
        "capsules": {"default": {"concurrency": 4, "mode": "weighted",
            "weights": {"critical": 3, "default": 1}}}});
    let _: () = redis::cmd("HSET")
        .arg("rb:7:0123456789ab")
        .arg("info")
        .arg(info.to_string())
        .arg("concurrency")
        .arg(4)
        .arg("busy")
        .arg(0)
        .query(&mut con)
        .unwrap();
    let _: () = con.sadd("processes", "rb:7:0123456789ab").unwrap();
    // A member whose heartbeat has expired, while another reader holds the lock.
    let _: () = con.sadd("processes", "ghost:1:aaaaaaaaaaaa").unwrap();
    let _: () = redis::cmd("SET")
        .arg("process_cleanup")
        .arg("1")
        .arg("EX")
        .arg(60)
        .query(&mut con)
        .unwrap();
    let procs = h.store.processes(0.0).await.unwrap();
    assert_eq!(procs.len(), 1, "the ghost is not listed");
    let p = &procs[0];
    assert_eq!(p.concurrency(), 4);
    assert_eq!(p.queues(), vec!["critical", "default"]);
    assert_eq!(p.weights()[0], ("critical".to_owned(), 3));
    let members: Vec<String> = con.smembers("processes").unwrap();
    assert_eq!(members.len(), 2, "lock held by another reader: no prune");
    let _: () = con.del("process_cleanup").unwrap();
    h.store.processes(0.0).await.unwrap();
    let members: Vec<String> = con.smembers("processes").unwrap();
    assert_eq!(members, vec!["rb:7:0123456789ab"], "lock won: pruned");
    let ttl: i64 = con.ttl("process_cleanup").unwrap();
    assert!((1..=60).contains(&ttl), "kiqlab holds the lock: TTL {ttl}");
}
