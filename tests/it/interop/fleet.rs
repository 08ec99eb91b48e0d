//! A mixed fleet: one real Ruby `sidekiq` process and one `kiqlab worker` on
//! one queue share 500 jobs pushed by Ruby's client; each runs exactly once.

use std::collections::HashMap;
use std::time::Duration;

use serde_json::{json, Value};

use super::dashboard::ruby_push;
use super::enqueue::ruby_ran;
use super::record::{sidekiq_check, Outcome};
use super::sidekiq::Sidekiq;
use crate::support::{count_messages, eventually, temp_dir, RedisServer, WorkerProc};

const JOBS: usize = 500;

sidekiq_check!(
    mixed_fleet_runs_each_job_once,
    "One Ruby sidekiq and one kiqlab worker on one queue: 500 jobs, each run exactly once, both take a share",
    sidekiq_6_4,
    sidekiq_7_3,
    sidekiq_8_1,
);

async fn mixed_fleet_runs_each_job_once(sk: Sidekiq, redis: RedisServer) -> Outcome {
    let url = redis.url();
    let dir = temp_dir();
    let mut ruby = sk.start_sidekiq(&url, &["-c", "5"], &dir.path().join("sk.log"));
    let mut kiq = WorkerProc::start(&url, &["-c", "5"], &dir.path().join("kiq.log"));
    eventually(
        Duration::from_secs(60),
        "both processes beating",
        || async { (sk.inspect(&url)["stats"]["processes_size"] == 2).then_some(()) },
    )
    .await;
    let jobs: Vec<Value> = (0..JOBS)
        .map(|i| json!({"class": "DemoWorker", "args": [0.01, format!("fleet-{i}")]}))
        .collect();
    let jids = ruby_push(&sk, &url, Value::Array(jobs));
    assert_eq!(jids.len(), JOBS);
    let counts = |kiq: &WorkerProc| -> (HashMap<String, usize>, HashMap<String, usize>) {
        let k = count_messages(&[kiq.log_text()], "fleet-");
        let mut r = HashMap::new();
        for m in ruby_ran(&redis).1 {
            *r.entry(m).or_insert(0) += 1;
        }
        (k, r)
    };
    eventually(Duration::from_secs(120), "500 jobs run", || {
        let (k, r) = counts(&kiq);
        let n: usize = k.values().sum::<usize>() + r.values().sum::<usize>();
        let mut con = redis.connection();
        let left: u64 = redis::cmd("LLEN")
            .arg("queue:default")
            .query(&mut con)
            .unwrap();
        async move { (n >= JOBS && left == 0).then_some(()) }
    })
    .await;
    assert!(ruby.term().success(), "sidekiq stops cleanly");
    let (status, _) = kiq.term();
    assert!(status.success(), "kiqlab stops cleanly");
    let (k, r) = counts(&kiq);
    for i in 0..JOBS {
        let m = format!("fleet-{i}");
        let runs = k.get(&m).copied().unwrap_or(0) + r.get(&m).copied().unwrap_or(0);
        assert_eq!(
            runs,
            1,
            "{m} ran {runs} times (kiqlab {:?}, ruby {:?})",
            k.get(&m),
            r.get(&m)
        );
    }
    let (kn, rn) = (k.values().sum::<usize>(), r.values().sum::<usize>());
    assert!(
        kn > 0 && rn > 0,
        "both took a share: kiqlab {kn}, ruby {rn}"
    );
    eprintln!(
        "mixed fleet on Sidekiq {}: kiqlab ran {kn}, ruby {rn}",
        sk.full_version
    );
    let s = sk.inspect(&url);
    assert_eq!(s["stats"]["processed"], JOBS, "stat:processed from both");
    assert_eq!(s["stats"]["failed"], 0);
    Outcome::Pass
}
