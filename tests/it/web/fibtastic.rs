//! FibTastic: a worker mails the sequence through a real SMTP server.

use std::time::Duration;

use super::helpers::{spawn_app_with, web_test, AppOptions, TestStore};
use crate::support::eventually;

async fn the_worker_mails_the_sequence(store: TestStore) {
    let mut app = spawn_app_with(
        store,
        AppOptions {
            smtp: true,
            ..AppOptions::default()
        },
    )
    .await;
    app.start_worker("test-worker-02").await;
    let loc = app
        .post_redirect(
            "/fibtastic",
            &[("email", "ada@example.com"), ("sequence_length", "10")],
        )
        .await;
    let (_, thanks) = app.page(&loc).await;
    assert!(thanks.contains("Thanks! A carefully crafted fibonacci sequence"));
    assert!(thanks.contains("href=\"/mail\""));
    let smtp = app.smtp.as_ref().unwrap();
    let mail = eventually(Duration::from_secs(20), "a mail", || async {
        smtp.mails().into_iter().next()
    })
    .await;
    assert_eq!(mail.from, "fibmaster@example.com");
    assert_eq!(mail.to, vec!["ada@example.com".to_owned()]);
    assert!(
        mail.data.contains("Subject: Your Fib Sequence!"),
        "{}",
        mail.data
    );
    assert!(mail.data.contains("multipart/alternative"));
    assert!(mail.data.contains("text/plain"));
    assert!(mail.data.contains("text/html"));
    assert!(mail.data.contains("0, 1, 1, 2, 3, 5, 8, 13, 21, 34"));
    assert!(!mail.data.contains("34, 55"), "exactly 10 numbers");
    app.wait_for_page(&loc, "Sent by test-worker-02", Duration::from_secs(10))
        .await;
    app.stop().await;
}

async fn sync_sends_inline_and_bad_input_is_explained(store: TestStore) {
    let app = spawn_app_with(
        store,
        AppOptions {
            smtp: true,
            ..AppOptions::default()
        },
    )
    .await;
    let loc = app
        .post_redirect(
            "/fibtastic",
            &[
                ("email", "bob@example.com"),
                ("sequence_length", "3"),
                ("mode", "sync"),
            ],
        )
        .await;
    let mails = app.smtp.as_ref().unwrap().mails();
    assert_eq!(mails.len(), 1, "sent before the answer");
    assert!(mails[0].data.contains("0, 1, 1"));
    let (_, thanks) = app.page(&loc).await;
    assert!(thanks.contains("(inline)"), "{thanks}");
    for (email, len, msg) in [
        ("nope", "10", "is not an email address"),
        ("ada@example.com", "0", "at least 1"),
        ("ada@example.com", "10001", "premium"),
        ("ada@example.com", "ten", "not a whole number"),
        ("", "", "Enter your email"),
    ] {
        let r = app
            .post_form("/fibtastic", &[("email", email), ("sequence_length", len)])
            .await;
        assert_eq!(r.status().as_u16(), 422, "{email} {len}");
        let body = r.text().await.unwrap();
        assert!(body.contains(msg), "{msg}: {body}");
    }
    let (status, _) = app.page("/fibtastic/requests/77").await;
    assert_eq!(status, 404);
    app.stop().await;
}

web_test!(
    the_worker_mails_the_sequence,
    sync_sends_inline_and_bad_input_is_explained,
);
