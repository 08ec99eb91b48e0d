//! Ruby's client pushes (perform_async, perform_in, push_bulk, set(queue:)),
//! `kiqlab worker` runs every job, and Sidekiq's API sees them done.

use std::time::Duration;

use super::record::{sidekiq_check, Outcome};
use super::sidekiq::Sidekiq;
use crate::support::{eventually, temp_dir, RedisServer, WorkerProc};

sidekiq_check!(
    ruby_pushes_run_on_kiqlab,
    "Ruby's perform_async, perform_in, push_bulk and set(queue:) run on `kiqlab worker`",
    sidekiq_6_4,
    sidekiq_7_3,
    sidekiq_8_1,
);

async fn ruby_pushes_run_on_kiqlab(sk: Sidekiq, redis: RedisServer) -> Outcome {
    let url = redis.url();
    let pushed = sk.ruby("sidekiq_push.rb", &[&url]);
    assert_eq!(sk.inspect(&url)["stats"]["enqueued"], 7);
    let dir = temp_dir();
    let log = dir.path().join("worker.log");
    let mut w = WorkerProc::start(&url, &["-q", "default", "-q", "interop", "-c", "4"], &log);
    eventually(
        Duration::from_secs(30),
        "all 8 Ruby jobs processed",
        || async {
            let s = sk.inspect(&url);
            (s["stats"]["processed"] == 8 && s["stats"]["scheduled_size"] == 0).then_some(())
        },
    )
    .await;
    let (status, _) = w.term();
    assert!(status.success());
    let s = sk.inspect(&url);
    assert_eq!(s["stats"]["failed"], 0);
    assert_eq!(s["stats"]["enqueued"], 0);
    assert_eq!(
        s["stats"]["processes_size"], 0,
        "a clean stop leaves the process set"
    );
    let text = w.log_text();
    for msg in [
        "from ruby",
        "from ruby, 1 s later",
        "set queue",
        "bulk 1",
        "bulk 5",
    ] {
        assert!(text.contains(msg), "worker log lacks {msg:?}");
    }
    for jid in pushed["push_bulk"].as_array().unwrap() {
        assert!(text.contains(jid.as_str().unwrap()), "log lacks jid {jid}");
    }
    Outcome::Pass
}
