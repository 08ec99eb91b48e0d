//! The load lesson end to end: `kiqlab load --json` against a web node with
//! a worker (the JSON's shape, every request answered, the records really
//! made and highlighted), its refusals of bad input, and `/lessons/load`,
//! closed to anyone but an admin, running sync then async for one. No
//! timing thresholds: machines are noisy; the figures are in
//! docs/benchmarks.md.

use std::time::Duration;

use serde_json::Value;

use super::dashboard::harness::{Dash, PASSWORD};
use super::helpers::{spawn_app, TestStore};
use crate::support::{eventually, kiqlab_bin};

const FIGURES: [&str; 6] = [
    "p50_ms",
    "p95_ms",
    "p99_ms",
    "max_ms",
    "req_per_s",
    "errors",
];

async fn kiqlab_load(args: &[&str]) -> std::process::Output {
    tokio::time::timeout(
        Duration::from_secs(150),
        tokio::process::Command::new(kiqlab_bin())
            .arg("load")
            .args(args)
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("kiqlab load ends")
    .expect("run kiqlab load")
}

async fn snippets(db: &kiqlab::web::db::Db) -> Vec<kiqlab::apps::snippets::queries::Snippet> {
    db.call(|c| kiqlab::apps::snippets::queries::list(c, 1000))
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kiqlab_load_json_posts_both_ways_and_prints_one_line_of_figures() {
    let mut app = spawn_app(TestStore::sqlite()).await;
    app.start_worker("load-worker").await;
    let out = kiqlab_load(&[
        "--url",
        &app.address,
        "--app",
        "snippets",
        "--users",
        "4",
        "--requests",
        "12",
        "--mode",
        "both",
        "--json",
    ])
    .await;
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert_eq!(stdout.lines().count(), 1, "exactly one line: {stdout}");
    let line: Value = serde_json::from_str(stdout.trim()).unwrap();
    let modes: Vec<&String> = line.as_object().unwrap().keys().collect();
    assert_eq!(modes, ["sync", "async"], "{line}");
    for mode in ["sync", "async"] {
        let m = line[mode].as_object().unwrap();
        assert_eq!(m.keys().collect::<Vec<_>>(), FIGURES, "{line}");
        assert_eq!(m["errors"], 0, "{mode}: {line}");
        for f in ["p50_ms", "p95_ms", "p99_ms", "max_ms", "req_per_s"] {
            assert!(m[f].as_f64().is_some_and(|v| v > 0.0), "{mode}.{f}: {line}");
        }
        assert!(m["p50_ms"].as_f64() <= m["p95_ms"].as_f64());
        assert!(m["p99_ms"].as_f64() <= m["max_ms"].as_f64());
    }
    // Each request made a snippet the way the form does, and the async
    // ones were highlighted by the worker.
    let db = kiqlab::web::db::Db::open(&app.dir.path().join("web.db")).unwrap();
    let made = snippets(&db).await;
    assert_eq!(made.len(), 24);
    assert_eq!(made.iter().filter(|s| s.mode == "sync").count(), 12);
    eventually(
        Duration::from_secs(60),
        "every snippet highlighted",
        || async {
            snippets(&db)
                .await
                .iter()
                .all(|s| s.highlighted_code.is_some())
                .then_some(())
        },
    )
    .await;

    // One mode: only that key.
    let out = kiqlab_load(&[
        "--url",
        &app.address,
        "--users",
        "2",
        "--requests",
        "3",
        "--mode",
        "async",
        "--json",
    ])
    .await;
    assert!(out.status.success());
    let line: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        line.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["async"]
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kiqlab_load_refuses_bad_values_with_exit_2_and_posts_nothing() {
    let app = spawn_app(TestStore::sqlite()).await;
    for (flag, value, says) in [
        ("--users", "0", "from 1 to 50"),
        ("--users", "51", "from 1 to 50"),
        ("--requests", "1001", "from 1 to 1000"),
        ("--app", "sidekiq", "snippets, fibtastic or blog"),
        ("--mode", "later", "possible values"),
        ("--duration-limit", "2m", "1s to 60s"),
    ] {
        let out = kiqlab_load(&["--url", &app.address, flag, value]).await;
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{flag} {value}: {stderr}");
        assert!(stderr.contains(says), "{flag} {value}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    // Nobody listening: one clear error, exit 1.
    let out = kiqlab_load(&["--url", "http://127.0.0.1:1", "--requests", "1"]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("cannot reach the web node"), "{stderr}");
    let db = kiqlab::web::db::Db::open(&app.dir.path().join("web.db")).unwrap();
    assert!(snippets(&db).await.is_empty());
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_load_page_is_for_admins_only_and_runs_sync_then_async() {
    let dash = Dash::sqlite().await;
    // Anonymous: sent to sign in, and back here after.
    let mut anon = dash.browser();
    let (status, _, headers) = anon.get_full("/lessons/load").await;
    assert_eq!(status, 303);
    assert_eq!(headers["location"], "/sign_in?next=%2Flessons%2Fload");
    let (status, _, _) = anon.get_full("/lessons/load/status").await;
    assert_eq!(status, 303);
    // A signed-in student: refused, and cannot start one.
    dash.user("student@example.com", false).await;
    let mut student = dash.browser();
    assert_eq!(
        student.sign_in("student@example.com", PASSWORD).await.0,
        303
    );
    let (status, body) = student.get("/lessons/load/status").await;
    assert_eq!(status, 403, "{body}");
    student.get("/account").await;
    let (status, body) = student
        .post(
            "/lessons/load",
            &[("app", "snippets"), ("users", "2"), ("requests", "2")],
        )
        .await;
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("not an admin"), "{body}");

    // Linked from the home page and /timings.
    for page in ["/", "/timings"] {
        let (status, body) = anon.get(page).await;
        assert_eq!(status, 200);
        assert!(body.contains("href=\"/lessons/load\""), "{page}: {body}");
    }
    let mut admin = dash.admin().await;
    let (status, page) = admin.get("/lessons/load").await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("id=\"load-form\""), "{page}");
    let (status, body) = admin.get("/lessons/load/status").await;
    assert_eq!((status, body.as_str()), (200, "null"));
    // Bad values: the page again, saying what is wrong; nothing starts.
    let (status, body) = admin
        .post(
            "/lessons/load",
            &[("app", "snippets"), ("users", "51"), ("requests", "5")],
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("from 1 to 50"), "{body}");
    assert_eq!(admin.get("/lessons/load/status").await.1, "null");

    // Five uploads that never finish hold the five request threads (a form
    // is read inside the pool), so the lesson's run waits for them.
    let holds = hold_the_pool(&dash.address).await;
    let (status, location) = admin
        .post(
            "/lessons/load",
            &[("app", "snippets"), ("users", "3"), ("requests", "6")],
        )
        .await;
    assert_eq!((status, location.as_str()), (303, "/lessons/load"));
    let (status, body) = admin
        .post(
            "/lessons/load",
            &[("app", "blog"), ("users", "1"), ("requests", "1")],
        )
        .await;
    assert_eq!(status, 409, "{body}");
    assert!(body.contains("already going"), "{body}");
    assert!(body.contains("boss@example.com"), "who started it: {body}");
    let (_, page) = admin.get("/lessons/load").await;
    assert!(
        page.contains("http-equiv=\"refresh\""),
        "it refreshes while running"
    );
    drop(holds);
    let deadline = std::time::Instant::now() + Duration::from_secs(90);
    let lesson = loop {
        let (_, body) = admin.get("/lessons/load/status").await;
        let v: Value = serde_json::from_str(&body).unwrap();
        if v["phase"] == "done" {
            break v;
        }
        assert_eq!(v["phase"], "running", "{v}");
        assert!(std::time::Instant::now() < deadline, "still running: {v}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let runs = lesson["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2, "{lesson}");
    for (run, mode) in runs.iter().zip(["sync", "async"]) {
        assert_eq!(run["mode"], mode);
        assert_eq!(run["summary"]["requests"], 6, "{run}");
        assert_eq!(run["summary"]["errors"], 0, "{run}");
        assert!(run["probe"]["count"].as_u64() >= Some(1), "{run}");
    }
    let (status, page) = admin.get("/lessons/load").await;
    assert_eq!(status, 200);
    for needle in [
        "id=\"load-results\"",
        "id=\"load-chart\"",
        "<polyline",
        "Done.",
    ] {
        assert!(page.contains(needle), "{needle}: {page}");
    }
    let made = snippets(&dash.db).await;
    assert_eq!(made.len(), 12);
    dash.stop().await;
}

/// Opens five form posts that send their headers and never their body, and
/// waits until a plain page no longer gets a thread.
async fn hold_the_pool(address: &str) -> Vec<tokio::net::TcpStream> {
    use tokio::io::AsyncWriteExt;
    let addr = address.trim_start_matches("http://");
    let mut holds = Vec::new();
    for _ in 0..kiqlab::web::pool::DEFAULT_THREADS {
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        s.write_all(
            b"POST /snippets HTTP/1.1\r\nHost: test\r\n\
              Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\n",
        )
        .await
        .unwrap();
        holds.push(s);
    }
    let http = reqwest::Client::new();
    let home = format!("{address}/");
    eventually(Duration::from_secs(10), "the pool full", || async {
        let r = http
            .get(&home)
            .timeout(Duration::from_millis(300))
            .send()
            .await;
        r.err().filter(reqwest::Error::is_timeout).map(|_| ())
    })
    .await;
    holds
}
