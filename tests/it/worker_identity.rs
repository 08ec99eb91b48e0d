//! Workers that look like separate machines (issue 12, item 4): `kiqlab
//! worker --source-ip 127.0.0.11 --name worker-01` registers that address
//! and name in the store's process record, stamps them on what it does, and
//! really makes its connections from it (Redis' `CLIENT LIST`, the SMTP
//! server's peer); idle workers take turns. Real processes, a real
//! redis-server or SQLite file, the web node in this process.

use std::time::Duration;

use kiqlab::engine::clock::now_secs;
use kiqlab::engine::store::ProcessRecord;

use crate::support::{eventually, kiqlab_bin, temp_dir, WorkerProc};
use crate::web::helpers::{spawn_app, spawn_app_with, AppOptions, TestApp, TestStore};

/// A Redis store that takes connections from 127.0.0.x: protected mode
/// (on when no password is set) lets only 127.0.0.1 and ::1 in.
fn open_redis() -> Option<TestStore> {
    TestStore::redis_with(&["--protected-mode", "no"])
}

/// `kiqlab worker` number `n` (1-based) for `app`: worker-0N from 127.0.0.1(n).
fn start_worker(app: &TestApp, store_url: &str, n: u8, dir: &std::path::Path) -> WorkerProc {
    let name = format!("worker-0{n}");
    let ip = format!("127.0.0.{}", 10 + n);
    let smtp = app.jobs.smtp.to_string();
    let tagger = app.jobs.tagger_url.to_string();
    let token = format!("--internal-token={}", app.token.expose());
    WorkerProc::start(
        store_url,
        &[
            "--tagger-url",
            &tagger,
            "--tagger-key",
            crate::web::helpers::TAGGER_KEY,
            "--name",
            &name,
            "--source-ip",
            &ip,
            "-c",
            "2",
            "--web-url",
            &app.address,
            // One argument: a random token may start with '-'.
            &token,
            "--smtp",
            &smtp,
        ],
        &dir.join(format!("{name}.log")),
    )
}

async fn processes(app: &TestApp) -> Vec<ProcessRecord> {
    let mut ps = app.store.processes(now_secs()).await.unwrap_or_default();
    ps.retain(|p| p.hostname().starts_with("worker-"));
    ps.sort_by(|a, b| a.hostname().cmp(b.hostname()));
    ps
}

