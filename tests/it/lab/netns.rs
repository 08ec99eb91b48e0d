//! `scripts/lab-netns` end to end, as root: the lab comes up from the VMs'
//! own files; 20 snippets posted to the web node over HTTP are highlighted
//! by both workers, each result stamped with its worker's own hostname and
//! IP; then worker-01 is SIGKILLed in the middle of a job and every snippet
//! still ends highlighted (the supervisor restarts it, as systemd's
//! Restart=on-failure does, and its held jobs are recovered). The lab is
//! taken down on every exit path, and `down` leaves nothing behind.

use std::collections::{BTreeMap, BTreeSet};
use std::process::{Command, Output};
use std::time::Duration;

use kiqlab::engine::clock::now_secs;
use kiqlab::engine::job::Job;
use kiqlab::engine::store::redis::scripts::wip_key;
use kiqlab::engine::store::url::StoreUrl;
use kiqlab::engine::store::{self, SharedStore};
use rustix::process::{kill_process, Pid, Signal};

use super::{can_use_netns, netns_lab_free, netns_lab_turn, repo_file};
use crate::support::{eventually, kiqlab_bin};

const WEB: &str = "http://192.168.56.10:3000";
const RUN: &str = "/run/kiqlab-lab";

fn lab(args: &[&str]) -> Output {
    Command::new(repo_file("scripts/lab-netns"))
        .args(args)
        .env("KIQLAB_BIN", kiqlab_bin())
        .env("KIQLAB_WORKERS", "2")
        .env("KIQLAB_LAB_BY_TESTS", "1")
        .env_remove("LAB_RUN")
        .output()
        .expect("run scripts/lab-netns")
}

