//! `kiqlab enqueue` pushes (now, `--in`, `--queue`, `--count`) and the real
//! `sidekiq` CLI runs every job exactly once (tests/ruby/sidekiq_jobs.rb
//! records each run in Redis).

use std::collections::HashMap;
use std::time::Duration;

use super::kiqlab::enqueue;
use super::record::{sidekiq_check, Outcome};
use super::sidekiq::Sidekiq;
use crate::support::{eventually, temp_dir, RedisServer};

sidekiq_check!(
    kiqlab_enqueue_runs_on_sidekiq,
    "`kiqlab enqueue` (now, --in, --queue, --count) runs on the real `sidekiq`, each job once",
    sidekiq_6_4,
    sidekiq_7_3,
    sidekiq_8_1,
);

sidekiq_check!(
    kiqlab_activejob_enqueue_runs_on_sidekiq,
    "`kiqlab enqueue --activejob` writes Rails' envelope: the real `sidekiq` runs it as the ActiveJob class (with ActiveJob 7.2), Sidekiq's API shows it as that class with its own arguments, and a kiqlab worker runs it with its handler",
    sidekiq_6_4,
    sidekiq_7_3,
    sidekiq_8_1,
);

/// What Ruby ran: jid ⇒ times, and the messages in order.
pub fn ruby_ran(redis: &RedisServer) -> (HashMap<String, u64>, Vec<String>) {
    let mut con = redis.connection();
    let ran: HashMap<String, u64> = redis::cmd("HGETALL")
        .arg("interop:ran")
        .query(&mut con)
        .unwrap();
    let messages: Vec<String> = redis::cmd("LRANGE")
        .arg("interop:messages")
        .arg(0)
        .arg(-1)
        .query(&mut con)
        .unwrap();
    (ran, messages)
}

async fn kiqlab_enqueue_runs_on_sidekiq(sk: Sidekiq, redis: RedisServer) -> Outcome {
    let url = redis.url();
    let mut jids = vec![
        enqueue(&url, &["DemoWorker", "0", "kq now"]),
        enqueue(&url, &["DemoWorker", "0", "kq in 1s", "--in", "1s"]),
        enqueue(
            &url,
            &["DemoWorker", "0", "kq interop", "--queue", "interop"],
        ),
    ];
    let bulk = enqueue(&url, &["DemoWorker", "0", "kq bulk", "--count", "5"]);
    jids.extend(bulk.lines().map(str::to_owned));
    assert_eq!(jids.len(), 8, "kiqlab enqueue printed a jid per job");
    let dir = temp_dir();
    let mut ruby = sk.start_sidekiq(
        &url,
        &["-q", "default", "-q", "interop", "-c", "3"],
        &dir.path().join("sidekiq.log"),
    );
    let (ran, messages) = eventually(Duration::from_secs(60), "Ruby ran all 8 jobs", || async {
        let (ran, messages) = ruby_ran(&redis);
        (ran.len() == 8).then_some((ran, messages))
    })
    .await;
    for jid in &jids {
        assert_eq!(ran.get(jid), Some(&1), "jid {jid} ran once: {ran:?}");
    }
    for m in ["kq now", "kq in 1s", "kq interop"] {
        assert!(messages.iter().any(|x| x == m), "{m:?} in {messages:?}");
    }
    assert_eq!(messages.iter().filter(|x| *x == "kq bulk").count(), 5);
    assert!(
        ruby.term().success(),
        "sidekiq stops cleanly: {}",
        ruby.log_text()
    );
    let s = sk.inspect(&url);
    assert_eq!(s["stats"]["processed"], 8);
    assert_eq!(s["stats"]["failed"], 0);
    Outcome::Pass
}

async fn kiqlab_activejob_enqueue_runs_on_sidekiq(sk: Sidekiq, redis: RedisServer) -> Outcome {
    let url = redis.url();
    // A kiqlab worker runs it with its DemoWorker handler, on every version.
    let jid = enqueue(&url, &["--activejob", "DemoWorker", "0", "kq aj kiqlab"]);
    let dir = temp_dir();
    let mut w = crate::support::WorkerProc::start(&url, &["-c", "2"], &dir.path().join("w.log"));
    eventually(
        Duration::from_secs(30),
        "kiqlab ran the ActiveJob job",
        || async { (sk.inspect(&url)["stats"]["processed"] == 1).then_some(()) },
    )
    .await;
    let (status, _) = w.term();
    assert!(status.success());
    let log = w.log_text();
    assert!(
        log.contains("kq aj kiqlab") && log.contains(&jid),
        "DemoWorker's handler ran it: {log}"
    );
    assert_eq!(sk.inspect(&url)["stats"]["failed"], 0, "{log}");
    if sk.version.major() < 7 {
        return Outcome::NotApplicable(
            "no ActiveJob beside Sidekiq 6.4 here (kiqlab's side passed)",
        );
    }
    // Ruby: Sidekiq's API unwraps it, and `sidekiq` runs it as AjDemoJob.
    let jid = enqueue(&url, &["--activejob", "AjDemoJob", "0", "kq aj ruby"]);
    let s = sk.inspect(&url);
    let job = &s["queues"][0]["jobs"][0];
    assert_eq!(job["display_class"], "AjDemoJob", "{job}");
    assert_eq!(
        job["display_args"],
        serde_json::json!([0, "kq aj ruby"]),
        "{job}"
    );
    let mut ruby = sk.start_sidekiq(&url, &["-c", "2"], &dir.path().join("sidekiq.log"));
    let (ran, messages) = eventually(
        Duration::from_secs(60),
        "Ruby ran the ActiveJob job",
        || async {
            let (ran, messages) = ruby_ran(&redis);
            (!ran.is_empty()).then_some((ran, messages))
        },
    )
    .await;
    assert_eq!(ran.get(&jid), Some(&1), "jid {jid} ran once: {ran:?}");
    assert_eq!(messages, vec!["kq aj ruby"]);
    assert!(ruby.term().success(), "{}", ruby.log_text());
    assert_eq!(sk.inspect(&url)["stats"]["failed"], 0);
    Outcome::Pass
}
