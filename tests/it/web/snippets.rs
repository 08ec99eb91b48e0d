//! Snippets: async highlighting by a worker, sync inline, bad input, escaping.

use std::time::Duration;

use super::helpers::{spawn_app, web_test, TestStore};

async fn a_worker_highlights_the_snippet_and_says_who_it_was(store: TestStore) {
    let mut app = spawn_app(store).await;
    app.start_worker("test-worker-01").await;
    let code = "def hello\n  puts \"<script>alert('x')</script>\"\nend\n";
    let loc = app
        .post_redirect(
            "/snippets",
            &[("language", "ruby"), ("code", code), ("mode", "async")],
        )
        .await;
    assert!(loc.starts_with("/snippets/"), "{loc}");
    let page = app
        .wait_for_page(&loc, "id=\"highlighted\"", Duration::from_secs(20))
        .await;
    assert!(page.contains("test-worker-01 ("), "{page}");
    assert!(page.contains("queue default"));
    assert!(page.contains(&format!("pid {}", std::process::id())));
    assert!(page.contains("created-by\">web "));
    assert!(page.contains("<span style="), "syntect colours");
    assert!(!page.contains("<script>alert"), "user code must be escaped");
    assert!(page.contains("&lt;script&gt;"));
    let (_, index) = app.page("/snippets").await;
    assert!(index.contains("test-worker-01"));
    app.stop().await;
}

async fn the_raw_code_shows_escaped_and_refreshing_until_highlighted(store: TestStore) {
    let app = spawn_app(store).await;
    // No worker: the job waits in the queue.
    let loc = app
        .post_redirect(
            "/snippets",
            &[("language", "html"), ("code", "<script>alert(1)</script>")],
        )
        .await;
    let (status, page) = app.page(&loc).await;
    assert_eq!(status, 200);
    assert!(page.contains("http-equiv=\"refresh\""));
    assert!(
        page.contains("&lt;script&gt;alert(1)&lt;&#x2F;script&gt;"),
        "{page}"
    );
    assert!(!page.contains("<script>alert(1)"));
    let stats = app
        .store
        .stats(kiqlab::engine::clock::now_secs())
        .await
        .unwrap();
    assert_eq!(stats.enqueued, 1);
    app.stop().await;
}

async fn sync_highlights_inline_in_the_request(store: TestStore) {
    let app = spawn_app(store).await;
    let loc = app
        .post_redirect(
            "/snippets",
            &[
                ("language", "rust"),
                ("code", "fn main() {}"),
                ("mode", "sync"),
            ],
        )
        .await;
    let (_, page) = app.page(&loc).await;
    assert!(
        page.contains("id=\"highlighted\""),
        "highlighted before the redirect"
    );
    assert!(page.contains("(inline)"));
    assert!(page.contains("queue inline"));
    let stats = app
        .store
        .stats(kiqlab::engine::clock::now_secs())
        .await
        .unwrap();
    assert_eq!(stats.enqueued, 0, "nothing was enqueued");
    app.stop().await;
}

async fn bad_input_gets_messages_404s_and_413s(store: TestStore) {
    let app = spawn_app(store).await;
    let r = app
        .post_form("/snippets", &[("language", "cobol"), ("code", "  ")])
        .await;
    assert_eq!(r.status().as_u16(), 422);
    let body = r.text().await.unwrap();
    assert!(body.contains("not a language we can highlight"), "{body}");
    assert!(body.contains("Paste some code"));
    for path in ["/snippets/999", "/snippets/abc", "/snippets/-1"] {
        let (status, body) = app.page(path).await;
        assert_eq!(status, 404, "{path}");
        assert!(body.contains("Not found"));
    }
    let big = "x".repeat(65 * 1024);
    let r = app
        .post_form("/snippets", &[("language", "ruby"), ("code", &big)])
        .await;
    assert_eq!(r.status().as_u16(), 413);
    assert!(r.text().await.unwrap().contains("64 KiB"));
    let huge = "x".repeat(2 * 1024 * 1024);
    let r = app
        .post_form("/snippets", &[("language", "ruby"), ("code", &huge)])
        .await;
    assert_eq!(r.status().as_u16(), 413);
    let r = app
        .http
        .post(app.url("/snippets"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("%%%garbage=&&&")
        .send()
        .await
        .unwrap();
    assert!(r.status().is_client_error(), "{}", r.status());
    app.stop().await;
}

web_test!(
    a_worker_highlights_the_snippet_and_says_who_it_was,
    the_raw_code_shows_escaped_and_refreshing_until_highlighted,
    sync_highlights_inline_in_the_request,
    bad_input_gets_messages_404s_and_413s,
);
