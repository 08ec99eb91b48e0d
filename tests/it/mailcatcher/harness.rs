//! A mail catcher on port 0 (SMTP and HTTP) for one test, with a lettre
//! transport and an HTTP client pointed at it.

use std::time::Duration;

use kiqlab::mailcatcher::web::{self, WebServer};
use kiqlab::mailcatcher::{MailCatcher, MailCatcherConfig};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde_json::Value;

use crate::support::eventually;

pub struct TestCatcher {
    pub catcher: MailCatcher,
    pub web: WebServer,
    pub http: reqwest::Client,
    /// `http://127.0.0.1:PORT` (no trailing slash).
    pub base: String,
}

pub async fn spawn_catcher() -> TestCatcher {
    spawn_catcher_with(MailCatcherConfig::default()).await
}

pub async fn spawn_catcher_with(config: MailCatcherConfig) -> TestCatcher {
    let smtp = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let catcher = MailCatcher::start(smtp, config).unwrap();
    let http = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let web = web::serve(http, catcher.web().unwrap()).unwrap();
    let base = format!("http://{}", web.addr());
    TestCatcher {
        catcher,
        web,
        http: reqwest::Client::new(),
        base,
    }
}

pub fn mailer_for(port: u16) -> AsyncSmtpTransport<Tokio1Executor> {
    AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(port)
        .timeout(Some(Duration::from_secs(30)))
        .build()
}

impl TestCatcher {
    pub fn smtp_port(&self) -> u16 {
        self.catcher.smtp_addr().port()
    }

    pub fn mailer(&self) -> AsyncSmtpTransport<Tokio1Executor> {
        mailer_for(self.smtp_port())
    }

    pub async fn send(&self, message: Message) {
        self.mailer().send(message).await.expect("lettre send");
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http.get(self.url(path)).send().await.expect("GET")
    }

    pub async fn get_json(&self, path: &str) -> Value {
        let res = self.get(path).await;
        assert_eq!(res.status(), 200, "GET {path}");
        res.json().await.expect("JSON body")
    }

    pub async fn get_text(&self, path: &str) -> String {
        let res = self.get(path).await;
        assert_eq!(res.status(), 200, "GET {path}");
        res.text().await.expect("text body")
    }

    /// Waits until the catcher holds `n` messages.
    pub async fn wait_for_count(&self, n: usize) {
        let store = self.catcher.store().clone();
        eventually(Duration::from_secs(30), &format!("{n} messages"), || {
            let store = store.clone();
            async move { (store.len() == n).then_some(()) }
        })
        .await;
    }

    /// The JSON of the only message (waits for it to arrive).
    pub async fn only_message(&self) -> Value {
        self.wait_for_count(1).await;
        let list = self.get_json("/messages").await;
        let id = list[0]["id"].as_u64().unwrap();
        self.get_json(&format!("/messages/{id}.json")).await
    }

    pub async fn stop(self) {
        self.catcher.shutdown().await;
        self.web.stop().await;
    }
}
