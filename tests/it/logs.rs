//! The log a class reads, from a real `kiqlab worker` process whose stderr
//! is a file (not a terminal, `NO_COLOR` unset): no ANSI codes; one line per
//! job start, done (with seconds) and fail, each naming the worker, class,
//! jid and queue; decisions in words, not Rust's debug text; and
//! `--log-format json` gives one JSON object a line.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use kiqlab::engine::client::PushOptions;
use kiqlab::engine::job::Retry;
use serde_json::{json, Value};

use crate::engine::Harness;
use crate::support::{eventually, kiqlab_bin, temp_dir};

struct Worker(Child);

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn worker(url: &str, name: &str, log: &std::path::Path, extra: &[&str]) -> Worker {
    let file = std::fs::File::create(log).unwrap();
    let child = Command::new(kiqlab_bin())
        .args(["worker", "--store", url, "--name", name])
        .args(["--poll-interval", "200ms", "--heartbeat-interval", "200ms"])
        .args(extra)
        .env_remove("NO_COLOR")
        .env_remove("RUST_LOG")
        .env_remove("KIQLAB_LOG_FORMAT")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(file)
        .spawn()
        .unwrap();
    Worker(child)
}

/// Pushes one job that succeeds, one that fails for good (no retries) and
/// one that fails and is retried; returns their jids.
async fn three_jobs(h: &Harness) -> [String; 3] {
    let c = h.client();
    let ok = c
        .push(
            "DemoWorker",
            vec![json!(0), json!("fine")],
            &PushOptions::default(),
        )
        .await
        .unwrap();
    let bad_args = vec![json!("one argument")];
    let dead = c
        .push(
            "DemoWorker",
            bad_args.clone(),
            &PushOptions {
                retry: Some(Retry::Count(0)),
                ..PushOptions::default()
            },
        )
        .await
        .unwrap();
    let retried = c
        .push("DemoWorker", bad_args, &PushOptions::default())
        .await
        .unwrap();
    [ok, dead, retried]
}

async fn log_with(path: &std::path::Path, lines: usize) -> String {
    eventually(Duration::from_secs(30), "the job lines", || async {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let n = text
            .lines()
            .filter(|l| l.contains("done: ") || l.contains("fail: "))
            .count();
        (n >= lines).then_some(text)
    })
    .await
}

fn line_for<'a>(log: &'a str, jid: &str, what: &str) -> &'a str {
    log.lines()
        .find(|l| l.contains(jid) && l.contains(what))
        .unwrap_or_else(|| panic!("no {what:?} line for {jid} in:\n{log}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_logs_start_done_and_fail_lines_without_colour() {
    let h = Harness::sqlite().await;
    let [ok, dead, retried] = three_jobs(&h).await;
    let dir = temp_dir();
    let path = dir.path().join("worker.log");
    let _w = worker(&h.url, "worker-07", &path, &[]);
    let log = log_with(&path, 3).await;
    assert!(!log.contains('\u{1b}'), "no ANSI codes in a file:\n{log}");
    for jid in [&ok, &dead, &retried] {
        let start = line_for(&log, jid, " start ");
        for field in ["worker=worker-07", "class=DemoWorker", "queue=default"] {
            assert!(start.contains(field), "{field} in {start}");
        }
    }
    let done = line_for(&log, &ok, "done: ");
    assert!(done.contains(" INFO "), "{done}");
    let secs = done.split("done: ").nth(1).unwrap();
    let (n, unit) = secs.split_once(' ').unwrap();
    assert!(
        n.parse::<f64>().is_ok() && unit.starts_with("sec"),
        "{done}"
    );
    let fail = line_for(&log, &dead, "fail: ");
    assert!(
        fail.contains(" WARN ") && fail.contains("ArgumentError"),
        "{fail}"
    );
    assert!(fail.contains("next=dead: no retries left"), "{fail}");
    let retry = line_for(&log, &retried, "fail: ");
    assert!(retry.contains("next=retry 1 of 25 in "), "{retry}");
    assert!(retry.contains(" s (at 20"), "an ISO time: {retry}");
    for debug_text in ["Retry {", "Only([", "QueueName(", "Some("] {
        assert!(!log.contains(debug_text), "{debug_text} in:\n{log}");
    }
    assert!(log.contains("queues=default"), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_are_one_object_a_line() {
    let h = Harness::sqlite().await;
    let [ok, dead, _] = three_jobs(&h).await;
    let dir = temp_dir();
    let path = dir.path().join("worker.json");
    let _w = worker(&h.url, "worker-08", &path, &["--log-format", "json"]);
    let log = log_with(&path, 3).await;
    let lines: Vec<Value> = log
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let find = |jid: &str, prefix: &str| {
        lines
            .iter()
            .find(|v| v["jid"] == jid && v["message"].as_str().unwrap().starts_with(prefix))
            .unwrap_or_else(|| panic!("no {prefix} for {jid}: {log}"))
            .clone()
    };
    let done = find(&ok, "done: ");
    assert_eq!(done["level"], "INFO");
    assert_eq!(done["worker"], "worker-08");
    assert_eq!(done["class"], "DemoWorker");
    assert_eq!(done["queue"], "default");
    assert!(done["time"].as_str().unwrap().ends_with('Z'), "{done}");
    let fail = find(&dead, "fail: ");
    assert_eq!(fail["level"], "WARN");
    assert_eq!(fail["next"], "dead: no retries left");
}
