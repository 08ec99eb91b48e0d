//! The blog: posts CRUD, automatic tags from a real tagging API, retries.

use std::time::Duration;

use super::helpers::{spawn_app_with, web_test, AppOptions, TestStore};

const BODY: &str = "Sidekiq runs background jobs. Sidekiq workers pull jobs from Redis; \
                    Redis keeps the queues while workers process the jobs.";

async fn posts_are_auto_tagged_by_a_worker(store: TestStore) {
    let mut app = spawn_app_with(
        store,
        AppOptions {
            tagger: true,
            ..AppOptions::default()
        },
    )
    .await;
    app.start_worker("test-worker-03").await;
    let loc = app
        .post_redirect(
            "/blog/posts",
            &[
                ("title", "Queues <b>explained</b>"),
                ("body", BODY),
                ("tag_list", "Ruby, web apps"),
            ],
        )
        .await;
    let page = app
        .wait_for_page(
            &loc,
            "Tagged by</dt><dd id=\"tagged-by\" class=\"worker\">test-worker-03",
            Duration::from_secs(20),
        )
        .await;
    // Manual and automatic tags shown apart.
    let manual = section(&page, "manual-tags");
    let auto = section(&page, "auto-tags");
    assert!(
        manual.contains(">ruby<") && manual.contains(">web apps<"),
        "{manual}"
    );
    assert!(
        auto.contains(">jobs<") && auto.contains(">redis<"),
        "{auto}"
    );
    assert!(!auto.contains(">ruby<"));
    assert!(
        page.contains("Queues &lt;b&gt;explained&lt;&#x2F;b&gt;"),
        "title escaped"
    );
    assert_eq!(app.tagger.as_ref().unwrap().calls(), 1);
    // By tag, automatic or manual.
    let (_, by_tag) = app.page("/blog/tags/queues").await;
    assert!(by_tag.contains(&loc));
    let (_, by_tag) = app.page("/blog/tags/web%20apps").await;
    assert!(by_tag.contains(&loc));
    let (_, none) = app.page("/blog/tags/cobol").await;
    assert!(!none.contains(&loc));
    // Edit: new manual tags, tagged again.
    let (_, edit) = app.page(&format!("{loc}/edit")).await;
    assert!(edit.contains("value=\"ruby, web apps\""));
    let again = app
        .post_redirect(
            &loc,
            &[
                ("title", "Pipelines"),
                ("body", "Pipelines pipelines everywhere"),
                ("tag_list", ""),
            ],
        )
        .await;
    assert_eq!(again, loc);
    let page = app
        .wait_for_page(&loc, ">pipelines<", Duration::from_secs(20))
        .await;
    assert!(section(&page, "manual-tags").contains("none"));
    assert_eq!(app.tagger.as_ref().unwrap().calls(), 2);
    // Delete.
    let r = app.post_form(&format!("{loc}/delete"), &[]).await;
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(app.page(&loc).await.0, 404);
    assert_eq!(
        app.post_form(&format!("{loc}/delete"), &[])
            .await
            .status()
            .as_u16(),
        404
    );
    app.stop().await;
}

fn section<'a>(page: &'a str, id: &str) -> &'a str {
    let start = page.find(&format!("id=\"{id}\"")).expect(id);
    let end = page[start..].find("</dd>").unwrap() + start;
    &page[start..end]
}

async fn a_failing_tagger_makes_the_job_retry(store: TestStore) {
    let mut app = spawn_app_with(
        store,
        AppOptions {
            tagger: true,
            tagger_fail_first: 100,
            ..AppOptions::default()
        },
    )
    .await;
    app.start_worker("test-worker-04").await;
    let loc = app
        .post_redirect("/blog/posts", &[("title", "T"), ("body", BODY)])
        .await;
    let (_, page) = app.page(&loc).await;
    assert!(page.contains("waiting for a worker"));
    let jid = app.jid_of_post(&loc).await;
    let entry = app.wait_for_retry(&jid).await;
    let job = entry.job.unwrap();
    assert_eq!(job.class(), "AutoTagWorker");
    assert_eq!(job.get("retry"), Some(&serde_json::json!(3)));
    assert!(
        job.error_message().unwrap().contains("503"),
        "{:?}",
        job.error_message()
    );
    app.stop().await;
}

async fn sync_tags_inline_and_forms_explain_mistakes(store: TestStore) {
    let app = spawn_app_with(
        store,
        AppOptions {
            tagger: true,
            ..AppOptions::default()
        },
    )
    .await;
    let loc = app
        .post_redirect(
            "/blog/posts",
            &[("title", "Sync"), ("body", BODY), ("mode", "sync")],
        )
        .await;
    let (_, page) = app.page(&loc).await;
    assert!(page.contains("(inline)"), "tagged before the redirect");
    assert!(section(&page, "auto-tags").contains(">jobs<"));
    let r = app
        .post_form(
            "/blog/posts",
            &[("title", " "), ("body", ""), ("tag_list", &"x".repeat(60))],
        )
        .await;
    assert_eq!(r.status().as_u16(), 422);
    let body = r.text().await.unwrap();
    assert!(body.contains("Give the post a title"));
    assert!(body.contains("Write something"));
    assert!(body.contains("longer than 50 characters"));
    assert_eq!(app.page("/blog/posts/12345").await.0, 404);
    assert_eq!(app.page("/blog/posts/12345/edit").await.0, 404);
    app.stop().await;
}

web_test!(
    posts_are_auto_tagged_by_a_worker,
    a_failing_tagger_makes_the_job_retry,
    sync_tags_inline_and_forms_explain_mistakes,
);
