//! A small real tagging API for tests, standing in for `kiqlab tagger`:
//! `POST /enrich` with a text body or JSON `{"text": …}` and the key in
//! `X-AG-Access-Token`; answers OpenCalais-shaped JSON whose social tags are
//! the most frequent words of the text. Can fail its first N calls.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use serde_json::{json, Value};

const STOP_WORDS: &[&str] = &[
    "about", "after", "also", "because", "been", "from", "have", "into", "just", "like", "more",
    "only", "other", "over", "some", "than", "that", "their", "them", "then", "there", "these",
    "they", "this", "very", "what", "when", "which", "while", "with", "would", "your",
];

#[derive(Clone)]
struct Shared {
    key: String,
    calls: Arc<AtomicUsize>,
    fail_first: usize,
    peers: Arc<Mutex<Vec<std::net::IpAddr>>>,
}

pub struct TaggerStub {
    pub port: u16,
    pub key: String,
    calls: Arc<AtomicUsize>,
    peers: Arc<Mutex<Vec<std::net::IpAddr>>>,
    handle: actix_web::dev::ServerHandle,
}

impl TaggerStub {
    pub async fn start(key: &str, fail_first: usize) -> TaggerStub {
        let calls = Arc::new(AtomicUsize::new(0));
        let peers = Arc::new(Mutex::new(Vec::new()));
        let shared = Shared {
            key: key.to_owned(),
            calls: calls.clone(),
            fail_first,
            peers: peers.clone(),
        };
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(web::Data::new(shared.clone()))
                .route("/enrich", web::post().to(enrich))
        })
        .workers(1)
        .disable_signals()
        .listen(listener)
        .unwrap()
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        TaggerStub {
            port,
            key: key.to_owned(),
            calls,
            peers,
            handle,
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/enrich", self.port)
    }

    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    /// Where each call came from.
    pub fn peers(&self) -> Vec<std::net::IpAddr> {
        self.peers.lock().unwrap().clone()
    }
}

impl Drop for TaggerStub {
    fn drop(&mut self) {
        let h = self.handle.clone();
        tokio::spawn(async move { h.stop(false).await });
    }
}

async fn enrich(req: HttpRequest, body: web::Bytes, s: web::Data<Shared>) -> HttpResponse {
    if let Some(peer) = req.peer_addr() {
        s.peers.lock().unwrap().push(peer.ip());
    }
    let n = s.calls.fetch_add(1, Ordering::SeqCst);
    let token = req
        .headers()
        .get("X-AG-Access-Token")
        .and_then(|v| v.to_str().ok());
    if token != Some(s.key.as_str()) {
        return HttpResponse::Unauthorized().json(json!({"error": "bad X-AG-Access-Token"}));
    }
    if n < s.fail_first {
        return HttpResponse::ServiceUnavailable().body("tagger overloaded, try later");
    }
    let raw = String::from_utf8_lossy(&body).into_owned();
    let is_json = req
        .headers()
        .get("Content-Type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let text = if is_json {
        match serde_json::from_str::<Value>(&raw) {
            Ok(v) => v["text"].as_str().unwrap_or_default().to_owned(),
            Err(_) => return HttpResponse::BadRequest().body("malformed JSON"),
        }
    } else {
        raw
    };
    if text.trim().is_empty() {
        return HttpResponse::BadRequest().body("empty text");
    }
    HttpResponse::Ok().json(calais(&text))
}

/// The three most frequent words (4+ letters, not stop words) as social tags.
fn calais(text: &str) -> Value {
    let mut counts: HashMap<String, usize> = HashMap::new();
    for w in text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() >= 4)
    {
        let w = w.to_lowercase();
        if !STOP_WORDS.contains(&w.as_str()) {
            *counts.entry(w).or_default() += 1;
        }
    }
    let mut words: Vec<(String, usize)> = counts.into_iter().collect();
    words.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut out = serde_json::Map::new();
    out.insert(
        "doc".into(),
        json!({"info": {"document": text}, "meta": {"language": "English"}}),
    );
    out.insert(
        "http://d.opencalais.com/dochash-1/cat/1".into(),
        json!({"_typeGroup": "topics", "name": "Technology_Internet", "score": 0.9}),
    );
    for (i, (w, n)) in words.iter().take(3).enumerate() {
        let mut name: Vec<char> = w.chars().collect();
        name[0] = name[0].to_ascii_uppercase();
        let name: String = name.into_iter().collect();
        out.insert(
            format!("http://d.opencalais.com/dochash-1/social/{i}"),
            json!({"_typeGroup": "socialTag", "name": name, "importance": (i + 1).to_string()}),
        );
        out.insert(
            format!("http://d.opencalais.com/dochash-1/entity/{i}"),
            json!({"_typeGroup": "entities", "_type": "IndustryTerm", "name": w,
                   "relevance": 0.2 * (*n as f64).min(5.0),
                   "instances": [{"exact": w, "offset": text.to_lowercase().find(w.as_str()), "length": w.len()}]}),
        );
    }
    Value::Object(out)
}
