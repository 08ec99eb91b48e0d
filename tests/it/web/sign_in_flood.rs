//! Issue 14: sign-in can't be used to flood the web node. 150 anonymous
//! sign-ins at once, each from its own loopback address (so the per-address
//! limit doesn't hide the cost: every one is a real password check), against
//! a `kiqlab web` process whose memory is read from /proc. Password hashes run
//! on a pool as large as the cores; the rest wait briefly, then get 503 with
//! Retry-After.

use std::net::{IpAddr, Ipv4Addr};
use std::process::Stdio;

use super::dashboard::harness::token_in;
use super::helpers::TestStore;
use crate::support::{kiqlab_bin, listening_url, temp_dir};

const SIGN_INS: u8 = 150;
const MB: u64 = 1000 * 1000;

/// `VmRSS` and `VmHWM` (the peak) of process `pid`, in bytes.
fn memory(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let field = |name: &str| -> u64 {
        let line = status
            .lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_else(|| panic!("{name} in /proc/{pid}/status"));
        let kb: u64 = line[name.len()..]
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .unwrap();
        kb * 1024
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// One visitor from `from`: loads the form (cookie and CSRF token), then
/// signs in as an account that doesn't exist. Returns the answer's status
/// and its Retry-After header.
async fn sign_in(base: String, from: IpAddr, email: String) -> (u16, Option<String>) {
    let http = reqwest::Client::builder()
        .local_address(from)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = http.get(format!("{base}/sign_in")).send().await.unwrap();
    let cookie = r
        .headers()
        .get("set-cookie")
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned());
    let token = token_in(&r.text().await.unwrap()).expect("a CSRF token on /sign_in");
    let mut req = http.post(format!("{base}/sign_in")).form(&[
        ("authenticity_token", token.as_str()),
        ("email", email.as_str()),
        ("password", "not the password"),
    ]);
    if let Some(c) = cookie {
        req = req.header("Cookie", c);
    }
    let r = req.send().await.unwrap();
    let retry = r
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    (r.status().as_u16(), retry)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_sign_ins_grows_the_node_by_at_most_150_mb() {
    let store = TestStore::sqlite();
    let dir = temp_dir();
    let mut web = tokio::process::Command::new(kiqlab_bin())
        .args(["web", "--store", &store.url, "--port", "0"])
        .args(["--no-mailcatcher", "--no-tagger"])
        .env("KIQLAB_DATA_DIR", dir.path())
        .env_remove("KIQLAB_INTERNAL_TOKEN")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let base = listening_url(&mut web).await;
    let pid = web.id().unwrap();
    // Warm up: one check starts the hashing threads and the allocator's arenas.
    let first = sign_in(
        base.clone(),
        "127.0.1.200".parse().unwrap(),
        "warm@x.org".into(),
    )
    .await;
    assert_eq!(first.0, 401, "an unknown account is a wrong password");
    let (before, _) = memory(pid);
    let visitors: Vec<_> = (1..=SIGN_INS)
        .map(|i| {
            let from = IpAddr::V4(Ipv4Addr::new(127, 0, 1, i));
            tokio::spawn(sign_in(
                base.clone(),
                from,
                format!("nobody{i}@example.com"),
            ))
        })
        .collect();
    let mut answers = Vec::new();
    for v in visitors {
        answers.push(v.await.unwrap());
    }
    let (after, peak) = memory(pid);
    let checked = answers.iter().filter(|a| a.0 == 401).count();
    let busy: Vec<_> = answers.iter().filter(|a| a.0 == 503).collect();
    eprintln!(
        "sign-in flood: {SIGN_INS} at once: {checked} checked (401), {} busy (503); \
         RSS {} MB before, {} MB after, peak {} MB",
        busy.len(),
        before / MB,
        after / MB,
        peak / MB
    );
    assert_eq!(
        checked + busy.len(),
        usize::from(SIGN_INS),
        "only 401 (checked) and 503 (busy): {answers:?}"
    );
    assert!(checked > 0, "some checks ran: {answers:?}");
    for (_, retry) in &busy {
        let secs: u64 = retry
            .as_deref()
            .expect("a 503 says when to retry")
            .parse()
            .unwrap();
        assert!((1..=60).contains(&secs), "Retry-After: {secs}");
    }
    assert!(
        peak.saturating_sub(before) <= 150 * MB,
        "the node grew from {} MB to a peak of {} MB",
        before / MB,
        peak / MB
    );
    web.start_kill().unwrap();
    web.wait().await.unwrap();
}
