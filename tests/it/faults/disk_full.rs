//! The web node's disk fills up during posts (its data directory on a tiny
//! tmpfs, mounted in a mount namespace of its own so the host is untouched):
//! each post either saves its record *and* its job, or answers a clear error
//! (503, "web.db … cannot be written … this request was not saved") and saves
//! neither. No half-written record, no panic, a database that passes its
//! integrity check; once there is room again, posts are saved again.

use std::collections::BTreeSet;
use std::process::Stdio;
use std::time::Duration;

use crate::support::{kiqlab_bin, listening_url, root_or_skip, temp_dir};

/// The snippet ids of HighlightWorker payloads.
fn ids_in(payloads: &[String]) -> BTreeSet<i64> {
    payloads
        .iter()
        .filter_map(|p| serde_json::from_str::<serde_json::Value>(p).ok())
        .filter(|j| j["class"] == "HighlightWorker")
        .filter_map(|j| j["args"][0].as_i64())
        .collect()
}

fn column(db: &std::path::Path, sql: &str) -> Vec<String> {
    let c = rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .unwrap();
    let mut st = c.prepare(sql).unwrap();
    st.query_map([], |r| r.get::<_, String>(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_refuses_posts_whole_and_nothing_is_half_written() {
    if !root_or_skip("to mount a small tmpfs") {
        return;
    }
    let dir = temp_dir();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let jobs = dir.path().join("jobs.db");
    let mut web = tokio::process::Command::new("unshare")
        .args([
            "-m",
            "sh",
            "-c",
            "mount -t tmpfs -o size=640k kiqlab-full \"$KIQLAB_DATA_DIR\" && exec \"$0\" \"$@\"",
        ])
        .arg(kiqlab_bin())
        .args(["web", "--port", "0", "--no-mailcatcher", "--no-tagger"])
        .arg("--store")
        .arg(format!("sqlite://{}", jobs.display()))
        .env("KIQLAB_DATA_DIR", &data)
        .env("NO_COLOR", "1")
        .env_remove("KIQLAB_INTERNAL_TOKEN")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let base = listening_url(&mut web).await;
    let pid = web.id().unwrap();
    // The web node's view of its data directory (its mount namespace).
    let web_db =
        std::path::PathBuf::from(format!("/proc/{pid}/root{}", data.display())).join("web.db");
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    let code = "x = 1 # filler\n".repeat(3000); // about 45 KB a post
    let (mut saved, mut refused) = (0, 0);
    for i in 0..40 {
        let r = http
            .post(format!("{base}/snippets"))
            .form(&[("language", "ruby"), ("code", &format!("# {i}\n{code}"))])
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let body = r.text().await.unwrap();
        match status {
            303 => saved += 1,
            503 => {
                assert!(
                    body.contains("web.db") && body.contains("this request was not saved"),
                    "post {i}: {body}"
                );
                refused += 1;
            }
            _ => panic!("post {i}: {status} {body}"),
        }
    }
    eprintln!("disk full: {saved} posts saved, {refused} refused");
    assert!(saved > 0 && refused > 0, "{saved} saved, {refused} refused");
    // A copy of web.db and its WAL as the web node sees them (SQLite would
    // resolve /proc/PID/root to the host's own, empty, directory).
    let web_db = {
        let copy = dir.path().join("copy");
        std::fs::create_dir_all(&copy).unwrap();
        for f in ["web.db", "web.db-wal"] {
            let from = web_db.with_file_name(f);
            if from.exists() {
                std::fs::copy(&from, copy.join(f)).unwrap();
            }
        }
        copy.join("web.db")
    };
    let snippets: BTreeSet<i64> = column(&web_db, "SELECT CAST(id AS TEXT) FROM snippets")
        .iter()
        .map(|s| s.parse().unwrap())
        .collect();
    assert_eq!(
        snippets.len(),
        saved,
        "every 303 is a saved record, no other"
    );
    assert_eq!(column(&web_db, "PRAGMA integrity_check"), ["ok"]);
    // Each saved record has its job: still in the outbox, or in the store.
    let mut queued = ids_in(&column(&web_db, "SELECT payload FROM outbox"));
    queued.extend(ids_in(&column(&jobs, "SELECT payload FROM jobs")));
    assert_eq!(
        queued, snippets,
        "a job for each record, none for the refused"
    );
    // Room again: the same node saves posts again.
    let grow = std::process::Command::new("nsenter")
        .args([
            "-t",
            &pid.to_string(),
            "-m",
            "mount",
            "-o",
            "remount,size=64m",
        ])
        .arg(&data)
        .status()
        .unwrap();
    assert!(grow.success());
    let r = http
        .post(format!("{base}/snippets"))
        .form(&[("language", "ruby"), ("code", "p :room")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303, "{}", r.text().await.unwrap());
    web.start_kill().unwrap();
    web.wait().await.unwrap();
}
