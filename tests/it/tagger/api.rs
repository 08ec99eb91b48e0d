//! What the tagger answers: the tutorial sentence's tags and entities in
//! OpenCalais' shape, JSON input, tiny input, malformed and oversized
//! bodies.

use kiqlab::tagger::TaggerConfig;
use serde_json::{json, Value};

use super::harness::{fault, group, spawn_tagger, TUTORIAL};

#[tokio::test]
async fn the_tutorial_sentence_gets_ruby_tags_and_japan() {
    let t = spawn_tagger(TaggerConfig::default()).await;
    let res = t.enrich(TUTORIAL).await;
    assert_eq!(res.status(), 200);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["doc"]["meta"]["language"], "English");
    assert_eq!(v["doc"]["meta"]["contentType"], "text/raw");

    let tags: Vec<&str> = group(&v, "socialTag")
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert!(
        tags.contains(&"Ruby on Rails") || tags.contains(&"Ruby"),
        "{tags:?}"
    );
    for tag in group(&v, "socialTag") {
        let importance: u8 = tag["importance"].as_str().unwrap().parse().unwrap();
        assert!((1..=3).contains(&importance), "{tag}");
    }

    let topics = group(&v, "topics");
    assert_eq!(topics[0]["name"], "Technology_Internet");
    assert!(topics[0]["score"].as_f64().unwrap() > 0.0);

    let entities = group(&v, "entities");
    let japan = entities
        .iter()
        .find(|e| e["name"] == "Japan")
        .expect("an entity Japan");
    assert_eq!(japan["_type"], "Country");
    let relevance = japan["relevance"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&relevance));
    let instance = &japan["instances"][0];
    let (offset, length) = (
        instance["offset"].as_u64().unwrap() as usize,
        instance["length"].as_u64().unwrap() as usize,
    );
    assert_eq!(
        TUTORIAL
            .chars()
            .skip(offset)
            .take(length)
            .collect::<String>(),
        "Japan"
    );
    assert_eq!(instance["exact"], "Japan");
    assert_eq!(
        instance["detection"],
        format!("[{}]Japan[.]", instance["prefix"].as_str().unwrap())
    );
    let matz = entities.iter().find(|e| e["name"] == "Matz").expect("Matz");
    assert_eq!(matz["_type"], "Person");
    t.stop().await;
}

#[tokio::test]
async fn json_bodies_and_opencalais_own_path_work_too() {
    let t = spawn_tagger(TaggerConfig::default()).await;
    let res = t
        .http
        .post(&t.url)
        .json(&json!({"text": TUTORIAL}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let v: Value = res.json().await.unwrap();
    assert!(group(&v, "entities").iter().any(|e| e["name"] == "Japan"));

    let calais = t.url.replace("/enrich", "/permid/calais");
    let res = t.http.post(calais).body(TUTORIAL).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let res = t.http.get(&t.url).send().await.unwrap();
    assert_eq!(res.status(), 405);
    t.stop().await;
}

#[tokio::test]
async fn tiny_input_is_input_text_too_short() {
    let t = spawn_tagger(TaggerConfig::default()).await;
    for text in ["", "Hi", "Ruby rocks"] {
        let res = t.enrich(text).await;
        assert_eq!(res.status(), 200, "{text:?}");
        let v: Value = res.json().await.unwrap();
        assert_eq!(
            v["doc"]["meta"]["language"], "InputTextTooShort",
            "{text:?}"
        );
        assert_eq!(v.as_object().unwrap().len(), 1, "only doc: {v}");
    }
    t.stop().await;
}

#[tokio::test]
async fn malformed_json_gets_400_with_a_reason() {
    let t = spawn_tagger(TaggerConfig::default()).await;
    for (body, reason) in [
        (r#"{"text": "#, "EOF while parsing"),
        (r#"{"title": "no text"}"#, "missing field `text`"),
        (r#"{"text": 42}"#, "invalid type"),
        ("not json at all", "expected ident"),
    ] {
        let res = t
            .http
            .post(&t.url)
            .header("Content-Type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400, "{body}");
        let v: Value = res.json().await.unwrap();
        assert!(fault(&v).contains("malformed JSON"), "{v}");
        assert!(fault(&v).contains(reason), "{body}: {v}");
        assert_eq!(v["fault"]["detail"]["errorcode"], "MalformedJson");
    }
    let res = t
        .http
        .post(&t.url)
        .header("Content-Type", "text/raw")
        .body(b"caf\xe9 latin-1".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let v: Value = res.json().await.unwrap();
    assert!(fault(&v).contains("not UTF-8"), "{v}");
    t.stop().await;
}

#[tokio::test]
async fn bodies_over_100_kb_get_413() {
    let t = spawn_tagger(TaggerConfig::default()).await;
    let big = "Ruby on Rails in Japan. ".repeat(150 * 1024 / 24);
    let res = t.enrich(&big).await;
    assert_eq!(res.status(), 413);
    let v: Value = res.json().await.unwrap();
    assert!(fault(&v).contains("102400-byte limit"), "{v}");

    // Chunked, with no Content-Length to check up front: still 413.
    let raw = chunked_post(&t.url, 2, 60 * 1024).await;
    assert!(raw.starts_with("HTTP/1.1 413"), "{raw}");

    // Just under the limit is fine.
    let fits = "Ruby on Rails in Japan. ".repeat(100 * 1024 / 24 - 10);
    assert!(fits.len() < 100 * 1024);
    assert_eq!(t.enrich(&fits).await.status(), 200);
    t.stop().await;
}

/// A raw HTTP/1.1 POST with `chunks` chunks of `size` bytes; the status
/// line and what follows.
async fn chunked_post(url: &str, chunks: usize, size: usize) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = url
        .trim_start_matches("http://")
        .trim_end_matches("/enrich")
        .to_owned();
    let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST /enrich HTTP/1.1\r\nHost: {addr}\r\nContent-Type: text/raw\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    s.write_all(head.as_bytes()).await.unwrap();
    let chunk = "word ".repeat(size / 5);
    for _ in 0..chunks {
        let framed = format!("{:x}\r\n{chunk}\r\n", chunk.len());
        // The server may answer and close before taking every chunk.
        if s.write_all(framed.as_bytes()).await.is_err() {
            break;
        }
    }
    let _ = s.write_all(b"0\r\n\r\n").await;
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out).await;
    String::from_utf8_lossy(&out).into_owned()
}
