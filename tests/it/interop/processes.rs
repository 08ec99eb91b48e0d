//! Sidekiq 7's process-cleanup lock: `ProcessSet#cleanup` prunes dead
//! processes from `processes` at most once a minute, under `SET
//! process_cleanup NX EX 60`. kiqlab should prune only when it wins that
//! lock, and take it when it does (6.4 prunes on every read: no lock).

use std::process::Command;

use super::kiqlab::kiqlab;
use super::record::{sidekiq_check, Outcome};
use super::sidekiq::{Sidekiq, Version};
use crate::support::RedisServer;

sidekiq_check!(
    cleanup_lock_honoured,
    "Sidekiq 7+'s process_cleanup lock: kiqlab prunes dead processes only when it wins the lock, and takes it",
    sidekiq_6_4,
    sidekiq_7_3,
    sidekiq_8_1,
);

fn members(redis: &RedisServer) -> Vec<String> {
    let mut con = redis.connection();
    let mut m: Vec<String> = redis::cmd("SMEMBERS")
        .arg("processes")
        .query(&mut con)
        .unwrap();
    m.sort();
    m
}

async fn cleanup_lock_honoured(sk: Sidekiq, redis: RedisServer) -> Outcome {
    if sk.version == Version::V6_4 {
        return Outcome::NotApplicable("Sidekiq 6.4 prunes on every read, without a lock");
    }
    let url = redis.url();
    let redis_cli = |args: &[&str]| {
        let out = Command::new("redis-cli")
            .args(["-p", &redis.port().to_string()])
            .args(args)
            .output()
            .expect("redis-cli");
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    };
    // Ruby prunes a dead process and so takes the lock for a minute…
    redis_cli(&["SADD", "processes", "ghost:1:aaaaaaaaaaaa"]);
    let out = sk.ruby("sidekiq_actions.rb", &[&url, "cleanup"]);
    assert_eq!(out["cleaned"], 1, "Ruby's cleanup pruned the ghost");
    assert_eq!(redis_cli(&["EXISTS", "process_cleanup"]), "1");
    // …so kiqlab, reading processes within that minute, leaves the next one.
    redis_cli(&["SADD", "processes", "ghost:2:bbbbbbbbbbbb"]);
    kiqlab(&["stats", "--store", &url]);
    assert_eq!(
        members(&redis),
        vec!["ghost:2:bbbbbbbbbbbb"],
        "lock held: no prune"
    );
    // Once the lock is gone kiqlab prunes, and takes the lock itself.
    redis_cli(&["DEL", "process_cleanup"]);
    kiqlab(&["stats", "--store", &url]);
    assert!(members(&redis).is_empty(), "kiqlab pruned the ghost");
    let ttl: i64 = redis_cli(&["TTL", "process_cleanup"]).parse().unwrap_or(-2);
    assert!((1..=60).contains(&ttl), "kiqlab took the lock (TTL {ttl})");
    Outcome::Pass
}
