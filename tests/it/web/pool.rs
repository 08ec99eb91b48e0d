//! The apps' request pool (`--threads`, Puma's threads): with one thread, a
//! second "run inline" submit waits for the first one's whole work (its
//! `Server-Timing` says how long it queued), while the dashboard, served
//! beside the pool, answers meanwhile. Ordering, not wall-clock thresholds.

use std::time::Duration;

use kiqlab::shutdown::Shutdown;
use kiqlab::startup::Application;

use super::helpers::{test_settings, web_test, TestStore};
use crate::support::{eventually, temp_dir};

/// A `Server-Timing` entry's `dur`.
fn entry_ms(header: &str, name: &str) -> Option<f64> {
    header.split(',').map(str::trim).find_map(|e| {
        let rest = e.strip_prefix(name)?.strip_prefix(";dur=")?;
        rest.split(';').next()?.parse().ok()
    })
}

async fn snippets_in(db: &kiqlab::web::db::Db) -> i64 {
    db.call(|c| Ok(kiqlab::apps::snippets::queries::list(c, 100)?.len() as i64))
        .await
        .unwrap()
}

async fn one_thread_queues_sync_submits_but_not_the_dashboard(store: TestStore) {
    let dir = temp_dir();
    let mut settings = test_settings(&store, dir.path());
    settings.request_threads = 1;
    settings.jobs.highlight_delay = Duration::from_secs(2);
    settings.jobs.http_timeout = Duration::from_secs(10);
    let app = Application::build(settings).await.expect("build the app");
    let base = format!("http://127.0.0.1:{}", app.port());
    let stop = Shutdown::new();
    let server = tokio::spawn(app.run_until_stopped(stop.clone()));
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    let post = |n: &'static str| {
        let (http, base) = (http.clone(), base.clone());
        tokio::spawn(async move {
            let r = http
                .post(format!("{base}/snippets"))
                .form(&[("language", "ruby"), ("code", n), ("mode", "sync")])
                .send()
                .await
                .expect("POST");
            assert_eq!(r.status().as_u16(), 303);
            let timing = r.headers()["server-timing"].to_str().unwrap().to_owned();
            (std::time::Instant::now(), timing)
        })
    };
    let db = kiqlab::web::db::Db::open(&dir.path().join("web.db")).unwrap();
    let first = post("puts 1");
    // The first submit holds the only thread once its snippet is saved.
    eventually(Duration::from_secs(10), "the first snippet", || async {
        (snippets_in(&db).await == 1).then_some(())
    })
    .await;
    let second = post("puts 2");
    // The dashboard is not in the apps' pool: it answers while both wait.
    let r = http.get(format!("{base}/sidekiq")).send().await.unwrap();
    assert!(r.status().is_redirection() || r.status().is_success());
    // While the thread is taken, the second one has not even been saved.
    assert_eq!(snippets_in(&db).await, 1);
    assert!(
        !first.is_finished(),
        "the dashboard answered only after the sync submit"
    );
    let (first_done, first_timing) = first.await.unwrap();
    let (second_done, second_timing) = second.await.unwrap();
    assert!(second_done > first_done, "the second submit finished first");
    let work = entry_ms(&first_timing, "work").expect(&first_timing);
    assert!(work >= 2000.0, "{first_timing}");
    let queued = entry_ms(&second_timing, "queue").expect(&second_timing);
    let total = entry_ms(&second_timing, "app").unwrap();
    let second_work = entry_ms(&second_timing, "work").unwrap();
    // It queued, and its time is its wait plus its own work.
    assert!(
        queued > 0.0 && total >= queued + second_work,
        "{second_timing}"
    );
    assert_eq!(snippets_in(&db).await, 2);
    stop.trigger();
    server.await.unwrap().unwrap();
}

web_test!(one_thread_queues_sync_submits_but_not_the_dashboard);
