//! The embedded store shared by several processes: two workers and an
//! enqueuer on one SQLite file under load.

use std::process::Command;
use std::time::Duration;

use crate::engine::Harness;
use crate::support::{count_messages, eventually, kiqlab_bin, temp_dir, WorkerProc};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_and_an_enqueuer_share_one_file() {
    let h = Harness::sqlite().await;
    let dir = temp_dir();
    let mut a = WorkerProc::start(
        &h.url,
        &["-c", "10", "--name", "w1"],
        &dir.path().join("a.log"),
    );
    let mut b = WorkerProc::start(
        &h.url,
        &["-c", "10", "--name", "w2"],
        &dir.path().join("b.log"),
    );
    // The enqueuer: 20 separate `kiqlab enqueue` processes of 500 jobs each,
    // while the workers run.
    const BATCHES: usize = 20;
    const PER: usize = 500;
    let url = h.url.clone();
    let enqueuer = tokio::task::spawn_blocking(move || {
        for k in 0..BATCHES {
            let out = Command::new(kiqlab_bin())
                .args([
                    "enqueue",
                    "--store",
                    &url,
                    "DemoWorker",
                    "0.001",
                    &format!("batch-{k}"),
                    "--count",
                    &PER.to_string(),
                ])
                .env("NO_COLOR", "1")
                .output()
                .expect("run kiqlab enqueue");
            assert!(
                out.status.success(),
                "enqueue failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    });
    enqueuer.await.unwrap();
    let total = (BATCHES * PER) as u64;
    eventually(Duration::from_secs(120), "all processed", || async {
        let s = h.stats().await;
        (s.processed >= total && s.enqueued == 0 && s.busy == 0).then_some(())
    })
    .await;
    let (sa, _) = a.term();
    let (sb, _) = b.term();
    assert!(sa.success() && sb.success());
    let logs = [a.log_text(), b.log_text()];
    for text in &logs {
        assert!(
            !text.contains("database is locked"),
            "a lock error surfaced"
        );
        assert!(!text.contains("ERROR"), "an error was logged");
    }
    let seen = count_messages(&logs, "batch-");
    assert_eq!(seen.len(), BATCHES);
    for (k, n) in &seen {
        assert_eq!(
            *n, PER,
            "{k} ran {n} times: no job may run twice when nothing crashed"
        );
    }
    let s = h.stats().await;
    assert_eq!((s.processed, s.failed, s.enqueued), (total, 0, 0));
    let split = (
        count_messages(&logs[..1], "batch-").values().sum::<usize>(),
        count_messages(&logs[1..], "batch-").values().sum::<usize>(),
    );
    assert!(
        split.0 > 0 && split.1 > 0,
        "both workers did work: {split:?}"
    );
}
