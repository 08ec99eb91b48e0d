//! The Vagrant lab's provisioning under systemd, as root (issue 16):
//! `scripts/lab-nspawn` boots three debootstrap'd bookworm containers with
//! systemd as PID 1 on a bridge of its own, copies the project to /vagrant
//! as the Vagrantfile's rsync folder does and runs provisioning/steps as
//! Vagrant runs them. Then: Redis bound to .10 with its password and AOF;
//! the units active and enabled, the web node's data not world-readable;
//! snippets highlighted by both workers with their IPs; a worker killed
//! with `kill -9` restarted by systemd; a worker's container powered off in
//! the middle of jobs, and the other worker running them; `up` after the
//! power cut, then `provision` again, changing nothing. Everything is torn
//! down on every exit path, and what a killed earlier run left is removed
//! first. The binary the machines get is this build's (KIQLAB_BINARY, as
//! the Vagrantfile reads it).

use std::collections::{BTreeMap, BTreeSet};
use std::process::{Command, Output};
use std::time::Duration;

use kiqlab::engine::clock::now_secs;
use kiqlab::engine::job::Job;
use kiqlab::engine::store::redis::scripts::wip_key;
use kiqlab::engine::store::url::StoreUrl;
use kiqlab::engine::store::{self, SharedStore};

use super::netns::{post_snippets, stamp};
use super::{netns_lab_turn, repo_file, which};
use crate::support::{eventually, kiqlab_bin};

const WEB: &str = "http://192.168.56.10:3000";
const RUN: &str = "/run/kiqlab-nspawn";

fn lab(args: &[&str]) -> Output {
    Command::new(repo_file("scripts/lab-nspawn"))
        .args(args)
        .env("KIQLAB_BINARY", kiqlab_bin())
        .env("KIQLAB_WORKERS", "2")
        .env_remove("KIQLAB_NET")
        .env_remove("LAB_RUN")
        .output()
        .expect("run scripts/lab-nspawn")
}

