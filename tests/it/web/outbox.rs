//! The transactional outbox, with the job store really down: a redis-server
//! killed under the web node, a SQLite `jobs.db` held locked by another
//! connection, and a `kiqlab web` process killed with `kill -9` while jobs
//! wait. Every record saved keeps its job: none lost, all run once the store
//! is back.

use std::process::Stdio;
use std::time::Duration;

use super::dashboard::harness::Dash;
use super::helpers::{spawn_app, TestStore};
use crate::support::{eventually, kiqlab_bin, listening_url, temp_dir, RedisServer};

const WAITING: &str = "waiting for the queue";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_posts_during_a_redis_outage_are_saved_and_all_highlighted_after_it() {
    let Some(store) = TestStore::redis() else {
        return;
    };
    let mut app = spawn_app(store).await;
    app.redis().kill();
    let mut pages = Vec::new();
    for i in 0..10 {
        let code = format!("puts {i}");
        let loc = app
            .post_redirect(
                "/snippets",
                &[("language", "ruby"), ("code", &code), ("mode", "async")],
            )
            .await;
        pages.push(loc);
    }
    for loc in &pages {
        let (status, page) = app.page(loc).await;
        assert_eq!(status, 200, "{page}");
        assert!(page.contains(WAITING), "{loc}: {page}");
        assert!(page.contains("http-equiv=\"refresh\""));
    }
    assert_eq!(app.outbox_backlog().await, 10);
    app.redis().restart();
    app.start_worker("after-the-outage").await;
    for loc in &pages {
        let page = app
            .wait_for_page(loc, "id=\"highlighted\"", Duration::from_secs(60))
            .await;
        assert!(!page.contains(WAITING), "{page}");
    }
    assert_eq!(app.outbox_backlog().await, 0);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blog_post_and_a_fibtastic_request_wait_out_an_outage_too() {
    let Some(store) = TestStore::redis() else {
        return;
    };
    let mut app = spawn_app(store).await;
    app.redis().kill();
    let post = app
        .post_redirect(
            "/blog/posts",
            &[
                ("title", "Outage"),
                ("body", "Written while Redis was down."),
            ],
        )
        .await;
    let fib = app
        .post_redirect(
            "/fibtastic",
            &[("email", "a@example.com"), ("sequence_length", "5")],
        )
        .await;
    for loc in [&post, &fib] {
        let (status, page) = app.page(loc).await;
        assert_eq!(status, 200, "{page}");
        assert!(page.contains(WAITING), "{loc}: {page}");
    }
    app.redis().restart();
    let jid = app.jid_of_post(&post).await;
    eventually(Duration::from_secs(30), "both jobs queued", || async {
        let s = app
            .store
            .stats(kiqlab::engine::clock::now_secs())
            .await
            .ok()?;
        (s.enqueued == 2 && app.outbox_backlog().await == 0).then_some(())
    })
    .await;
    let (_, page) = app.page(&post).await;
    assert!(!page.contains(WAITING), "{page}");
    let queued = app
        .store
        .queue_jobs(
            &"default".parse().unwrap(),
            kiqlab::engine::store::Page::oldest(0, 10),
        )
        .await
        .unwrap();
    assert!(
        queued.iter().any(|j| j.raw.contains(&jid)),
        "the post's tagging job is queued"
    );
    app.stop().await;
}

/// The SQLite store "down": another connection holds its write lock, so
/// pushes fail, while the dashboard still reads. Posts answer, the dashboard
/// counts the backlog, and once the lock goes every job arrives.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_locked_sqlite_store_fills_the_outbox_and_the_dashboard_counts_it() {
    let dash = Dash::sqlite().await;
    let path = dash.store_url().trim_start_matches("sqlite://").to_owned();
    let lock = rusqlite::Connection::open(&path).unwrap();
    lock.execute_batch("BEGIN IMMEDIATE").unwrap();
    let mut admin = dash.admin().await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for i in 0..3 {
        let r = http
            .post(format!("{}/snippets", dash.address))
            .form(&[("language", "ruby"), ("code", &format!("p {i}"))])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 303, "{}", r.text().await.unwrap());
    }
    let (status, home) = admin.get("/sidekiq").await;
    assert_eq!(status, 200, "{home}");
    assert!(
        home.contains("Outbox backlog: <strong>3</strong>"),
        "{home}"
    );
    lock.execute_batch("ROLLBACK").unwrap();
    drop(lock);
    let db = dash.db.clone();
    eventually(Duration::from_secs(60), "the backlog relayed", || async {
        let n = db.call(|c| kiqlab::web::outbox::backlog(c)).await.ok()?;
        (n == 0).then_some(())
    })
    .await;
    let (_, home) = admin.get("/sidekiq").await;
    assert!(
        home.contains("Outbox backlog: <strong>0</strong>"),
        "{home}"
    );
    // At least once: a push the relay gave up on may still have landed.
    let s = dash
        .store
        .stats(kiqlab::engine::clock::now_secs())
        .await
        .unwrap();
    assert!(s.enqueued >= 3, "{s:?}");
    dash.stop().await;
}

/// `kiqlab web` killed with `kill -9` while its outbox holds jobs (Redis
/// down); started again once Redis is back, its relay sends them all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_relay_resumes_after_the_web_node_is_killed_with_a_backlog() {
    let Some(mut redis) = RedisServer::start() else {
        return;
    };
    let dir = temp_dir();
    let start = |dir: &std::path::Path, url: &str| {
        tokio::process::Command::new(kiqlab_bin())
            .args(["web", "--store", url, "--port", "0", "--no-mailcatcher"])
            .args(["--no-tagger"])
            .env("KIQLAB_DATA_DIR", dir)
            .env_remove("KIQLAB_INTERNAL_TOKEN")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap()
    };
    let mut web = start(dir.path(), &redis.url());
    let base = listening_url(&mut web).await;
    redis.kill();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for i in 0..5 {
        let r = http
            .post(format!("{base}/snippets"))
            .form(&[("language", "ruby"), ("code", &format!("p {i}"))])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 303, "{}", r.text().await.unwrap());
    }
    web.start_kill().unwrap(); // SIGKILL
    web.wait().await.unwrap();
    let db = kiqlab::web::db::Db::open(&dir.path().join("web.db")).unwrap();
    let backlog = db.call(|c| kiqlab::web::outbox::backlog(c)).await.unwrap();
    assert_eq!(backlog, 5, "the jobs survived the kill in web.db");
    redis.restart();
    let mut web = start(dir.path(), &redis.url());
    let _base = listening_url(&mut web).await;
    let mut con = redis.connection();
    eventually(Duration::from_secs(30), "5 jobs in queue:default", || {
        let n: redis::RedisResult<u64> = redis::cmd("LLEN").arg("queue:default").query(&mut con);
        let n = n.ok();
        async move { (n? == 5).then_some(()) }
    })
    .await;
    // The delete follows the push: wait for it, then count again.
    eventually(Duration::from_secs(30), "the outbox emptied", || async {
        let n = db.call(|c| kiqlab::web::outbox::backlog(c)).await.ok()?;
        (n == 0).then_some(())
    })
    .await;
    let n: u64 = redis::cmd("LLEN")
        .arg("queue:default")
        .query(&mut con)
        .unwrap();
    assert_eq!(n, 5, "each job pushed once");
}
