//! Exact numbers (issue 14): Ruby's client pushes `2**64+1`, `-(2**127)-1`,
//! `1.5e300` and `0.1`; `kiqlab worker` fails the job into the retry set
//! (rewriting the payload); Sidekiq's API reads back the same Ruby values.

use std::time::Duration;

use super::record::{sidekiq_check, Outcome};
use super::sidekiq::Sidekiq;
use crate::support::{eventually, temp_dir, RedisServer, WorkerProc};

sidekiq_check!(
    big_numbers_survive_a_kiqlab_retry,
    "Integers past 64 bits and floats pushed by Ruby come back exact after a kiqlab retry",
    sidekiq_6_4,
    sidekiq_7_3,
    sidekiq_8_1,
);

async fn big_numbers_survive_a_kiqlab_retry(sk: Sidekiq, redis: RedisServer) -> Outcome {
    let url = redis.url();
    let pushed = sk.ruby("sidekiq_big_numbers.rb", &[&url, "push"]);
    let jid = pushed["jid"].as_str().expect("a jid").to_owned();
    let dir = temp_dir();
    let log = dir.path().join("worker.log");
    let mut w = WorkerProc::start(&url, &["-q", "default", "-c", "1"], &log);
    eventually(
        Duration::from_secs(30),
        "the job in the retry set",
        || async { (sk.inspect(&url)["stats"]["retry_size"] == 1).then_some(()) },
    )
    .await;
    let (status, _) = w.term();
    assert!(status.success(), "{}", w.log_text());
    let back = sk.ruby("sidekiq_big_numbers.rb", &[&url, "read", &jid]);
    assert_eq!(back["error_class"], "NameError", "{back}");
    assert_eq!(back["retry_count"], 0, "{back}");
    assert_eq!(
        back["args"],
        serde_json::json!([
            "18446744073709551617",
            "-170141183460469231731687303715884105729",
            "1.5e+300",
            "0.1"
        ]),
        "{back}"
    );
    assert_eq!(back["exact"], true, "Ruby's == on the args: {back}");
    let raw = back["raw"].as_str().unwrap_or_default();
    assert!(
        raw.contains(
            r#""args":[18446744073709551617,-170141183460469231731687303715884105729,1.5e+300,0.1]"#
        ),
        "the stored member: {raw}"
    );
    Outcome::Pass
}
