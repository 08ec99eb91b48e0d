//! A request body sent slowly (a byte now and then, or never finished) is
//! timed out with 408 and its connection closed, so a handful of such
//! senders cannot hold the web node's connections and request threads; other
//! visitors are answered meanwhile, and nothing half-sent is saved.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::helpers::{spawn_app, TestStore};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_never_finishes_gets_408_and_the_node_keeps_serving() {
    let app = spawn_app(TestStore::sqlite()).await;
    let addr = app.address.trim_start_matches("http://").to_owned();
    let mut senders = Vec::new();
    let token = app.token.expose().to_owned();
    let requests = [
        (
            "POST",
            "/snippets",
            "application/x-www-form-urlencoded".to_owned(),
            "language=ruby&plain_code=puts",
        ),
        (
            "PUT",
            "/internal/snippets/1/highlight",
            format!("application/json\r\nAuthorization: Bearer {token}"),
            "{\"highlighted_code\": \"<pre>",
        ),
    ];
    for (method, path, content_type, start) in requests {
        let mut conn = tokio::net::TcpStream::connect(&addr).await.unwrap();
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {addr}\r\n\
             Content-Type: {content_type}\r\n\
             Content-Length: 1000\r\n\r\n{start}"
        );
        conn.write_all(head.as_bytes()).await.unwrap();
        senders.push((path, conn, Instant::now()));
    }
    // Meanwhile another visitor is served.
    let (status, body) = app.page("/snippets").await;
    assert_eq!(status, 200);
    assert!(!body.contains("puts"), "nothing half-sent was saved");
    for (path, mut conn, started) in senders {
        let mut answer = Vec::new();
        // Trickle a byte now and then; the answer comes when time is up.
        let read = async {
            loop {
                let mut buf = [0u8; 4096];
                tokio::select! {
                    n = conn.read(&mut buf) => match n {
                        Ok(0) | Err(_) => break,
                        Ok(n) => answer.extend_from_slice(&buf[..n]),
                    },
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {
                        let _ = conn.write_all(b"x").await;
                    }
                }
            }
        };
        tokio::time::timeout(Duration::from_secs(60), read)
            .await
            .unwrap_or_else(|_| panic!("{path}: no answer and no close within 60 s"));
        let answer = String::from_utf8_lossy(&answer);
        assert!(
            answer.starts_with("HTTP/1.1 408"),
            "{path}: answered {answer}"
        );
        assert!(
            started.elapsed() >= Duration::from_secs(5),
            "{path}: not before the body had its time"
        );
        if path.starts_with("/internal/") {
            assert!(answer.contains("did not arrive within"), "{answer}");
        } else {
            assert!(answer.contains("nothing was saved"), "{answer}");
        }
    }
    let (_, body) = app.page("/snippets").await;
    assert!(!body.contains("puts"), "nothing half-sent was saved");
    app.stop().await;
}
