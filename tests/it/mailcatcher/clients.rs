//! Messages sent by real clients arrive parsed: lettre (plain, HTML and
//! plain, attachment, non-ASCII subject), Python's smtplib, and 1,000
//! messages from 10 parallel lettre clients.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use kiqlab::mailcatcher::MailCatcherConfig;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, MultiPart, SinglePart};
use lettre::{AsyncTransport, Message};

use super::harness::{mailer_for, spawn_catcher, spawn_catcher_with};

fn builder() -> lettre::message::MessageBuilder {
    Message::builder()
        .from("Ann Example <ann@example.com>".parse().unwrap())
        .to("Bob <bob@example.com>".parse().unwrap())
}

#[tokio::test]
async fn lettre_plain_text() {
    let t = spawn_catcher().await;
    t.send(
        builder()
            .subject("Your Fibonacci numbers")
            .header(ContentType::TEXT_PLAIN)
            .body("1, 1, 2, 3, 5, 8\n.a line that starts with a dot\n".to_owned())
            .unwrap(),
    )
    .await;
    let m = t.only_message().await;
    assert_eq!(m["subject"], "Your Fibonacci numbers");
    assert_eq!(m["sender"], "<ann@example.com>");
    assert_eq!(m["recipients"], serde_json::json!(["<bob@example.com>"]));
    assert_eq!(m["from"], "Ann Example <ann@example.com>");
    assert_eq!(m["type"], "text/plain");
    assert_eq!(m["formats"], serde_json::json!(["source", "plain"]));
    let id = m["id"].as_u64().unwrap();
    let plain = t.get_text(&format!("/messages/{id}.plain")).await;
    assert!(plain.contains("1, 1, 2, 3, 5, 8"), "{plain}");
    // lettre dot-stuffed the line; the catcher unstuffed it.
    assert!(
        plain.contains("\n.a line that starts with a dot"),
        "{plain}"
    );
    assert_eq!(t.get(&format!("/messages/{id}.html")).await.status(), 404);
    t.stop().await;
}

#[tokio::test]
async fn lettre_html_and_plain_alternative() {
    let t = spawn_catcher().await;
    t.send(
        builder()
            .subject("Multipart")
            .multipart(MultiPart::alternative_plain_html(
                "Plain version".to_owned(),
                "<h1>HTML version</h1>".to_owned(),
            ))
            .unwrap(),
    )
    .await;
    let m = t.only_message().await;
    assert_eq!(m["type"], "multipart/alternative");
    assert_eq!(m["formats"], serde_json::json!(["source", "html", "plain"]));
    let id = m["id"].as_u64().unwrap();
    assert_eq!(
        t.get_text(&format!("/messages/{id}.plain")).await.trim(),
        "Plain version"
    );
    assert_eq!(
        t.get_text(&format!("/messages/{id}.html")).await.trim(),
        "<h1>HTML version</h1>"
    );
    t.stop().await;
}

#[tokio::test]
async fn lettre_attachment() {
    let t = spawn_catcher().await;
    let pdf: Vec<u8> = (0u8..=255).cycle().take(5000).collect();
    t.send(
        builder()
            .subject("Report attached")
            .multipart(
                MultiPart::mixed()
                    .singlepart(SinglePart::plain("See the report.".to_owned()))
                    .singlepart(
                        Attachment::new("report.pdf".to_owned())
                            .body(pdf.clone(), "application/pdf".parse().unwrap()),
                    ),
            )
            .unwrap(),
    )
    .await;
    let m = t.only_message().await;
    assert_eq!(m["type"], "multipart/mixed");
    let a = &m["attachments"][0];
    assert_eq!(a["filename"], "report.pdf");
    assert_eq!(a["type"], "application/pdf");
    assert_eq!(a["size"], 5000);
    let res = t.get(a["href"].as_str().unwrap()).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/pdf");
    let disposition = res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(disposition.contains("attachment"), "{disposition}");
    assert!(disposition.contains("report.pdf"), "{disposition}");
    assert_eq!(res.bytes().await.unwrap().as_ref(), pdf.as_slice());
    t.stop().await;
}

