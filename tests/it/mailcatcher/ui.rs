//! The web UI over HTTP: the list and message pages render, whatever a
//! message says is HTML-escaped, the HTML part sits in a sandboxed
//! iframe, and every link works when the UI is mounted under `/mail`.

use actix_web::{web, App, HttpServer};
use kiqlab::mailcatcher::{MailCatcher, MailCatcherConfig};
use lettre::message::MultiPart;
use lettre::Message;

use super::harness::{mailer_for, spawn_catcher};
use crate::support::eventually;

const EVIL: &str = "<script>alert('subject')</script> & \"friends\"";

fn evil_message() -> Message {
    Message::builder()
        .from("\"<b>Mallory</b>\" <mallory@example.com>".parse().unwrap())
        .to("bob@example.com".parse().unwrap())
        .subject(EVIL)
        .multipart(MultiPart::alternative_plain_html(
            "<script>alert('plain')</script>".to_owned(),
            "<p>hello</p><script>alert('html')</script>".to_owned(),
        ))
        .unwrap()
}

#[tokio::test]
async fn list_and_message_pages_escape_user_content() {
    let t = spawn_catcher().await;
    t.send(evil_message()).await;
    let m = t.only_message().await;
    let id = m["id"].as_u64().unwrap();

    let res = t.get("/").await;
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let list = res.text().await.unwrap();
    assert!(!list.contains("<script>alert"), "{list}");
    assert!(!list.contains("<b>Mallory</b>"), "{list}");
    assert!(list.contains("&lt;script&gt;alert("), "{list}");
    assert!(list.contains("&amp; &quot;friends&quot;"), "{list}");
    assert!(list.contains(&format!("href=\"/view/{id}\"")), "{list}");
    assert!(list.contains("src=\"/static/app.js\""), "{list}");

    let page = t.get_text(&format!("/view/{id}")).await;
    assert!(!page.contains("<script>alert"), "{page}");
    assert!(page.contains("&lt;script&gt;alert("), "{page}");
    // The HTML part is only ever shown inside a sandboxed iframe.
    assert!(
        page.contains(
            "<iframe class=\"html-body\" sandbox=\"allow-popups allow-popups-to-escape-sandbox\""
        ),
        "{page}"
    );
    assert!(
        page.contains(&format!("src=\"/messages/{id}.html\"")),
        "{page}"
    );
    for tab in ["?tab=html", "?tab=plain", "?tab=source", "?tab=headers"] {
        assert!(page.contains(tab), "{tab} missing: {page}");
    }
    assert!(
        page.contains(&format!("href=\"/messages/{id}.eml\"")),
        "{page}"
    );

    let plain = t.get_text(&format!("/view/{id}?tab=plain")).await;
    assert!(
        plain.contains("&lt;script&gt;alert(&#x27;plain&#x27;)"),
        "{plain}"
    );
    let source = t.get_text(&format!("/view/{id}?tab=source")).await;
    assert!(
        source.contains("Content-Type: multipart&#x2F;alternative"),
        "{source}"
    );
    assert!(!source.contains("<script>"), "{source}");
    let headers = t.get_text(&format!("/view/{id}?tab=headers")).await;
    assert!(headers.contains("<th>Subject</th>"), "{headers}");
    assert!(headers.contains("&lt;script&gt;"), "{headers}");

    let bad = t.get(&format!("/view/{id}?tab=bogus")).await;
    assert_eq!(bad.status(), 400);
    t.stop().await;
}

#[tokio::test]
async fn static_assets_are_served() {
    let t = spawn_catcher().await;
    let js = t.get("/static/app.js").await;
    assert_eq!(js.status(), 200);
    assert!(js.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/javascript"));
    assert!(js.text().await.unwrap().contains("EventSource"));
    let css = t.get("/static/style.css").await;
    assert_eq!(css.status(), 200);
    t.stop().await;
}

#[tokio::test]
async fn mounted_under_a_prefix_every_link_keeps_it() {
    let smtp = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let catcher = MailCatcher::start(smtp, MailCatcherConfig::default()).unwrap();
    let mail_web = catcher.web().unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    // As the web node mounts it: other routes beside a /mail scope.
    let server = HttpServer::new(move || {
        let mail_web = mail_web.clone();
        App::new()
            .route("/", web::get().to(|| async { "web node home" }))
            .service(web::scope("/mail").configure(move |cfg| mail_web.configure(cfg)))
    })
    .workers(1)
    .disable_signals()
    .listen(listener)
    .unwrap()
    .run();
    let handle = server.handle();
    let server_task = tokio::spawn(server);

    lettre::AsyncTransport::send(&mailer_for(catcher.smtp_addr().port()), evil_message())
        .await
        .unwrap();
    let store = catcher.store().clone();
    eventually(std::time::Duration::from_secs(10), "the message", || {
        let store = store.clone();
        async move { (store.len() == 1).then_some(()) }
    })
    .await;
    let id = store.list()[0].id;

    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let get = |path: &str| http.get(format!("http://{addr}{path}")).send();

    assert_eq!(
        get("/").await.unwrap().text().await.unwrap(),
        "web node home"
    );
    let redirect = get("/mail").await.unwrap();
    assert_eq!(redirect.status(), 308);
    assert_eq!(redirect.headers()["location"], "/mail/");

    let list = get("/mail/").await.unwrap().text().await.unwrap();
    assert!(
        list.contains(&format!("href=\"/mail/view/{id}\"")),
        "{list}"
    );
    assert!(list.contains("src=\"/mail/static/app.js\""), "{list}");
    assert!(list.contains("data-base=\"/mail/\""), "{list}");

    let page = get(&format!("/mail/view/{id}"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(&format!("src=\"/mail/messages/{id}.html\"")),
        "{page}"
    );
    assert!(
        page.contains(&format!("href=\"/mail/messages/{id}.eml\"")),
        "{page}"
    );

    let json: serde_json::Value = get("/mail/messages").await.unwrap().json().await.unwrap();
    assert_eq!(json[0]["id"], id.get());
    assert_eq!(get("/mail/static/app.js").await.unwrap().status(), 200);
    assert_eq!(get("/messages").await.unwrap().status(), 404);

    handle.stop(true).await;
    server_task.await.unwrap().unwrap();
    catcher.shutdown().await;
}
