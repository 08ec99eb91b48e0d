//! The web node with its real embedded services, as `kiqlab web` runs it:
//! FibTastic mail lands in the mail catcher mounted at `/mail`; the blog's
//! tagging job calls the tagger mounted at `/tagger/enrich`.

use std::time::Duration;

use serde_json::Value;

use super::helpers::{spawn_app_with, web_test, AppOptions, TestStore};
use crate::support::eventually;

fn embedded() -> AppOptions {
    AppOptions {
        embedded: true,
        ..AppOptions::default()
    }
}

async fn fibtastic_mail_arrives_in_the_mounted_mail_catcher(store: TestStore) {
    let mut app = spawn_app_with(store, embedded()).await;
    app.start_worker("worker-01").await;
    app.post_redirect(
        "/fibtastic",
        &[("email", "ada@example.com"), ("sequence_length", "12")],
    )
    .await;
    let list_url = format!("{}/mail/messages", app.address);
    let messages: Vec<Value> = eventually(Duration::from_secs(20), "the mail", || async {
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
    let m = &messages[0];
    assert_eq!(m["subject"], "Your Fib Sequence!");
    assert_eq!(m["recipients"][0], "<ada@example.com>");
    let id = m["id"].as_u64().unwrap();
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
        plain.contains("0, 1, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89"),
        "{plain}"
    );
    let json: Value = app
        .http
        .get(format!("{}/mail/messages/{id}.json", app.address))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let formats: Vec<&str> = json["formats"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        formats.contains(&"html") && formats.contains(&"plain"),
        "{formats:?}"
    );
    // The UI itself is served under /mail/.
    let (status, page) = app.page("/mail/").await;
    assert_eq!(status, 200);
    assert!(page.contains("Your Fib Sequence!"));
    assert!(
        page.contains("id=\"back-to-apps\" href=\"/\""),
        "a way back to the apps"
    );
    app.stop().await;
}

async fn the_blog_is_tagged_by_the_mounted_tagger(store: TestStore) {
    let mut app = spawn_app_with(store, embedded()).await;
    app.start_worker("worker-02").await;
    let loc = app
        .post_redirect(
            "/blog/posts",
            &[
                ("title", "Why Rails"),
                (
                    "body",
                    "Ruby on Rails is a fantastic web framework. It uses MVC, and the Ruby programming language invented by Matz in Japan.",
                ),
            ],
        )
        .await;
    let page = app
        .wait_for_page(&loc, "class=\"worker\">worker-02", Duration::from_secs(30))
        .await;
    let lower = page.to_lowercase();
    assert!(
        lower.contains("ruby on rails") || lower.contains(">ruby<"),
        "{page}"
    );
    assert!(lower.contains("japan"), "{page}");
    // Without the key the tagger refuses.
    let status = app
        .http
        .post(format!("{}/tagger/enrich", app.address))
        .body("Ruby on Rails is a web framework written in Ruby.")
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 401);
    app.stop().await;
}

web_test!(
    fibtastic_mail_arrives_in_the_mounted_mail_catcher,
    the_blog_is_tagged_by_the_mounted_tagger,
);
