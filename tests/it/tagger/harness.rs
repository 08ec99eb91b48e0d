//! A tagger on port 0 for one test, and helpers to read its answers.

use kiqlab::tagger::{self, Tagger, TaggerConfig, TaggerServer};
use serde_json::Value;

pub const TUTORIAL: &str = "Ruby on Rails is a fantastic web framework. It uses MVC, and the \
Ruby programming language invented by Matz in Japan.";

pub struct TestTagger {
    pub server: TaggerServer,
    pub http: reqwest::Client,
    pub url: String,
}

pub async fn spawn_tagger(config: TaggerConfig) -> TestTagger {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let server = tagger::serve(listener, Tagger::new(config)).unwrap();
    let url = format!("http://{}/enrich", server.addr());
    TestTagger {
        server,
        http: reqwest::Client::new(),
        url,
    }
}

impl TestTagger {
    /// POSTs `text` as OpenCalais clients do (`Content-Type: text/raw`).
    pub async fn enrich(&self, text: &str) -> reqwest::Response {
        self.http
            .post(&self.url)
            .header("Content-Type", "text/raw")
            .header("outputFormat", "application/json")
            .body(text.to_owned())
            .send()
            .await
            .expect("POST /enrich")
    }

    pub async fn stop(self) {
        self.server.stop().await;
    }
}

/// The entries of one `_typeGroup`.
pub fn group<'a>(v: &'a Value, type_group: &str) -> Vec<&'a Value> {
    v.as_object()
        .expect("an object")
        .values()
        .filter(|e| e["_typeGroup"] == type_group)
        .collect()
}

/// The fault body's reason.
pub fn fault(v: &Value) -> &str {
    v["fault"]["faultstring"].as_str().expect("a fault string")
}
