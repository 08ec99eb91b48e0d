//! The live list: the event stream delivers an `add` event when a
//! message arrives, and `remove`/`clear` when messages are deleted.

use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::Message;

use super::harness::spawn_catcher;

/// Reads the stream until `needle` has been seen (or fails after a deadline).
async fn read_until(res: &mut reqwest::Response, seen: &mut String, needle: &str) {
    let outcome = tokio::time::timeout(Duration::from_secs(10), async {
        while !seen.contains(needle) {
            match res.chunk().await.expect("read the event stream") {
                Some(chunk) => seen.push_str(&String::from_utf8_lossy(&chunk)),
                None => panic!("the event stream ended; seen so far:\n{seen}"),
            }
        }
    })
    .await;
    assert!(outcome.is_ok(), "no {needle:?} in the stream:\n{seen}");
}

#[tokio::test]
async fn server_sent_events_follow_the_store() {
    let t = spawn_catcher().await;
    let mut res = t.get("/events").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "text/event-stream");
    let mut seen = String::new();
    // The hello event means the subscription is live.
    read_until(&mut res, &mut seen, "event: hello\n").await;

    t.send(
        Message::builder()
            .from("ann@example.com".parse().unwrap())
            .to("bob@example.com".parse().unwrap())
            .subject("Live one")
            .header(ContentType::TEXT_PLAIN)
            .body("hello".to_owned())
            .unwrap(),
    )
    .await;
    read_until(&mut res, &mut seen, "\"subject\":\"Live one\"").await;
    let add = seen
        .split("\n\n")
        .find(|e| e.starts_with("event: add"))
        .expect("an add event");
    let data = add.lines().find_map(|l| l.strip_prefix("data: ")).unwrap();
    let event: serde_json::Value = serde_json::from_str(data).unwrap();
    assert_eq!(event["type"], "add");
    assert_eq!(event["message"]["subject"], "Live one");
    assert_eq!(event["message"]["sender"], "<ann@example.com>");
    let id = event["message"]["id"].as_u64().unwrap();

    let deleted = t
        .http
        .delete(t.url(&format!("/messages/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    read_until(
        &mut res,
        &mut seen,
        &format!("event: remove\ndata: {{\"type\":\"remove\",\"id\":{id}}}"),
    )
    .await;
    t.http.delete(t.url("/messages")).send().await.unwrap();
    read_until(&mut res, &mut seen, "event: clear\n").await;
    drop(res);
    t.stop().await;
}