fn text(o: &Output) -> String {
    format!(
        "status {}\n{}{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn ok(args: &[&str]) -> String {
    let o = lab(args);
    assert!(o.status.success(), "lab-nspawn {args:?}: {}", text(&o));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Runs a shell command as root on a machine; its stdout, trimmed.
fn on(host: &str, script: &str) -> String {
    ok(&["exec", host, "bash", "-c", script]).trim().to_owned()
}

/// Takes the lab down when dropped, whatever happened.
struct LabDown;

impl Drop for LabDown {
    fn drop(&mut self) {
        let o = lab(&["down"]);
        if !o.status.success() {
            eprintln!("lab-nspawn down failed: {}", text(&o));
        }
    }
}

/// True when this machine can boot containers; else skipped, or under CI
/// a failure.
fn can_boot(test: &str) -> bool {
    let root = rustix::process::geteuid().is_root();
    let missing: Vec<&str> = [
        "systemd-nspawn",
        "debootstrap",
        "nsenter",
        "rsync",
        "ip",
        "sha256sum",
    ]
    .into_iter()
    .filter(|t| which(t).is_none())
    .collect();
    if root && missing.is_empty() {
        return true;
    }
    let why = if root {
        format!("{missing:?} missing (apt-get install systemd-container debootstrap rsync)")
    } else {
        "it needs root (containers)".to_owned()
    };
    if std::env::var_os("CI").is_some() {
        panic!("{test}: {why}, and CI is set");
    }
    eprintln!("SKIPPED {test}: {why}");
    false
}

fn redis_url() -> String {
    let secrets = std::fs::read_to_string(format!("{RUN}/secrets.env")).expect("the lab's secrets");
    let pw = secrets
        .lines()
        .find_map(|l| l.strip_prefix("KIQLAB_LAB_REDIS_PASSWORD="))
        .expect("the Redis password");
    format!("redis://:{pw}@192.168.56.10:6379/0")
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

/// Waits until every snippet is highlighted; returns each one's stamp.
async fn all_highlighted(
    http: &reqwest::Client,
    ids: &[i64],
    timeout: Duration,
) -> BTreeMap<i64, (String, String, u32)> {
    eventually(timeout, "every snippet highlighted", || async {
        let mut done = BTreeMap::new();
        for id in ids {
            let page = async {
                http.get(format!("{WEB}/snippets/{id}"))
                    .send()
                    .await
                    .ok()?
                    .text()
                    .await
                    .ok()
            };
            let Some(s) = page.await.as_deref().and_then(stamp) else {
                tokio::time::sleep(Duration::from_millis(500)).await;
                return None;
            };
            done.insert(*id, s);
        }
        Some(done)
    })
    .await
}

fn main_pid(host: &str) -> u64 {
    on(
        host,
        "systemctl show --property=MainPID --value kiqlab-worker",
    )
    .parse()
    .expect("MainPID")
}

/// What provisioning leaves on a machine, to compare two runs: the files
/// it writes, the users, the enabled units and the web node's data.
fn provisioned_state(host: &str) -> String {
    on(
        host,
        "sha256sum /etc/kiqlab/lab.env /etc/systemd/system/kiqlab-*.service /usr/local/bin/kiqlab \
           /etc/redis/redis.conf /etc/systemd/system/redis-server.service.d/* 2>/dev/null; \
         getent passwd kiqlab vagrant; grep -c '^requirepass' /etc/redis/redis.conf 2>/dev/null; \
         systemctl list-unit-files --state=enabled --no-legend 'kiqlab-*' 'redis-*'; \
         stat -c '%a %U:%G %n' /etc/kiqlab /var/lib/kiqlab /var/lib/kiqlab/web.db 2>/dev/null; \
         ls /etc/systemd/system /etc/kiqlab",
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vagrant_provisioning_under_systemd_end_to_end() {
    if !can_boot("systemd lab") {
        return;
    }
    let _turn = netns_lab_turn().await;
    // What a killed earlier run left (containers, mounts, the bridge).
    ok(&["down"]);
    let _down = LabDown;

    let up = ok(&["up"]);
    for h in ["web", "worker-01", "worker-02"] {
        assert!(
            up.contains(&format!("{h}: kiqlab-binary: uploading")),
            "{h} got the binary: {up}"
        );
    }
    assert!(
        up.contains("worker-02 is working for http://192.168.56.10:3000/"),
        "{up}"
    );
    assert!(
        ok(&["status"]).contains("192.168.56.12   "),
        "status lists worker-02"
    );

    // Redis: bound to .10 (and loopback) with its password, AOF on.
    let url = redis_url();
    let mut redis = redis::Client::open(url.as_str())
        .unwrap()
        .get_connection()
        .expect("the lab's Redis from the host, with its password");
    let bind: Vec<String> = redis::cmd("CONFIG")
        .arg("GET")
        .arg("bind")
        .query(&mut redis)
        .unwrap();
    assert_eq!(bind[1], "192.168.56.10 127.0.0.1");
    let aof: Vec<String> = redis::cmd("CONFIG")
        .arg("GET")
        .arg("appendonly")
        .query(&mut redis)
        .unwrap();
    assert_eq!(aof[1], "yes");
    let mut anon = redis::Client::open("redis://192.168.56.10:6379/0")
        .unwrap()
        .get_connection()
        .unwrap();
    let refused = redis::cmd("DBSIZE").query::<u64>(&mut anon).unwrap_err();
    assert!(refused.to_string().contains("NOAUTH"), "{refused}");
    assert!(
        on("web", "ls /var/lib/redis/appendonlydir").contains(".aof"),
        "the AOF is written"
    );

    // The units: active, enabled; Debian's Restart=always kept for Redis;
    // a fast-failing worker never hits a start limit.
    assert_eq!(
        on("web", "systemctl is-active redis-server kiqlab-web"),
        "active\nactive"
    );
    assert_eq!(on("web", "systemctl is-enabled kiqlab-web"), "enabled");
    assert_eq!(
        on("web", "systemctl show -p Restart --value redis-server"),
        "always"
    );
    for w in ["worker-01", "worker-02"] {
        assert_eq!(on(w, "systemctl is-active kiqlab-worker"), "active");
        assert_eq!(on(w, "hostname"), w);
        assert_eq!(
            on(
                w,
                "systemctl show -p StartLimitIntervalUSec --value kiqlab-worker"
            ),
            "0"
        );
    }
    assert_eq!(on("web", "systemctl is-system-running"), "running");
    // The web node's database is not for user vagrant (nor anyone else).
    assert_eq!(
        on(
            "web",
            "stat -c '%a %U' /var/lib/kiqlab /var/lib/kiqlab/web.db"
        ),
        "750 kiqlab\n640 kiqlab"
    );
    assert_eq!(
        on(
            "web",
            "setpriv --reuid=1000 --regid=1000 --init-groups cat /var/lib/kiqlab/web.db \
             >/dev/null 2>&1 && echo readable || echo refused"
        ),
        "refused"
    );

    // Each worker registered under its own hostname and IP.
    let store = store::open(&StoreUrl::parse(&url).unwrap())
        .await
        .expect("the store");
    let ws = eventually(Duration::from_secs(30), "both workers", || async {
        let ws = workers(&store).await;
        (ws.len() == 2).then_some(ws)
    })
    .await;
    assert_eq!(
        ws.iter()
            .map(|(h, (_, ip))| (h.as_str(), ip.as_str()))
            .collect::<Vec<_>>(),
        [
            ("worker-01", "192.168.56.11"),
            ("worker-02", "192.168.56.12")
        ]
    );

    // Snippets through the web node, highlighted by both workers (10 s
    // each, as the original lab), each stamped with its worker's IP.
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let ids = post_snippets(&http, 10, "first").await;
    let stamps = all_highlighted(&http, &ids, Duration::from_secs(120)).await;
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
    assert_eq!(
        by_host.len(),
        2,
        "both workers highlighted some: {by_host:?}"
    );

    // kill -9 a worker: systemd starts it again, and it registers anew.
    let killed = main_pid("worker-01");
    on("worker-01", &format!("kill -9 {killed}"));
    let restarted = eventually(Duration::from_secs(60), "worker-01 restarted", || async {
        let pid = main_pid("worker-01");
        let ws = workers(&store).await;
        let back = pid != 0 && pid != killed && ws.get("worker-01").is_some_and(|(p, _)| *p == pid);
        if !back {
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        back.then_some(pid)
    })
    .await;
    assert_ne!(restarted, killed);
    let restarts: u32 = on(
        "worker-01",
        "systemctl show -p NRestarts --value kiqlab-worker",
    )
    .parse()
    .unwrap();
    assert!(restarts >= 1, "systemd restarted it ({restarts})");

    // Power-cut worker-02 while it holds jobs: worker-01 runs them once
    // worker-02's heartbeat has expired.
    let ids = post_snippets(&http, 10, "second").await;
    let batch: BTreeSet<i64> = ids.iter().copied().collect();
    let identity = store
        .processes(now_secs())
        .await
        .unwrap()
        .into_iter()
        .find(|p| p.hostname() == "worker-02")
        .map(|p| p.identity.clone())
        .expect("worker-02 registered");
    let wip = wip_key(&identity, "default");
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
    eventually(Duration::from_secs(30), "worker-02 holding jobs", || {
        let h = held(&mut redis);
        async move { (!h.is_empty()).then_some(()) }
    })
    .await;
    let in_flight = held(&mut redis);
    let cut = std::time::Instant::now();
    ok(&["poweroff", "worker-02"]);
    let stamps = all_highlighted(&http, &ids, Duration::from_secs(240)).await;
    let recovered_after = cut.elapsed();
    for id in &in_flight {
        assert_eq!(
            stamps[id].0, "worker-01",
            "snippet {id} was in flight on worker-02 and was run by worker-01"
        );
    }
    eprintln!(
        "systemd lab: {} jobs in flight on worker-02 at the power cut, all done {recovered_after:?} later",
        in_flight.len()
    );

    // `vagrant up` after the cut: worker-02 boots, its `always` steps run,
    // and the binary it has is not uploaded again.
    let up = ok(&["up"]);
    assert!(up.contains("web: already running"), "{up}");
    assert!(
        up.contains("worker-02: kiqlab-binary: up to date"),
        "no second upload: {up}"
    );
    assert!(
        !up.contains("common/install"),
        "once steps not run again: {up}"
    );
    assert!(up.contains("worker-02 is working"), "{up}");

    // Provisioning again (`vagrant provision`, every step) changes nothing.
    let before: Vec<String> = ["web", "worker-01", "worker-02"]
        .iter()
        .map(|h| provisioned_state(h))
        .collect();
    let again = ok(&["provision"]);
    for h in ["web", "worker-01", "worker-02"] {
        assert!(
            again.contains(&format!("{h}: kiqlab-binary: up to date")),
            "{h}: not uploaded again: {again}"
        );
    }
    let after: Vec<String> = ["web", "worker-01", "worker-02"]
        .iter()
        .map(|h| provisioned_state(h))
        .collect();
    assert_eq!(before, after, "a second provisioning changes nothing");
    assert!(
        before[0].contains("\n1\n"),
        "one requirepass line: {}",
        before[0]
    );
    let ws = eventually(Duration::from_secs(90), "two live workers", || async {
        let ws = workers(&store).await;
        if ws.len() != 2 {
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        (ws.len() == 2).then_some(ws)
    })
    .await;
    assert_eq!(ws.keys().collect::<Vec<_>>(), ["worker-01", "worker-02"]);
    let ids = post_snippets(&http, 2, "third").await;
    all_highlighted(&http, &ids, Duration::from_secs(120)).await;
    let stats = store.stats(now_secs()).await.unwrap();
    assert_eq!(stats.enqueued, 0, "{stats:?}");
    assert!(stats.processed >= 22, "{stats:?}");

    // Down leaves nothing: no container, mount, veth, bridge or run dir.
    drop(store);
    drop(redis);
    ok(&["down"]);
    ok(&["down"]);
    let links = Command::new("ip").args(["-o", "link"]).output().unwrap();
    let links = String::from_utf8_lossy(&links.stdout);
    assert!(
        !links.contains("kiqlab-br0") && !links.contains("vb-web") && !links.contains("vb-worker"),
        "links left behind: {links}"
    );
    let mounts = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    assert!(!mounts.contains(RUN), "mounts left behind");
    assert!(!std::path::Path::new(RUN).exists(), "{RUN} left behind");
    assert_eq!(lab(&["status"]).status.code(), Some(3), "status: not up");
}