fn text(o: &Output) -> String {
    format!(
        "status {}\n{}{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Takes the lab down when dropped, whatever happened.
struct LabUp;

impl Drop for LabUp {
    fn drop(&mut self) {
        let o = lab(&["down"]);
        if !o.status.success() {
            eprintln!("lab-netns down failed: {}", text(&o));
        }
    }
}

/// Who highlighted a snippet, from its page: (hostname, IP, pid).
pub(super) fn stamp(page: &str) -> Option<(String, String, u32)> {
    if !page.contains("id=\"highlighted\"") {
        return None;
    }
    let dd = page
        .split("id=\"highlighted-by\" class=\"worker\">")
        .nth(1)?;
    let dd = dd.split("</dd>").next()?;
    let (host, rest) = dd.split_once(" (")?;
    let (ip, rest) = rest.split_once("), pid ")?;
    let pid = rest.split(',').next()?.trim().parse().ok()?;
    Some((host.to_owned(), ip.to_owned(), pid))
}

pub(super) async fn post_snippets(http: &reqwest::Client, n: usize, tag: &str) -> Vec<i64> {
    let mut ids = Vec::new();
    for i in 0..n {
        let r = http
            .post(format!("{WEB}/snippets"))
            .form(&[
                ("language", "ruby"),
                ("code", &format!("puts \"{tag} {i}\"")),
            ])
            .send()
            .await
            .expect("POST /snippets");
        assert_eq!(r.status().as_u16(), 303, "POST /snippets");
        let loc = r.headers()["location"].to_str().unwrap().to_owned();
        ids.push(loc.rsplit('/').next().unwrap().parse().unwrap());
    }
    ids
}

/// Waits until every snippet is highlighted; returns each one's stamp.
async fn all_highlighted(
    http: &reqwest::Client,
    ids: &[i64],
) -> BTreeMap<i64, (String, String, u32)> {
    eventually(
        Duration::from_secs(120),
        "every snippet highlighted",
        || async {
            let mut done = BTreeMap::new();
            for id in ids {
                let page = http
                    .get(format!("{WEB}/snippets/{id}"))
                    .send()
                    .await
                    .ok()?
                    .text()
                    .await
                    .ok()?;
                done.insert(*id, stamp(&page)?);
            }
            Some(done)
        },
    )
    .await
}

/// Live workers: hostname => (pid, IP).
async fn workers(store: &SharedStore) -> BTreeMap<String, (u64, String)> {
    store
        .processes(now_secs())
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|p| (p.hostname().to_owned(), (p.pid(), p.ip().to_owned())))
        .collect()
}

/// The identity and pid of the live worker registered as `host`.
async fn workers_identity(store: &SharedStore, host: &str) -> (String, u64) {
    store
        .processes(now_secs())
        .await
        .unwrap()
        .into_iter()
        .find(|p| p.hostname() == host)
        .map(|p| (p.identity.clone(), p.pid()))
        .unwrap_or_else(|| panic!("{host} is not registered"))
}

fn redis_url() -> String {
    let env = std::fs::read_to_string(format!("{RUN}/lab.env")).expect("the lab's env file");
    env.lines()
        .rev()
        .find_map(|l| l.strip_prefix("REDIS_URL="))
        .expect("REDIS_URL in lab.env")
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn netns_lab_spreads_snippets_over_both_workers_and_survives_a_kill() {
    if !can_use_netns("netns lab") {
        return;
    }
    let _turn = netns_lab_turn().await;
    if !netns_lab_free("netns lab") {
        return;
    }
    let _down = LabUp;
    let up = lab(&["up", "--set", "KIQLAB_HIGHLIGHT_DELAY=3s"]);
    assert!(up.status.success(), "lab-netns up: {}", text(&up));
    // Idempotent: a second `up` changes nothing and succeeds.
    let again = lab(&["up"]);
    assert!(again.status.success(), "second up: {}", text(&again));
    let status = lab(&["status"]);
    let st = text(&status);
    assert!(status.status.success(), "{st}");
    for needle in [
        "192.168.56.10/24  web",
        "192.168.56.11/24  worker-01",
        "192.168.56.12/24  worker-02",
    ] {
        assert!(st.contains(needle), "status lacks {needle:?}: {st}");
    }
    let hostname = lab(&["exec", "worker-02", "hostname"]);
    assert_eq!(
        String::from_utf8_lossy(&hostname.stdout).trim(),
        "worker-02"
    );

    let store = store::open(&StoreUrl::parse(&redis_url()).unwrap())
        .await
        .expect("the lab's Redis, with its password");
    let ws = workers(&store).await;
    assert_eq!(
        ws.iter()
            .map(|(h, (_, ip))| (h.as_str(), ip.as_str()))
            .collect::<Vec<_>>(),
        [
            ("worker-01", "192.168.56.11"),
            ("worker-02", "192.168.56.12")
        ],
        "each worker registers under its own hostname and IP"
    );

    // 20 snippets through the web node: both workers take some, and each
    // result carries its worker's own hostname and IP.
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let page = http
        .get(format!("{WEB}/snippets/new"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status().as_u16(), 200);
    let ids = post_snippets(&http, 20, "first").await;
    let stamps = all_highlighted(&http, &ids).await;
    let mut by_host: BTreeMap<&str, usize> = BTreeMap::new();
    for (host, ip, _) in stamps.values() {
        let want = match host.as_str() {
            "worker-01" => "192.168.56.11",
            "worker-02" => "192.168.56.12",
            other => panic!("highlighted by an unknown host {other}"),
        };
        assert_eq!(ip, want, "{host} reports its own IP");
        *by_host.entry(host).or_default() += 1;
    }
    assert_eq!(by_host.len(), 2, "both workers processed some: {by_host:?}");
    let created = http
        .get(format!("{WEB}/snippets/{}", ids[0]))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        created.contains("web web (192.168.56.10)"),
        "created on the web host"
    );

    // SIGKILL worker-01 in the middle of a job: half a second after it has
    // taken jobs of this batch (its reliable-fetch list in Redis shows them),
    // with three seconds of highlight delay each.
    let ids = post_snippets(&http, 30, "second").await;
    let batch: BTreeSet<i64> = ids.iter().copied().collect();
    let (identity, killed_pid) = workers_identity(&store, "worker-01").await;
    let wip = wip_key(&identity, "default");
    let mut redis = redis::Client::open(redis_url())
        .unwrap()
        .get_connection()
        .unwrap();
    let held = |redis: &mut redis::Connection| -> BTreeSet<i64> {
        let raw: Vec<String> = redis::cmd("LRANGE")
            .arg(&wip)
            .arg(0)
            .arg(-1)
            .query(redis)
            .unwrap();
        raw.iter()
            .filter_map(|r| Job::parse(r).ok()?.args().first()?.as_i64())
            .filter(|id| batch.contains(id))
            .collect()
    };
    eventually(
        Duration::from_secs(30),
        "worker-01 holding jobs of the batch",
        || {
            let h = held(&mut redis);
            async move { (!h.is_empty()).then_some(()) }
        },
    )
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let in_flight = held(&mut redis);
    assert!(!in_flight.is_empty(), "worker-01 still busy");
    let pidfile =
        std::fs::read_to_string(format!("{RUN}/hosts/worker-01/kiqlab-worker.pid")).unwrap();
    assert_eq!(
        pidfile.trim(),
        killed_pid.to_string(),
        "the supervisor's pid file"
    );
    kill_process(Pid::from_raw(killed_pid as i32).unwrap(), Signal::KILL).unwrap();

    let stamps = all_highlighted(&http, &ids).await;
    for id in &in_flight {
        let (host, _, pid) = &stamps[id];
        assert_ne!(
            (host.as_str(), u64::from(*pid)),
            ("worker-01", killed_pid),
            "snippet {id} was in flight on the killed worker and was run again"
        );
    }
    let restarted = eventually(Duration::from_secs(30), "worker-01 restarted", || async {
        let ws = workers(&store).await;
        ws.get("worker-01")
            .filter(|(pid, _)| *pid != killed_pid)
            .cloned()
    })
    .await;
    assert_eq!(restarted.1, "192.168.56.11");
    let stats = store.stats(now_secs()).await.unwrap();
    assert_eq!(stats.enqueued, 0);
    assert!(stats.processed >= 50, "{stats:?}");

    drop(store);
    let down = lab(&["down"]);
    assert!(down.status.success(), "down: {}", text(&down));
    let again = lab(&["down"]);
    assert!(again.status.success(), "down twice: {}", text(&again));
    let netns = Command::new("ip").args(["netns", "list"]).output().unwrap();
    let left = String::from_utf8_lossy(&netns.stdout);
    for ns in ["web", "worker-01", "worker-02", "kiqlab-lan"] {
        assert!(
            !left.split_whitespace().any(|w| w == ns),
            "namespace {ns} left behind: {left}"
        );
    }
    let link = Command::new("ip")
        .args(["link", "show", "kiqlab0"])
        .output()
        .unwrap();
    assert!(!link.status.success(), "kiqlab0 left behind");
    assert!(!std::path::Path::new(RUN).exists(), "{RUN} left behind");
    assert_eq!(
        lab(&["status"]).status.code(),
        Some(3),
        "status says: not up"
    );
}
