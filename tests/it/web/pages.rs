//! Every page: the layout's navigation, its own server time in the footer,
//! a `Server-Timing` header on every response, and `/timings`.

use std::time::Duration;

use super::helpers::{spawn_app, web_test, TestStore};
use crate::support::eventually;

async fn every_response_is_timed_and_every_page_shows_it(store: TestStore) {
    let app = spawn_app(store).await;
    for (path, status) in [
        ("/", 200),
        ("/snippets", 200),
        ("/snippets/new", 200),
        ("/fibtastic", 200),
        ("/blog", 200),
        ("/blog/posts/new", 200),
        ("/playground", 200),
        ("/timings", 200),
        ("/static/style.css", 200),
        ("/no/such/page", 404),
        ("/static/nope.js", 404),
        ("/internal/posts/1", 401),
        ("/mail", 302),
    ] {
        let r = app.get(path).await;
        assert_eq!(r.status().as_u16(), status, "{path}");
        let timing = r
            .headers()
            .get("server-timing")
            .unwrap_or_else(|| panic!("no Server-Timing on {path}"))
            .to_str()
            .unwrap()
            .to_owned();
        assert!(timing.starts_with("app;dur="), "{path}: {timing}");
        let html = r
            .headers()
            .get("content-type")
            .is_some_and(|v| v.to_str().unwrap().starts_with("text/html"));
        let body = r.text().await.unwrap();
        if html {
            assert!(
                body.contains("Server time for this page: <strong id=\"server-time\">"),
                "{path}"
            );
            assert!(
                !body.contains("kiqlab:server-time"),
                "{path}: marker left in"
            );
            for nav in [
                "/snippets",
                "/fibtastic",
                "/blog",
                "/playground",
                "/timings",
                "/sidekiq",
                "/mail",
            ] {
                assert!(
                    body.contains(&format!("href=\"{nav}\"")),
                    "{path} lacks {nav}"
                );
            }
        }
    }
    let r = app.get("/mail").await;
    assert_eq!(r.headers()["location"], "http://127.0.0.1:1/");
    app.stop().await;
}

async fn timings_compare_sync_and_async_per_app(store: TestStore) {
    let app = spawn_app(store).await;
    let (_, empty) = app.page("/timings").await;
    assert!(!empty.contains("sync-median"));
    for mode in ["sync", "async", "async"] {
        let r = app
            .post_form(
                "/snippets",
                &[
                    ("language", "css"),
                    ("code", "a { color: red }"),
                    ("mode", mode),
                ],
            )
            .await;
        let timing = r.headers()["server-timing"].to_str().unwrap().to_owned();
        assert!(
            timing.contains(&format!("desc=\"snippets {mode}\"")),
            "{timing}"
        );
    }
    let page = eventually(Duration::from_secs(5), "both modes", || async {
        let (_, p) = app.page("/timings").await;
        (p.contains("sync-median") && p.contains("async-median")).then_some(p)
    })
    .await;
    let row = &page[page.find("data-app=\"snippets\"").unwrap()..];
    let row = &row[..row.find("</tr>").unwrap()];
    assert!(
        row.contains("<td>1</td>") && row.contains("<td>2</td>"),
        "{row}"
    );
    assert!(page.contains("<svg class=\"chart\""));
    assert!(page.contains("class=\"bar sync median\""));
    assert!(page.contains("class=\"bar async median\""));
    app.stop().await;
}

web_test!(
    every_response_is_timed_and_every_page_shows_it,
    timings_compare_sync_and_async_per_app,
);
