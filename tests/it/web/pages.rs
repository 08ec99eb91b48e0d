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
    assert!(
        empty.contains("id=\"timings-empty\"") && !empty.contains("<svg class=\"chart\""),
        "an empty /timings says what to do instead of bare labels: {empty}"
    );
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
    assert!(page.contains("<svg class=\"chart\"") && !page.contains("timings-empty"));
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

/// `/tutorials`: the five walkthroughs' steps, each link a page that opens.
async fn the_tutorials_page_lists_every_step_and_its_links_open(store: TestStore) {
    let app = spawn_app(store).await;
    let (status, page) = app.page("/tutorials").await;
    assert_eq!(status, 200);
    for id in ["000", "001", "002", "003", "004"] {
        assert!(page.contains(&format!("id=\"tutorial-{id}\"")), "{id}");
    }
    assert!(page.matches("data-step=").count() >= 25, "{page}");
    // The icon every page asks for, and a home page title without "kiqlab · kiqlab".
    let icon = app.get("/favicon.ico").await;
    assert_eq!(icon.status().as_u16(), 200);
    assert_eq!(icon.headers()["content-type"], "image/svg+xml");
    let (_, home) = app.page("/").await;
    assert!(
        home.contains("<title>Background jobs with Sidekiq · kiqlab</title>"),
        "{home:.400}"
    );
    assert!(
        page.contains("class=\"plain step-command\">kiqlab "),
        "commands shown"
    );
    let ol = &page[page.find("<ol class=\"checklist\">").unwrap()..];
    let mut links: Vec<&str> = ol
        .split("href=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .filter(|l| l.starts_with('/'))
        .collect();
    links.sort();
    links.dedup();
    assert!(links.len() >= 5, "{links:?}");
    for l in links {
        let status = app.get(l).await.status().as_u16();
        // The dashboard sends a visitor to sign in first; without its own
        // mail catcher this test node's /mail leads to the separate one.
        let redirect_ok = l.starts_with("/sidekiq") || l == "/mail";
        assert!(
            status == 200 || (redirect_ok && (302..=303).contains(&status)),
            "{l}: {status}"
        );
    }
    app.stop().await;
}

web_test!(
    every_response_is_timed_and_every_page_shows_it,
    timings_compare_sync_and_async_per_app,
    the_tutorials_page_lists_every_step_and_its_links_open,
);
