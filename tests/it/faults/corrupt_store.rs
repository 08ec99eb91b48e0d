//! A worker on a SQLite `jobs.db` that turns out corrupt exits non-zero with
//! the reason, so systemd (or the demo's supervisor) sees it, instead of
//! warning every 5 s forever (issue 14).

use std::process::{Command, Stdio};
use std::time::Duration;

use crate::support::{kiqlab_bin, temp_dir};

#[test]
fn a_worker_on_a_corrupt_sqlite_store_exits_non_zero_with_the_reason() {
    let dir = temp_dir();
    let db = dir.path().join("jobs.db");
    let store = format!("sqlite://{}", db.display());
    let pushed = Command::new(kiqlab_bin())
        .args(["enqueue", "--store", &store, "DemoWorker", "0", "hi"])
        .args(["--count", "20000", "--quiet"])
        .output()
        .unwrap();
    assert!(pushed.status.success());
    // Move everything from the WAL into the file, then overwrite its middle.
    let c = rusqlite::Connection::open(&db).unwrap();
    c.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        .unwrap();
    drop(c);
    let len = std::fs::metadata(&db).unwrap().len();
    let mut bytes = std::fs::read(&db).unwrap();
    let start = (len / 2) as usize & !4095;
    for b in &mut bytes[start..(start + 20 * 4096).min(len as usize)] {
        *b = 0xAB;
    }
    std::fs::write(&db, bytes).unwrap();

    let mut worker = Command::new(kiqlab_bin())
        .args(["worker", "--store", &store, "-c", "5"])
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Read the log as it comes (a line per job: a full pipe would block it).
    let stderr = worker.stderr.take().unwrap();
    let log = std::thread::spawn(move || std::io::read_to_string(stderr).unwrap());
    let deadline = std::time::Instant::now() + Duration::from_secs(90);
    let status = loop {
        if let Some(s) = worker.try_wait().unwrap() {
            break s;
        }
        if std::time::Instant::now() > deadline {
            worker.kill().unwrap();
            panic!("the worker kept running on a corrupt store");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let err = log.join().unwrap();
    assert_eq!(status.code(), Some(1), "{err}");
    let last = err.lines().last().unwrap_or_default();
    assert!(last.contains("cannot be used"), "{last}");
    assert!(last.contains("malformed"), "{last}");
    assert!(!err.contains("panicked"), "{err}");
}
