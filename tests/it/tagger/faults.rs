//! The retry lesson's knobs: the API key, `--fail-rate` (0 never fails,
//! 1 always answers 503) and `--latency`.

use std::time::{Duration, Instant};

use kiqlab::tagger::{ApiKey, FailRate, TaggerConfig, TOKEN_HEADER};
use serde_json::Value;

use super::harness::{fault, spawn_tagger, TUTORIAL};

#[tokio::test]
async fn an_api_key_requires_the_token_header() {
    let t = spawn_tagger(TaggerConfig {
        api_key: Some(ApiKey::parse("open-sesame").unwrap()),
        ..TaggerConfig::default()
    })
    .await;
    let res = t.enrich(TUTORIAL).await;
    assert_eq!(res.status(), 401);
    let v: Value = res.json().await.unwrap();
    assert!(fault(&v).contains("X-AG-Access-Token"), "{v}");

    let res = t
        .http
        .post(&t.url)
        .header(TOKEN_HEADER, "open-sesamE")
        .body(TUTORIAL)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["fault"]["detail"]["errorcode"], "InvalidAccessToken");

    let res = t
        .http
        .post(&t.url)
        .header("x-ag-access-token", "open-sesame")
        .body(TUTORIAL)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    t.stop().await;
}

#[tokio::test]
async fn no_api_key_means_no_check() {
    let t = spawn_tagger(TaggerConfig::default()).await;
    assert_eq!(t.enrich(TUTORIAL).await.status(), 200);
    t.stop().await;
}

#[tokio::test]
async fn fail_rate_one_always_answers_503() {
    let t = spawn_tagger(TaggerConfig {
        fail_rate: FailRate::ALWAYS,
        ..TaggerConfig::default()
    })
    .await;
    for _ in 0..20 {
        let res = t.enrich(TUTORIAL).await;
        assert_eq!(res.status(), 503);
        assert_eq!(res.headers()["retry-after"], "1");
        let v: Value = res.json().await.unwrap();
        assert!(fault(&v).contains("fail-rate 1"), "{v}");
    }
    t.stop().await;
}

#[tokio::test]
async fn fail_rate_zero_never_fails() {
    let t = spawn_tagger(TaggerConfig {
        fail_rate: FailRate::NEVER,
        ..TaggerConfig::default()
    })
    .await;
    for _ in 0..50 {
        assert_eq!(t.enrich(TUTORIAL).await.status(), 200);
    }
    t.stop().await;
}

#[tokio::test]
async fn fail_rate_half_fails_some_and_not_all() {
    let t = spawn_tagger(TaggerConfig {
        fail_rate: FailRate::new(0.5).unwrap(),
        ..TaggerConfig::default()
    })
    .await;
    let mut failed = 0;
    for _ in 0..200 {
        // "Hi" is cheap to analyze; faults apply before analysis.
        match t.enrich("Hi").await.status().as_u16() {
            503 => failed += 1,
            200 => {}
            other => panic!("unexpected status {other}"),
        }
    }
    // Binomial(200, 0.5): outside 50..150 has a probability below 1e-12.
    assert!((50..150).contains(&failed), "{failed} of 200 failed");
    t.stop().await;
}

#[tokio::test]
async fn latency_slows_every_answer() {
    let latency = Duration::from_millis(300);
    let t = spawn_tagger(TaggerConfig {
        latency,
        ..TaggerConfig::default()
    })
    .await;
    let started = Instant::now();
    assert_eq!(t.enrich(TUTORIAL).await.status(), 200);
    assert!(started.elapsed() >= latency, "took {:?}", started.elapsed());
    t.stop().await;
}
