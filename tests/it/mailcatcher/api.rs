//! The JSON API in MailCatcher's shape: list, one message in every
//! format, parts, deletes, and clear errors for bad ids and formats.

use lettre::message::header::ContentType;
use lettre::message::{Attachment, MultiPart, SinglePart};
use lettre::Message;
use serde_json::json;

use super::harness::{spawn_catcher, TestCatcher};

/// HTML with an inline image (cid:) and a text alternative, plus a file.
fn rich_message() -> Message {
    let png: Vec<u8> = b"\x89PNG\r\n\x1a\nnot really a png".to_vec();
    Message::builder()
        .from("Ann <ann@example.com>".parse().unwrap())
        .to("bob@example.com".parse().unwrap())
        .cc("Cy <cy@example.com>".parse().unwrap())
        .subject("Rich")
        .multipart(
            MultiPart::mixed()
                .multipart(
                    MultiPart::alternative()
                        .singlepart(SinglePart::plain("plain part".to_owned()))
                        .multipart(
                            MultiPart::related()
                                .singlepart(SinglePart::html(
                                    "<p>logo: <img src=\"cid:logo123\"></p>".to_owned(),
                                ))
                                .singlepart(
                                    Attachment::new_inline("logo123".to_owned())
                                        .body(png, "image/png".parse().unwrap()),
                                ),
                        ),
                )
                .singlepart(
                    Attachment::new("notes.txt".to_owned())
                        .body("the notes".to_owned(), ContentType::TEXT_PLAIN),
                ),
        )
        .unwrap()
}

async fn with_rich_message() -> (TestCatcher, u64) {
    let t = spawn_catcher().await;
    t.send(rich_message()).await;
    let m = t.only_message().await;
    let id = m["id"].as_u64().unwrap();
    (t, id)
}

#[tokio::test]
async fn list_has_mailcatchers_fields() {
    let (t, id) = with_rich_message().await;
    let list = t.get_json("/messages").await;
    let m = &list.as_array().unwrap()[0];
    let keys: Vec<&str> = m.as_object().unwrap().keys().map(String::as_str).collect();
    for k in [
        "id",
        "sender",
        "recipients",
        "subject",
        "size",
        "created_at",
    ] {
        assert!(keys.contains(&k), "{k} missing in {m}");
    }
    assert_eq!(m["id"], id);
    assert_eq!(m["sender"], "<ann@example.com>");
    assert_eq!(
        m["recipients"],
        json!(["<bob@example.com>", "<cy@example.com>"])
    );
    assert_eq!(m["subject"], "Rich");
    assert!(m["size"].as_u64().unwrap() > 100);
    let created = m["created_at"].as_str().unwrap();
    assert!(
        chrono::DateTime::parse_from_rfc3339(created).is_ok(),
        "{created}"
    );
    t.stop().await;
}

#[tokio::test]
async fn one_message_in_every_format() {
    let (t, id) = with_rich_message().await;
    let m = t.get_json(&format!("/messages/{id}.json")).await;
    assert_eq!(m["type"], "multipart/mixed");
    assert_eq!(m["formats"], json!(["source", "html", "plain"]));
    assert_eq!(m["to"], json!(["bob@example.com", "Cy <cy@example.com>"]));
    let attachments = m["attachments"].as_array().unwrap();
    assert_eq!(attachments.len(), 2, "{m}");
    let logo = attachments.iter().find(|a| a["cid"] == "logo123").unwrap();
    assert_eq!(logo["type"], "image/png");
    assert_eq!(logo["href"], format!("/messages/{id}/parts/logo123"));
    let notes = attachments
        .iter()
        .find(|a| a["filename"] == "notes.txt")
        .unwrap();
    assert_eq!(notes["size"], 9);

    let res = t.get(&format!("/messages/{id}.html")).await;
    assert_eq!(res.status(), 200);
    let csp = res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.starts_with("sandbox"), "{csp}");
    let html = res.text().await.unwrap();
    // cid: links point at the part's URL, as in MailCatcher.
    assert!(
        html.contains(&format!("src=\"/messages/{id}/parts/logo123\"")),
        "{html}"
    );
    let logo_res = t.get(&format!("/messages/{id}/parts/logo123")).await;
    assert_eq!(logo_res.status(), 200);
    assert_eq!(logo_res.headers()["content-type"], "image/png");
    assert!(logo_res.bytes().await.unwrap().starts_with(b"\x89PNG"));

    assert_eq!(
        t.get_text(&format!("/messages/{id}.plain")).await.trim(),
        "plain part"
    );
    let notes_body = t.get_text(notes["href"].as_str().unwrap()).await;
    assert_eq!(notes_body, "the notes");

    let source = t.get_text(&format!("/messages/{id}.source")).await;
    assert!(source.starts_with("From: ") || source.contains("\r\nSubject: Rich\r\n"));
    let eml = t.get(&format!("/messages/{id}.eml")).await;
    assert_eq!(eml.status(), 200);
    assert_eq!(eml.headers()["content-type"], "message/rfc822");
    let disposition = eml.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(disposition.starts_with("attachment"), "{disposition}");
    assert_eq!(eml.text().await.unwrap(), source);
    t.stop().await;
}

#[tokio::test]
async fn bad_ids_and_formats_get_4xx_with_a_reason() {
    let (t, id) = with_rich_message().await;
    for (path, status, reason) in [
        ("/messages/999.json".to_owned(), 404, "no message 999"),
        ("/messages/abc.json".to_owned(), 400, "not a message id"),
        ("/messages/0.json".to_owned(), 400, "not a message id"),
        (format!("/messages/{id}.pdf"), 404, "unknown format"),
        (format!("/messages/{id}/parts/nope"), 404, "no part"),
        (
            "/messages/999/parts/logo123".to_owned(),
            404,
            "no message 999",
        ),
        ("/view/999".to_owned(), 404, "no message 999"),
        ("/static/secret.txt".to_owned(), 404, "unknown file"),
    ] {
        let res = t.get(&path).await;
        assert_eq!(res.status(), status, "{path}");
        let body = res.text().await.unwrap();
        assert!(body.contains(reason), "{path}: {body}");
    }
    t.stop().await;
}

#[tokio::test]
async fn a_plain_message_has_no_html_and_says_so() {
    let t = spawn_catcher().await;
    t.send(
        Message::builder()
            .from("a@example.com".parse().unwrap())
            .to("b@example.com".parse().unwrap())
            .subject("plain")
            .body("just text".to_owned())
            .unwrap(),
    )
    .await;
    let m = t.only_message().await;
    let res = t.get(&format!("/messages/{}.html", m["id"])).await;
    assert_eq!(res.status(), 404);
    assert!(res.text().await.unwrap().contains("has no HTML part"));
    t.stop().await;
}

#[tokio::test]
async fn delete_one_then_clear_all() {
    let (t, id) = with_rich_message().await;
    t.send(rich_message()).await;
    t.wait_for_count(2).await;
    let http = &t.http;
    let res = http
        .delete(t.url(&format!("/messages/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let res = http
        .delete(t.url(&format!("/messages/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let list = t.get_json("/messages").await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_ne!(list[0]["id"], id);
    assert_eq!(t.get(&format!("/messages/{id}.json")).await.status(), 404);

    let res = http.delete(t.url("/messages")).send().await.unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(t.get_json("/messages").await, json!([]));
    let res = http.delete(t.url("/messages/abc")).send().await.unwrap();
    assert_eq!(res.status(), 400);
    t.stop().await;
}