#[tokio::test]
async fn lettre_non_ascii_subject_and_body() {
    let t = spawn_catcher().await;
    let subject = "Grüße aus Tōkyō — 日本語の件名 ✓";
    t.send(
        builder()
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body("Ünïcödé body: ラーメン".to_owned())
            .unwrap(),
    )
    .await;
    let m = t.only_message().await;
    assert_eq!(m["subject"], subject);
    let list = t.get_json("/messages").await;
    assert_eq!(list[0]["subject"], subject);
    let id = m["id"].as_u64().unwrap();
    let plain = t.get_text(&format!("/messages/{id}.plain")).await;
    assert_eq!(plain.trim(), "Ünïcödé body: ラーメン");
    // The source is what was sent: the subject is RFC 2047-encoded there.
    let source = t.get_text(&format!("/messages/{id}.source")).await;
    assert!(source.contains("Subject: =?utf-8?"), "{source}");
    t.stop().await;
}

const PYTHON_SENDER: &str = r#"
import smtplib, sys
from email.message import EmailMessage

port = int(sys.argv[1])
msg = EmailMessage()
msg["Subject"] = "Hello from Python ✓"
msg["From"] = "Py Thon <py@example.org>"
msg["To"] = "rust@example.com, other@example.com"
msg.set_content("Sent by smtplib.\n.this line starts with a dot\n")
msg.add_alternative("<p>Hi <b>there</b></p>", subtype="html")
with smtplib.SMTP("127.0.0.1", port, timeout=30) as s:
    code, _ = s.ehlo("python-client")
    assert code == 250, code
    assert s.has_extn("size") and s.has_extn("8bitmime") and s.has_extn("pipelining")
    refused = s.send_message(msg)
    assert refused == {}, refused
    assert s.noop()[0] == 250
    assert s.rset()[0] == 250
print("sent")
"#;

#[tokio::test]
async fn python_smtplib_sends_too() {
    let t = spawn_catcher().await;
    let port = t.smtp_port().to_string();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("python3")
            .arg("-c")
            .arg(PYTHON_SENDER)
            .arg(port)
            .output()
    })
    .await
    .unwrap()
    .expect("python3 is installed");
    assert!(
        out.status.success(),
        "python failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let m = t.only_message().await;
    assert_eq!(m["subject"], "Hello from Python ✓");
    assert_eq!(m["sender"], "<py@example.org>");
    assert_eq!(
        m["recipients"],
        serde_json::json!(["<rust@example.com>", "<other@example.com>"])
    );
    assert_eq!(m["type"], "multipart/alternative");
    let id = m["id"].as_u64().unwrap();
    let plain = t.get_text(&format!("/messages/{id}.plain")).await;
    assert!(plain.contains("\n.this line starts with a dot"), "{plain}");
    let html = t.get_text(&format!("/messages/{id}.html")).await;
    assert!(html.contains("<p>Hi <b>there</b></p>"), "{html}");
    t.stop().await;
}

#[tokio::test]
async fn a_thousand_messages_from_ten_parallel_clients() {
    const CLIENTS: usize = 10;
    const EACH: usize = 100;
    let t = spawn_catcher().await;
    let port = t.smtp_port();
    let mut tasks = Vec::new();
    for c in 0..CLIENTS {
        tasks.push(tokio::spawn(async move {
            let mailer = mailer_for(port);
            for i in 0..EACH {
                let m = builder()
                    .subject(format!("load c{c} m{i}"))
                    .header(ContentType::TEXT_PLAIN)
                    .body(format!("client {c}, message {i}"))
                    .unwrap();
                mailer.send(m).await.expect("send");
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    t.wait_for_count(CLIENTS * EACH).await;
    let list = t.get_json("/messages").await;
    let subjects: HashSet<String> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["subject"].as_str().unwrap().to_owned())
        .collect();
    let expected: HashSet<String> = (0..CLIENTS)
        .flat_map(|c| (0..EACH).map(move |i| format!("load c{c} m{i}")))
        .collect();
    assert_eq!(subjects, expected);
    let ids: HashSet<u64> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids.len(), CLIENTS * EACH, "ids are unique");
    t.stop().await;
}

#[tokio::test]
async fn smtp_delay_slows_every_message_down() {
    let delay = Duration::from_millis(400);
    let t = spawn_catcher_with(MailCatcherConfig {
        smtp_delay: delay,
        ..MailCatcherConfig::default()
    })
    .await;
    let started = Instant::now();
    t.send(
        builder()
            .subject("slow")
            .header(ContentType::TEXT_PLAIN)
            .body("slow provider".to_owned())
            .unwrap(),
    )
    .await;
    assert!(started.elapsed() >= delay, "took {:?}", started.elapsed());
    assert_eq!(t.catcher.store().len(), 1);
    t.stop().await;
}
