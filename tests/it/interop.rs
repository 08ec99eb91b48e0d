//! Wire compatibility with real Sidekiq 6.4.1 (Debian's ruby-sidekiq): Ruby's
//! client pushes, `kiqlab worker` runs; kiqlab's data reads back through
//! Sidekiq's own API, and Sidekiq's quiet/stop buttons reach a kiqlab worker.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use crate::support::{eventually, kiqlab_bin, RedisServer};

/// True when Ruby can load sidekiq; under CI a missing one fails the test.
fn ruby_sidekiq() -> bool {
    let ok = Command::new("ruby")
        .args(["-e", "require 'sidekiq'; require 'sidekiq/api'"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !ok {
        if std::env::var_os("CI").is_some() {
            panic!(
                "ruby with sidekiq is not installed, and CI is set: apt-get install ruby-sidekiq"
            );
        }
        eprintln!("SKIPPED: ruby-sidekiq is not installed");
    }
    ok
}

fn script(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/ruby")
        .join(name)
}

fn ruby(name: &str, args: &[&str]) -> Value {
    let out = Command::new("ruby")
        .arg(script(name))
        .args(args)
        .stderr(Stdio::null())
        .output()
        .expect("run ruby");
    assert!(out.status.success(), "{name} failed");
    serde_json::from_slice(&out.stdout).expect("ruby printed JSON")
}

fn kiqlab(args: &[&str]) -> String {
    let out = Command::new(kiqlab_bin())
        .args(args)
        .output()
        .expect("run kiqlab");
    assert!(
        out.status.success(),
        "kiqlab {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

struct Worker(Child);

impl Worker {
    fn start(url: &str, extra: &[&str], log: &std::path::Path) -> Worker {
        let log = std::fs::File::create(log).expect("log file");
        let child = Command::new(kiqlab_bin())
            .args([
                "worker",
                "--store",
                url,
                "--poll-interval",
                "0.2",
                "--heartbeat-interval",
                "0.2",
            ])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(log)
            .env("NO_COLOR", "1")
            .spawn()
            .expect("spawn kiqlab worker");
        Worker(child)
    }

    fn term(&mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
        self.0.wait().expect("wait worker")
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn inspect(url: &str) -> Value {
    ruby("sidekiq_inspect.rb", &[url])
}

#[tokio::test]
async fn jobs_pushed_by_ruby_sidekiq_run_on_kiqlab() {
    if !ruby_sidekiq() {
        return;
    }
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let url = redis.url();
    let pushed = ruby("sidekiq_push.rb", &[&url]);
    assert_eq!(inspect(&url)["stats"]["enqueued"], 7);
    let dir = crate::support::temp_dir();
    let log = dir.path().join("worker.log");
    let mut w = Worker::start(&url, &["-q", "default", "-q", "interop", "-c", "4"], &log);
    eventually(
        Duration::from_secs(20),
        "all 8 Ruby jobs processed",
        || async {
            let s = inspect(&url);
            (s["stats"]["processed"] == 8 && s["stats"]["scheduled_size"] == 0).then_some(())
        },
    )
    .await;
    assert!(w.term().success());
    let s = inspect(&url);
    assert_eq!(s["stats"]["failed"], 0);
    assert_eq!(s["stats"]["enqueued"], 0);
    assert_eq!(
        s["stats"]["processes_size"], 0,
        "clean stop leaves the process set"
    );
    let text = std::fs::read_to_string(&log).unwrap();
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
}

#[tokio::test]
async fn sidekiq_api_reads_what_kiqlab_wrote() {
    if !ruby_sidekiq() {
        return;
    }
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let url = redis.url();
    let store = ["--store", url.as_str()];
    let enq = |args: &[&str]| {
        let mut a = vec!["enqueue"];
        a.extend_from_slice(&store);
        a.extend_from_slice(args);
        kiqlab(&a).trim().to_owned()
    };
    let scheduled = enq(&["DemoWorker", "0", "in an hour", "--in", "1h"]);
    let retried = enq(&["FlakyWorker", "7", "--retry", "2"]);
    let killed = enq(&["DeadWorker", "to the morgue", "--retry", "0"]);
    let long = enq(&["DemoWorker", "30", "long job"]);
    let queued = enq(&["DemoWorker", "0", "waiting", "--queue", "later"]);

    let dir = crate::support::temp_dir();
    let mut w = Worker::start(
        &url,
        &[
            "-c",
            "3",
            "-q",
            "default",
            "--name",
            "kiq-interop",
            "--tag",
            "lab",
            "-t",
            "1",
        ],
        &dir.path().join("worker.log"),
    );
    let s = eventually(
        Duration::from_secs(20),
        "retry, dead and a busy worker",
        || async {
            let s = inspect(&url);
            let ok = s["stats"]["retry_size"] == 1
                && s["stats"]["dead_size"] == 1
                && s["workers"].as_array().is_some_and(|w| w.len() == 1);
            ok.then_some(s)
        },
    )
    .await;
    let st = &s["stats"];
    assert_eq!(st["scheduled_size"], 1);
    assert_eq!(st["failed"], 2);
    assert_eq!(st["processes_size"], 1);
    assert_eq!(st["workers_size"], 1);
    assert_eq!(st["queues"]["later"], 1);
    assert_eq!(st["enqueued"], 1);

    let sch = &s["scheduled"][0];
    assert_eq!(sch["jid"], scheduled.as_str());
    assert_eq!(sch["klass"], "DemoWorker");
    assert_eq!(sch["args"], serde_json::json!([0, "in an hour"]));
    assert!(sch["score"].as_f64().unwrap() > sch["created_at"].as_f64().unwrap() + 3500.0);

    let r = &s["retries"][0];
    assert_eq!(r["jid"], retried.as_str());
    assert_eq!(r["error_class"], "NameError");
    assert!(r["error_message"].as_str().unwrap().contains("FlakyWorker"));
    assert_eq!(r["retry_count"], 0);
    assert_eq!(r["args"], serde_json::json!([7]));

    let d = &s["dead"][0];
    assert_eq!(d["jid"], killed.as_str());
    assert_eq!(d["args"], serde_json::json!(["to the morgue"]));

    let q = s["queues"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["name"] == "later")
        .unwrap();
    assert_eq!(q["jobs"][0]["jid"], queued.as_str());
    assert!(q["latency"].as_f64().unwrap() > 0.0);

    let p = &s["processes"][0];
    assert_eq!(p["hostname"], "kiq-interop");
    assert_eq!(p["concurrency"], 3);
    assert_eq!(p["queues"], serde_json::json!(["default"]));
    assert_eq!(p["busy"], 1);
    assert_eq!(p["tag"], "lab");
    let wk = &s["workers"][0];
    assert_eq!(wk["jid"], long.as_str());
    assert_eq!(wk["queue"], "default");
    assert_eq!(wk["class"], "DemoWorker");
    assert_eq!(wk["process"], p["identity"]);
    assert!(s["history"]
        .as_object()
        .unwrap()
        .values()
        .any(|v| v.as_u64() == Some(2)));

    // Sidekiq's "Quiet" button reaches the kiqlab worker at its next heartbeat…
    let identity = p["identity"].as_str().unwrap().to_owned();
    ruby("sidekiq_actions.rb", &[&url, "quiet", &identity]);
    eventually(Duration::from_secs(10), "quiet=true", || async {
        let s = inspect(&url);
        (s["processes"][0]["quiet"] == "true").then_some(())
    })
    .await;
    // …and "Retry All" on the Dead tab puts the job back in its queue.
    ruby("sidekiq_actions.rb", &[&url, "retry_all_dead"]);
    let s = inspect(&url);
    assert_eq!(s["stats"]["dead_size"], 0);
    assert_eq!(
        s["stats"]["queues"]["default"], 1,
        "quiet: the retried job waits"
    );
    // "Stop" stops it; the long job is pushed back within -t 1.
    ruby("sidekiq_actions.rb", &[&url, "stop", &identity]);
    let status = tokio::task::spawn_blocking(move || w.0.wait())
        .await
        .unwrap()
        .expect("worker exits");
    assert!(status.success());
    let s = inspect(&url);
    assert_eq!(s["stats"]["processes_size"], 0);
    assert_eq!(
        s["stats"]["queues"]["default"], 2,
        "long job back in its queue"
    );
}
