//! `kiqlab tagger` as a user runs it: flags parsed and checked, the
//! server up on the chosen port, the API key taken from the environment.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

use super::harness::TUTORIAL;
use crate::support::kiqlab_bin;

#[tokio::test]
async fn the_binary_serves_enrich_with_the_key_from_the_environment() {
    let mut child = Command::new(kiqlab_bin())
        .args([
            "tagger",
            "--port",
            "0",
            "--bind",
            "127.0.0.1",
            "--fail-rate",
            "0",
        ])
        .env("KIQLAB_TAGGER_API_KEY", "env-key")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let banner = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .expect("the banner in time")
        .unwrap()
        .expect("a banner line");
    assert!(banner.contains("X-AG-Access-Token required"), "{banner}");
    assert!(
        !banner.contains("env-key"),
        "the key is never printed: {banner}"
    );
    let url = banner
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap()
        .to_owned();
    let http = reqwest::Client::new();
    let res = http.post(&url).body(TUTORIAL).send().await.unwrap();
    assert_eq!(res.status(), 401);
    let res = http
        .post(&url)
        .header("X-AG-Access-Token", "env-key")
        .body(TUTORIAL)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    let pid = child.id().unwrap().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .await
        .unwrap()
        .success());
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .expect("exits after SIGTERM")
        .unwrap();
    assert!(status.success(), "{status}");
}

#[tokio::test]
async fn bad_flags_are_refused_with_a_reason() {
    for (flag, value, reason) in [
        ("--fail-rate", "1.5", "from 0 to 1"),
        ("--fail-rate", "often", "from 0 to 1"),
        ("--api-key", "has space", "API key"),
        (
            "--latency",
            "soon",
            "invalid value 'soon' for '--latency <DURATION>'",
        ),
    ] {
        let out = Command::new(kiqlab_bin())
            .args(["tagger", "--port", "0", flag, value])
            .output()
            .await
            .unwrap();
        assert!(!out.status.success(), "{flag} {value}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(reason), "{flag} {value}: {err}");
    }
}
