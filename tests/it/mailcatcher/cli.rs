//! `kiqlab mailcatcher` as a user runs it: the binary on port 0 prints
//! where it listens, catches a message, serves it, and stops on SIGTERM.

use std::process::Stdio;
use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::{AsyncTransport, Message};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

use super::harness::mailer_for;
use crate::support::{eventually, kiqlab_bin};

/// The address after `marker` in `line`, up to a comma, slash or space.
fn addr_after(line: &str, marker: &str) -> String {
    let rest = &line[line
        .find(marker)
        .unwrap_or_else(|| panic!("{marker} in {line}"))
        + marker.len()..];
    rest.split([',', '/', ' ']).next().unwrap().to_owned()
}

#[tokio::test]
async fn the_binary_catches_and_serves_mail() {
    let mut child = Command::new(kiqlab_bin())
        .args([
            "mailcatcher",
            "--smtp-bind",
            "127.0.0.1:0",
            "--http-bind",
            "127.0.0.1:0",
            "--smtp-delay",
            "0",
            "--hostname",
            "catcher.test",
        ])
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
    let smtp: std::net::SocketAddr = addr_after(&banner, "smtp://").parse().unwrap();
    let http = addr_after(&banner, "http://");

    mailer_for(smtp.port())
        .send(
            Message::builder()
                .from("fib@example.com".parse().unwrap())
                .to("you@example.com".parse().unwrap())
                .subject("Your Fibonacci numbers")
                .header(ContentType::TEXT_PLAIN)
                .body("1 1 2 3 5".to_owned())
                .unwrap(),
        )
        .await
        .unwrap();
    let client = reqwest::Client::new();
    let list: serde_json::Value = eventually(Duration::from_secs(10), "the message", || {
        let (client, http) = (client.clone(), http.clone());
        async move {
            let list: serde_json::Value = client
                .get(format!("http://{http}/messages"))
                .send()
                .await
                .ok()?
                .json()
                .await
                .ok()?;
            (list.as_array()?.len() == 1).then_some(list)
        }
    })
    .await;
    assert_eq!(list[0]["subject"], "Your Fibonacci numbers");

    let pid = child.id().unwrap().to_string();
    let killed = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .await
        .unwrap();
    assert!(killed.success());
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .expect("exits after SIGTERM")
        .unwrap();
    assert!(status.success(), "{status}");
}

#[tokio::test]
async fn a_port_in_use_is_a_clear_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let out = Command::new(kiqlab_bin())
        .args([
            "mailcatcher",
            "--smtp-bind",
            &addr,
            "--http-bind",
            "127.0.0.1:0",
        ])
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("cannot listen for SMTP on {addr}")),
        "{err}"
    );
}