/// The process records of `workers`, once all have registered; their logs
/// in the panic if they do not within 30 s.
async fn both_registered(app: &TestApp, workers: &[&WorkerProc]) -> Vec<ProcessRecord> {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let ps = processes(app).await;
        if ps.len() == workers.len() {
            return ps;
        }
        if std::time::Instant::now() > deadline {
            let logs: Vec<String> = workers.iter().map(|w| w.log_text()).collect();
            panic!(
                "{} of {} workers registered: {:?}\n{}",
                ps.len(),
                workers.len(),
                ps.iter().map(|p| &p.identity).collect::<Vec<_>>(),
                logs.join("\n---\n")
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Posts a snippet and waits until it is highlighted; returns its page.
async fn highlight_one(app: &TestApp, i: usize) -> String {
    let code = format!("puts {i}");
    let loc = app
        .post_redirect(
            "/snippets",
            &[("language", "ruby"), ("code", &code), ("mode", "async")],
        )
        .await;
    app.wait_for_page(&loc, "id=\"highlighted\"", Duration::from_secs(30))
        .await
}

/// Which worker the page says highlighted it.
fn done_by(page: &str) -> &'static str {
    match (
        page.contains("worker-01 (127.0.0.11)"),
        page.contains("worker-02 (127.0.0.12)"),
    ) {
        (true, false) => "worker-01",
        (false, true) => "worker-02",
        _ => panic!("highlighted by neither worker with its own address: {page}"),
    }
}

async fn two_workers_show_their_own_addresses_and_names(store: TestStore) {
    let url = store.url.clone();
    let app = spawn_app(store).await;
    let dir = temp_dir();
    let _w1 = start_worker(&app, &url, 1, dir.path());
    let _w2 = start_worker(&app, &url, 2, dir.path());
    let ps = both_registered(&app, &[&_w1, &_w2]).await;
    let seen: Vec<(&str, &str)> = ps.iter().map(|p| (p.hostname(), p.ip())).collect();
    assert_eq!(
        seen,
        [("worker-01", "127.0.0.11"), ("worker-02", "127.0.0.12")]
    );
    // Until both have highlighted one (they take turns: two posts).
    let mut by = Vec::new();
    for i in 0..6 {
        by.push(done_by(&highlight_one(&app, i).await));
        if by.contains(&"worker-01") && by.contains(&"worker-02") {
            break;
        }
    }
    assert!(
        by.contains(&"worker-01") && by.contains(&"worker-02"),
        "{by:?}"
    );
    let (_, list) = app.page("/snippets").await;
    assert!(list.contains("worker-01 (127.0.0.11)"), "{list}");
    assert!(list.contains("worker-02 (127.0.0.12)"), "{list}");
    // Recent jobs carry the same identities.
    let recent = app.store.recent_jobs(20, None).await.unwrap();
    assert!(!recent.is_empty());
    for r in &recent {
        let expected = match r.host.as_str() {
            "worker-01" => "127.0.0.11",
            "worker-02" => "127.0.0.12",
            other => panic!("a job done by {other}"),
        };
        assert_eq!(r.ip, expected, "{r:?}");
    }
    app.stop().await;
}

async fn idle_workers_take_turns(store: TestStore) {
    let url = store.url.clone();
    let app = spawn_app(store).await;
    let dir = temp_dir();
    let _w1 = start_worker(&app, &url, 1, dir.path());
    let _w2 = start_worker(&app, &url, 2, dir.path());
    both_registered(&app, &[&_w1, &_w2]).await;
    // One after another: each is done before the next is posted, so both
    // workers are idle every time.
    let mut counts = [0usize; 2];
    let mut order = Vec::new();
    for i in 0..20 {
        let who = done_by(&highlight_one(&app, i).await);
        counts[usize::from(who == "worker-02")] += 1;
        order.push(&who[7..]);
    }
    eprintln!(
        "worker-01 {} / worker-02 {}: {}",
        counts[0],
        counts[1],
        order.join(" ")
    );
    assert!(
        counts[0] >= 5 && counts[1] >= 5,
        "worker-01 {} / worker-02 {}: {}",
        counts[0],
        counts[1],
        order.join(" ")
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_two_workers_show_their_own_addresses_and_names() {
    two_workers_show_their_own_addresses_and_names(TestStore::sqlite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_idle_workers_take_turns() {
    idle_workers_take_turns(TestStore::sqlite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_two_workers_show_their_own_addresses_and_names() {
    if let Some(s) = open_redis() {
        two_workers_show_their_own_addresses_and_names(s).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_idle_workers_take_turns() {
    if let Some(s) = open_redis() {
        idle_workers_take_turns(s).await;
    }
}

/// The source address is really used: Redis lists the worker's connections
/// from 127.0.0.11, the SMTP server gets the mail from it, and the tagging
/// API its call (made by the HTTP client that also reaches the web node).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_start_from_the_source_address() {
    let Some(store) = open_redis() else {
        return;
    };
    let url = store.url.clone();
    let app = spawn_app_with(
        store,
        AppOptions {
            smtp: true,
            tagger: true,
            ..AppOptions::default()
        },
    )
    .await;
    let dir = temp_dir();
    let _w1 = start_worker(&app, &url, 1, dir.path());
    eventually(Duration::from_secs(30), "worker-01", || async {
        (processes(&app).await.len() == 1).then_some(())
    })
    .await;
    let client = redis::Client::open(url.as_str()).unwrap();
    let mut con = client.get_multiplexed_async_connection().await.unwrap();
    let list: String = redis::cmd("CLIENT")
        .arg("LIST")
        .query_async(&mut con)
        .await
        .unwrap();
    let from_worker = list.matches("addr=127.0.0.11:").count();
    assert!(from_worker >= 1, "{list}");
    app.post_redirect(
        "/fibtastic",
        &[("email", "ada@example.com"), ("sequence_length", "10")],
    )
    .await;
    let smtp = app.smtp.as_ref().unwrap();
    let mail = eventually(Duration::from_secs(30), "a mail", || async {
        smtp.mails().into_iter().next()
    })
    .await;
    assert_eq!(mail.peer.ip().to_string(), "127.0.0.11");
    let loc = app
        .post_redirect(
            "/blog/posts",
            &[
                ("title", "Queues"),
                ("body", "Workers take jobs from queues; queues hold jobs."),
                ("tag_list", ""),
            ],
        )
        .await;
    app.wait_for_page(
        &loc,
        "id=\"tagged-by\" class=\"worker\">worker-01",
        Duration::from_secs(30),
    )
    .await;
    let tagger = app.tagger.as_ref().unwrap();
    let peers: Vec<String> = tagger.peers().iter().map(|p| p.to_string()).collect();
    assert_eq!(peers, ["127.0.0.11"]);
    app.stop().await;
}

/// A Redis in protected mode refuses 127.0.0.11: the worker says so, reaches
/// the store from the default address, and is still worker-01 at 127.0.0.11.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_that_refuses_the_address_is_reached_from_the_default_one() {
    let Some(store) = TestStore::redis() else {
        return;
    };
    let url = store.url.clone();
    let app = spawn_app(store).await;
    let dir = temp_dir();
    let w1 = start_worker(&app, &url, 1, dir.path());
    let ps = eventually(Duration::from_secs(30), "worker-01", || async {
        let ps = processes(&app).await;
        (ps.len() == 1).then_some(ps)
    })
    .await;
    assert_eq!((ps[0].hostname(), ps[0].ip()), ("worker-01", "127.0.0.11"));
    let log = w1.log_text();
    assert!(log.contains("Redis refuses connections"), "{log}");
    assert!(log.contains("protected mode"), "{log}");
    app.stop().await;
}

/// An address this machine does not have, or a store it cannot be used
/// with, is refused with a message, never a panic.
#[test]
fn bad_source_addresses_are_refused_with_a_reason() {
    let dir = temp_dir();
    let db = format!("sqlite://{}", dir.path().join("jobs.db").display());
    let run = |args: &[&str]| {
        std::process::Command::new(kiqlab_bin())
            .arg("worker")
            .args(args)
            .output()
            .unwrap()
    };
    let out = run(&["--store", &db, "--source-ip", "203.0.113.77"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("203.0.113.77 is not an address of this machine"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    let out = run(&["--store", &db, "--source-ip", "0.0.0.0"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("cannot be a source address"), "{err}");
    let out = run(&[
        "--store",
        "rediss://127.0.0.1:1/0",
        "--source-ip",
        "127.0.0.11",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("works with redis://HOST:PORT and sqlite://"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}

/// Starts `kiqlab demo` on `store_url` with its data in `dir`; returns it
/// and its banner's "addresses" line and the `more` lines after it.
async fn start_demo(
    store_url: &str,
    dir: &std::path::Path,
    more: usize,
) -> (tokio::process::Child, Vec<String>) {
    use tokio::io::{AsyncBufReadExt, BufReader};
    let mut demo = tokio::process::Command::new(kiqlab_bin())
        .args(["demo", "--port", "0", "--smtp-port", "0", "--workers", "2"])
        .args(["--store", store_url])
        .env("KIQLAB_DATA_DIR", dir)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(demo.stdout.take().unwrap()).lines();
    let banner = tokio::time::timeout(Duration::from_secs(60), async {
        let mut out = Vec::new();
        while let Some(l) = lines.next_line().await.unwrap() {
            if l.trim_start().starts_with("addresses ") || !out.is_empty() {
                out.push(l.trim().to_owned());
            }
            if out.len() == 1 + more {
                break;
            }
        }
        out
    })
    .await
    .expect("the demo's banner");
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (demo, banner)
}

async fn stop_demo(mut demo: tokio::process::Child) {
    use rustix::process::{kill_process, Pid, Signal};
    kill_process(
        Pid::from_raw(demo.id().unwrap() as i32).unwrap(),
        Signal::TERM,
    )
    .unwrap();
    tokio::time::timeout(Duration::from_secs(30), demo.wait())
        .await
        .expect("the demo stops")
        .unwrap();
}

/// `kiqlab demo` gives its workers their own addresses with no set-up, says
/// so in its banner, and they register with them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_gives_each_worker_its_own_address() {
    let dir = temp_dir();
    let url = format!("sqlite://{}", dir.path().join("jobs.db").display());
    let (demo, banner) = start_demo(&url, dir.path(), 0).await;
    assert!(
        banner[0].starts_with("addresses  worker-01 127.0.0.11, worker-02 127.0.0.12"),
        "{banner:?}"
    );
    let store =
        kiqlab::engine::store::open(&kiqlab::engine::store::url::StoreUrl::parse(&url).unwrap())
            .await
            .unwrap();
    let seen = eventually(Duration::from_secs(60), "two demo workers", || async {
        let mut ps = store.processes(now_secs()).await.ok()?;
        ps.retain(|p| p.hostname().starts_with("worker-"));
        let mut seen: Vec<(String, String)> = ps
            .iter()
            .map(|p| (p.hostname().to_owned(), p.ip().to_owned()))
            .collect();
        seen.sort();
        (seen.len() == 2).then_some(seen)
    })
    .await;
    assert_eq!(
        seen,
        [
            ("worker-01".to_owned(), "127.0.0.11".to_owned()),
            ("worker-02".to_owned(), "127.0.0.12".to_owned())
        ]
    );
    stop_demo(demo).await;
}

/// On a Redis in protected mode the banner says the store refuses the
/// workers' addresses, why, and what to set.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_says_when_redis_refuses_the_addresses() {
    let Some(store) = TestStore::redis() else {
        return;
    };
    let dir = temp_dir();
    let (demo, banner) = start_demo(&store.url, dir.path(), 1).await;
    assert!(banner[0].contains("worker-01 127.0.0.11"), "{banner:?}");
    assert!(
        banner[1].starts_with("the store refuses them (protected mode"),
        "{banner:?}"
    );
    assert!(banner[1].contains("requirepass"), "{banner:?}");
    stop_demo(demo).await;
}
