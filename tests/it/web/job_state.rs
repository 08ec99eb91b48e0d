//! Each record's page shows its job's state, live: queued, running,
//! retrying (which retry, the error, when), dead (the error), done; after
//! an edit the blog says it is re-tagging while the old tags still show.

use std::time::Duration;

use super::helpers::{spawn_app_with, web_test, AppOptions, TestStore};

const WAIT: Duration = Duration::from_secs(30);

fn state_of(page: &str) -> &str {
    let i = page.find("data-state=\"").expect("a job-state block") + 12;
    let end = page[i..].find('"').unwrap();
    &page[i..i + end]
}

async fn snippets_go_from_queued_to_done(store: TestStore) {
    let mut app = spawn_app_with(store, AppOptions::default()).await;
    let loc = app
        .post_redirect("/snippets", &[("language", "ruby"), ("code", "puts 1")])
        .await;
    let (_, page) = app.page(&loc).await;
    assert_eq!(state_of(&page), "queued", "no worker yet");
    assert!(
        page.contains("waiting for a worker to pick it up"),
        "{page}"
    );
    assert!(page.contains("http-equiv=\"refresh\""), "live while queued");
    app.start_worker("worker-04").await;
    let page = app.wait_for_page(&loc, "data-state=\"done\"", WAIT).await;
    assert!(
        page.contains("Job done</strong>: worker-04 ran it in "),
        "{page}"
    );
    assert!(
        !page.contains("http-equiv=\"refresh\""),
        "no refresh once done"
    );
    app.stop().await;
}

async fn a_refused_mail_shows_dead_with_its_error(store: TestStore) {
    let mut app = spawn_app_with(
        store,
        AppOptions {
            embedded: true,
            mail_max_size: Some(2_000),
            ..AppOptions::default()
        },
    )
    .await;
    app.start_worker("worker-05").await;
    let loc = app
        .post_redirect(
            "/fibtastic",
            &[("email", "ada@example.com"), ("sequence_length", "300")],
        )
        .await;
    let page = app.wait_for_page(&loc, "data-state=\"dead\"", WAIT).await;
    assert!(page.contains("will not be tried again"), "{page}");
    assert!(page.contains("Net::SMTPFatalError"), "the error: {page}");
    assert!(
        !page.contains("id=\"job-dashboard-link\""),
        "not for visitors"
    );
    assert!(!page.contains("http-equiv=\"refresh\""), "dead is final");
    app.stop().await;
}

async fn the_blog_shows_retries_and_re_tagging_after_an_edit(store: TestStore) {
    let mut app = spawn_app_with(
        store,
        AppOptions {
            tagger: true,
            tagger_fail_first: 1,
            ..AppOptions::default()
        },
    )
    .await;
    app.start_worker("worker-06").await;
    let loc = app
        .post_redirect(
            "/blog/posts",
            &[
                ("title", "Queues"),
                ("body", "Redis queues and Sidekiq workers."),
            ],
        )
        .await;
    let page = app
        .wait_for_page(&loc, "data-state=\"retrying\"", WAIT)
        .await;
    assert!(page.contains("retry 1 of 3 is due at "), "{page}");
    assert!(page.contains("503"), "the tagger's answer: {page}");
    // The retry runs 15-25 s later; retry it now from the set, as the
    // dashboard's "Retry Now" does, to see it done.
    let jid = app.jid_of_post(&loc).await;
    let entry = app.wait_for_retry(&jid).await;
    let api = kiqlab::engine::api::Api::new(
        app.store.clone(),
        std::sync::Arc::new(kiqlab::engine::clock::SystemClock),
    );
    api.apply(
        kiqlab::engine::api::SetKind::Retry,
        &entry.key(),
        kiqlab::engine::api::SetAction::Retry,
    )
    .await
    .unwrap();
    app.wait_for_page(&loc, "data-state=\"done\"", WAIT).await;
    app.stop_workers().await;
    let again = app
        .post_redirect(
            &loc,
            &[
                ("title", "Pipelines"),
                ("body", "Pipelines and more pipelines."),
            ],
        )
        .await;
    let (_, page) = app.page(&again).await;
    assert_eq!(state_of(&page), "queued", "{page}");
    assert!(
        page.contains("Re-tagging after your edit</span> · Job queued"),
        "{page}"
    );
    assert!(page.contains(">queues<"), "the old tags still show: {page}");
    app.start_worker("worker-07").await;
    let page = app.wait_for_page(&loc, "data-state=\"done\"", WAIT).await;
    assert!(page.contains(">pipelines<"), "{page}");
    app.stop().await;
}

/// A sync post whose tagger is down is saved, and a worker tags it later.
async fn a_sync_post_with_the_tagger_down_is_saved_and_queued(store: TestStore) {
    let app = spawn_app_with(
        store,
        AppOptions {
            tagger: true,
            tagger_fail_first: 100,
            ..AppOptions::default()
        },
    )
    .await;
    let loc = app
        .post_redirect(
            "/blog/posts",
            &[
                ("title", "Down"),
                ("body", "The tagger is down."),
                ("mode", "sync"),
            ],
        )
        .await;
    assert!(loc.ends_with("?inline=failed"), "{loc}");
    let (status, page) = app.page(&loc).await;
    assert_eq!(status, 200);
    assert!(page.contains("id=\"inline-failed\""), "{page}");
    assert_eq!(state_of(&page), "queued", "a worker tags it instead");
    app.stop().await;
}

web_test!(
    a_sync_post_with_the_tagger_down_is_saved_and_queued,
    snippets_go_from_queued_to_done,
    a_refused_mail_shows_dead_with_its_error,
    the_blog_shows_retries_and_re_tagging_after_an_edit,
);
