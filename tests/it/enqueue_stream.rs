//! `kiqlab enqueue --count N` streams: batches are encoded, pushed, printed
//! and dropped, so memory stays flat for any N (issue 14: 10,000,000 used
//! 6.19 GB and printed nothing for 90 s); jids come out as batches land;
//! `--quiet` prints only the summary; a reader that stops early (`| head`)
//! stops the printing, not the pushing.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::support::{kiqlab_bin, RedisServer};

const MB: u64 = 1000 * 1000;

fn llen(redis: &RedisServer) -> u64 {
    redis::cmd("LLEN")
        .arg("queue:default")
        .query(&mut redis.connection())
        .unwrap()
}

fn peak_rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line["VmHWM:".len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

/// The peak resident memory of a running child, polled from `/proc` until it
/// exits (`VmHWM` only grows, so the last reading is the peak up to then).
fn run_watching_memory(mut cmd: Command) -> (std::process::Output, u64) {
    let child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let watcher = std::thread::spawn(move || {
        let mut peak = 0;
        while let Some(kb) = peak_rss_kb(pid) {
            peak = kb;
            std::thread::sleep(Duration::from_millis(10));
        }
        peak * 1024
    });
    let out = child.wait_with_output().unwrap();
    (out, watcher.join().unwrap())
}

#[test]
fn a_large_count_streams_in_flat_memory_and_quiet_prints_a_summary() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let mut cmd = Command::new(kiqlab_bin());
    cmd.args(["enqueue", "--store", &redis.url(), "DemoWorker", "1"])
        .args(["--count", "300000", "--quiet"]);
    let (out, peak) = run_watching_memory(cmd);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(out.stdout.is_empty(), "--quiet prints no jids");
    assert!(err.contains("pushed 300000 DemoWorker jobs"), "{err}");
    assert_eq!(llen(&redis), 300_000);
    eprintln!("enqueue --count 300000: peak RSS {} MB", peak / MB);
    assert!(peak > 0 && peak <= 100 * MB, "peak RSS {} MB", peak / MB);
}

#[test]
fn jids_are_printed_as_batches_land_and_an_early_reader_loses_no_job() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    // Every jid printed, once, and each is a job in the queue.
    let out = Command::new(kiqlab_bin())
        .args(["enqueue", "--store", &redis.url(), "DemoWorker", "1"])
        .args(["--count", "25000"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let jids: std::collections::HashSet<&str> =
        std::str::from_utf8(&out.stdout).unwrap().lines().collect();
    assert_eq!(jids.len(), 25_000);
    assert_eq!(llen(&redis), 25_000);
    let last: String = redis::cmd("LINDEX")
        .arg("queue:default")
        .arg(0)
        .query(&mut redis.connection())
        .unwrap();
    let payload: serde_json::Value = serde_json::from_str(&last).unwrap();
    assert!(jids.contains(payload["jid"].as_str().unwrap()));
    // `| head -2`: the reader goes away; the command still pushes them all.
    let mut child = Command::new(kiqlab_bin())
        .args(["enqueue", "--store", &redis.url(), "DemoWorker", "2"])
        .args(["--count", "100000"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    assert_eq!(first.len(), 24, "a jid: {first}");
    drop(lines);
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        !err.contains("Broken pipe") && !err.contains("panicked"),
        "{err}"
    );
    assert_eq!(llen(&redis), 125_000);
}
