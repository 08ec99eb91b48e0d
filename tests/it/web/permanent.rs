//! Permanent failures are not retried: a mail the catcher refuses (552) and
//! a tagger answering 401 put the job in the dead set at once, with the
//! reason; and every sequence length FibTastic's form accepts is delivered
//! by the real mail catcher at its default size cap.

use std::time::Duration;

use kiqlab::engine::store::{Page, SetKind, SetQuery, SortedEntry};
use serde_json::Value;

use super::helpers::{jid_in, spawn_app_with, web_test, AppOptions, TestApp, TestStore};
use crate::support::eventually;

async fn entries(app: &TestApp, set: SetKind, jid: &str) -> Vec<SortedEntry> {
    app.store
        .set_entries(&SetQuery::new(set, Page::oldest(0, 100)).matching(Some(jid)))
        .await
        .unwrap()
}

/// The dead-set entry of `jid`, once there; no retry entry was ever made.
async fn dead_at_once(app: &TestApp, jid: &str) -> kiqlab::engine::job::Job {
    let dead = eventually(Duration::from_secs(20), "the dead entry", || async {
        entries(app, SetKind::Dead, jid).await.into_iter().next()
    })
    .await;
    assert!(
        entries(app, SetKind::Retry, jid).await.is_empty(),
        "a permanent error is not retried"
    );
    let job = dead.job.expect("a valid job");
    assert_eq!(job.retry_count(), Some(0), "failed once, not retried");
    job
}

async fn a_refused_mail_goes_to_dead_at_once_with_its_reason(store: TestStore) {
    let mut app = spawn_app_with(
        store,
        AppOptions {
            embedded: true,
            mail_max_size: Some(2_000),
            ..AppOptions::default()
        },
    )
    .await;
    app.start_worker("worker-01").await;
    let loc = app
        .post_redirect(
            "/fibtastic",
            &[("email", "ada@example.com"), ("sequence_length", "300")],
        )
        .await;
    let (_, page) = app.page(&loc).await;
    let job = dead_at_once(&app, &jid_in(&page)).await;
    assert_eq!(job.error_class(), Some("Net::SMTPFatalError"));
    let msg = job.error_message().unwrap();
    assert!(
        msg.contains("552") || msg.contains("size exceeds"),
        "the server's reason: {msg}"
    );
    app.stop().await;
}

async fn a_tagger_refusing_the_key_goes_to_dead_at_once(store: TestStore) {
    let mut app = spawn_app_with(
        store,
        AppOptions {
            tagger: true,
            ..AppOptions::default()
        },
    )
    .await;
    let mut jobs = app.jobs.clone();
    jobs.tagger_key = Some(kiqlab::secret::Secret::new("not-the-key"));
    app.start_worker_with("worker-01", &jobs).await;
    let loc = app
        .post_redirect(
            "/blog/posts",
            &[
                ("title", "Keys"),
                ("body", "Sidekiq workers and Redis queues."),
            ],
        )
        .await;
    let jid = app.jid_of_post(&loc).await;
    let job = dead_at_once(&app, &jid).await;
    let msg = job.error_message().unwrap();
    assert!(msg.contains("401"), "{msg}");
    assert_eq!(app.tagger.as_ref().unwrap().calls(), 1, "called once");
    app.stop().await;
}

async fn the_longest_sequence_the_form_accepts_is_delivered(store: TestStore) {
    let mut app = spawn_app_with(
        store,
        AppOptions {
            embedded: true,
            ..AppOptions::default()
        },
    )
    .await;
    app.start_worker("worker-01").await;
    let loc = app
        .post_redirect(
            "/fibtastic",
            &[("email", "ada@example.com"), ("sequence_length", "10000")],
        )
        .await;
    let list_url = format!("{}/mail/messages", app.address);
    let messages: Vec<Value> = eventually(Duration::from_secs(120), "the mail", || async {
        let v: Vec<Value> = app
            .http
            .get(&list_url)
            .send()
            .await
            .ok()?
            .json()
            .await
            .ok()?;
        (!v.is_empty()).then_some(v)
    })
    .await;
    let id = messages[0]["id"].as_u64().unwrap();
    let plain = app
        .http
        .get(format!("{}/mail/messages/{id}.plain", app.address))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        plain.starts_with("Here's those Fibonacci Numbers"),
        "{plain:.200}"
    );
    // F(9999), the 10,000th number, has 2,090 digits.
    let last = plain.trim_end().rsplit(", ").next().unwrap();
    assert_eq!(last.len(), 2090, "{last:.40}…");
    assert_eq!(plain.matches(", ").count(), 9_999);
    app.wait_for_page(&loc, "Sent by worker-01", Duration::from_secs(30))
        .await;
    app.stop().await;
}

web_test!(
    a_refused_mail_goes_to_dead_at_once_with_its_reason,
    a_tagger_refusing_the_key_goes_to_dead_at_once,
);

mod the_longest_sequence {
    /// SQLite only: a 22 MB mail twice would only repeat the same SMTP path.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::the_longest_sequence_the_form_accepts_is_delivered(super::TestStore::sqlite()).await;
    }
}
