//! `kiqlab demo` and `kiqlab web` as real processes, on ports they pick
//! themselves (`--port 0`, read back from what they print): the demo's child
//! workers (worker-01/-02) highlight a snippet submitted over HTTP, are
//! restarted when killed, stop with the demo (SIGTERM or SIGKILL); `kiqlab
//! web` serves and stops on SIGTERM, on either store; on the default SQLite
//! store, a FibTastic mail reaches the demo's own mail catcher at `/mail`.

use std::process::Stdio;
use std::time::Duration;

use kiqlab::engine::clock::now_secs;
use kiqlab::engine::store::url::StoreUrl;
use kiqlab::engine::store::{self, SharedStore};
use rustix::process::{kill_process, test_kill_process, Pid, Signal};
use tokio::io::{AsyncBufReadExt, BufReader};

use super::helpers::{web_test, TestStore};
use crate::support::{eventually, kiqlab_bin, listening_url, temp_dir, wait_for_body, RedisServer};

/// (name, pid) of live worker processes, from their heartbeats.
async fn workers(store: &SharedStore) -> Vec<(String, u64)> {
    let mut v: Vec<(String, u64)> = store
        .processes(now_secs())
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|p| {
            (
                p.info["hostname"].as_str().unwrap_or_default().to_owned(),
                p.info["pid"].as_u64().unwrap_or_default(),
            )
        })
        .collect();
    v.sort();
    v
}

fn alive(pid: u64) -> bool {
    test_kill_process(Pid::from_raw(pid as i32).unwrap()).is_ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_runs_named_workers_restarts_them_and_leaves_no_orphans() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let dir = temp_dir();
    let (mut child, banner) = start_demo(
        &[
            "--redis",
            &redis.url(),
            "--port",
            "0",
            "--workers",
            "2",
            "--highlight-delay",
            "0s",
            "--poll-interval",
            "200ms",
            "--smtp-port",
            "0",
        ],
        dir.path(),
    )
    .await;
    let base = banner_url(&banner);
    assert!(base.starts_with("http://127.0.0.1:"), "{banner}");
    let password = banner
        .split("sign in as admin / ")
        .nth(1)
        .and_then(|s| s.lines().next())
        .expect("admin sign-in printed")
        .trim()
        .to_owned();
    assert!(password.len() >= 32, "a random password: {password}");
    let kept = std::fs::read_to_string(dir.path().join("admin-password")).unwrap();
    assert_eq!(kept.trim(), password);

    let store = store::open(&StoreUrl::parse(&redis.url()).unwrap())
        .await
        .unwrap();
    let ws = eventually(Duration::from_secs(30), "two workers", || async {
        let w = workers(&store).await;
        (w.len() == 2).then_some(w)
    })
    .await;
    assert_eq!(ws[0].0, "worker-01");
    assert_eq!(ws[1].0, "worker-02");

    // A snippet over HTTP, highlighted by one of the children.
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = http
        .post(format!("{base}/snippets"))
        .form(&[("language", "python"), ("code", "print('hi')")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    let loc = r.headers()["location"].to_str().unwrap().to_owned();
    let page = wait_for_body(
        &http,
        &format!("{base}{loc}"),
        "id=\"highlighted\"",
        Duration::from_secs(30),
    )
    .await;
    let by = ws
        .iter()
        .find(|(name, pid)| {
            page.contains(&format!("{name} (")) && page.contains(&format!("pid {pid},"))
        })
        .expect("highlighted by worker-01 or worker-02, with its pid");
    assert_ne!(by.1 as u32, std::process::id());

    // Kill worker-01: the demo starts a new one under the same name.
    let old = ws[0].1;
    kill_process(Pid::from_raw(old as i32).unwrap(), Signal::KILL).unwrap();
    let ws2 = eventually(Duration::from_secs(30), "worker-01 restarted", || async {
        let w = workers(&store).await;
        w.iter()
            .any(|(n, p)| n == "worker-01" && *p != old)
            .then_some(w)
    })
    .await;
    let children: Vec<u64> = ws2
        .iter()
        .filter(|(n, _)| n.starts_with("worker-"))
        .map(|(_, p)| *p)
        .filter(|p| *p != old)
        .collect();
    assert!(children.len() >= 2, "{ws2:?}");

    // SIGTERM: the demo stops its children and exits.
    let demo_pid = child.id().unwrap();
    kill_process(Pid::from_raw(demo_pid as i32).unwrap(), Signal::TERM).unwrap();
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .expect("the demo exits")
        .unwrap();
    assert!(status.success(), "{status}");
    for pid in children {
        assert!(!alive(pid), "worker pid {pid} outlived the demo");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_workers_stop_when_the_demo_is_killed() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    // A parent shell stands in for a demo killed with SIGKILL.
    let script = format!(
        "KIQLAB_EXIT_WITH_PARENT=true '{}' worker --redis '{}' --name orphan-check -c 1 \
         --poll-interval 200ms >/dev/null 2>&1 & echo $!; wait",
        kiqlab_bin(),
        redis.url()
    );
    let mut parent = tokio::process::Command::new("sh")
        .args(["-c", &script])
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(parent.stdout.take().unwrap()).lines();
    let worker: u64 = lines
        .next_line()
        .await
        .unwrap()
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let store = store::open(&StoreUrl::parse(&redis.url()).unwrap())
        .await
        .unwrap();
    eventually(
        Duration::from_secs(30),
        "the worker's heartbeat",
        || async { (!workers(&store).await.is_empty()).then_some(()) },
    )
    .await;
    parent.start_kill().unwrap();
    parent.wait().await.unwrap();
    eventually(
        Duration::from_secs(15),
        "the orphaned worker to exit",
        || async { (!alive(worker)).then_some(()) },
    )
    .await;
}

async fn kiqlab_web_serves_keeps_its_token_private_and_stops_on_sigterm(store: TestStore) {
    let store_url = &store.url;
    let dir = temp_dir();
    let mut web = tokio::process::Command::new(kiqlab_bin())
        .args(["web", "--store", store_url, "--port", "0"])
        .args(["--smtp-bind", "127.0.0.1:0"])
        .env("KIQLAB_DATA_DIR", dir.path())
        .env_remove("KIQLAB_INTERNAL_TOKEN")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let base = listening_url(&mut web).await;
    assert!(base.starts_with("http://127.0.0.1:"), "{base}");
    let http = reqwest::Client::new();
    let url = format!("{base}/snippets/new");
    let body = eventually(Duration::from_secs(30), "kiqlab web", || async {
        http.get(&url).send().await.ok()?.text().await.ok()
    })
    .await;
    assert!(body.contains("Post snippet"));
    use std::os::unix::fs::PermissionsExt;
    let token_file = dir.path().join("internal-token");
    let mode = std::fs::metadata(&token_file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let token = std::fs::read_to_string(&token_file).unwrap();
    let r = http
        .get(format!("{base}/internal/posts/1"))
        .bearer_auth(token.trim())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404, "authorised, but no such post");
    kill_process(
        Pid::from_raw(web.id().unwrap() as i32).unwrap(),
        Signal::TERM,
    )
    .unwrap();
    let status = tokio::time::timeout(Duration::from_secs(20), web.wait())
        .await
        .expect("kiqlab web exits on SIGTERM")
        .unwrap();
    assert!(status.success(), "{status}");
}

/// The web node's URL in the demo's banner ("  web        URL/"), without
/// the slash.
fn banner_url(banner: &str) -> String {
    let url = banner
        .lines()
        .find_map(|l| l.trim_start().strip_prefix("web "))
        .unwrap_or_else(|| panic!("no web URL in the banner: {banner}"))
        .trim();
    url.trim_end_matches('/').to_owned()
}

/// `kiqlab demo args…` on its embedded store in `dir`, stdout piped.
fn spawn_demo(args: &[&str], dir: &std::path::Path) -> tokio::process::Child {
    tokio::process::Command::new(kiqlab_bin())
        .arg("demo")
        .args(args)
        .env("KIQLAB_DATA_DIR", dir)
        .env_remove("REDIS_URL")
        .env_remove("KIQLAB_STORE")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap()
}

/// Starts `kiqlab demo` with `args` and its data in `dir`; returns the child
/// once the banner is printed.
async fn start_demo(args: &[&str], dir: &std::path::Path) -> (tokio::process::Child, String) {
    let mut child = spawn_demo(args, dir);
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut banner = String::new();
    tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(l) = lines.next_line().await.unwrap() {
            banner.push_str(&l);
            banner.push('\n');
            if l.contains("workers ") {
                break;
            }
        }
    })
    .await
    .expect("the demo banner");
    // Keep reading, as a terminal would: what the demo prints later is not
    // the test's business, and a closed pipe is tested on its own below.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (child, banner)
}

/// Nobody reading the demo's stdout any more (`kiqlab demo | head -3`, a
/// script that read the port and left) is no reason to stop: the demo
/// keeps running, its workers too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_demo_whose_stdout_is_closed_keeps_running() {
    let dir = temp_dir();
    let data = dir.path().join("data");
    let mut child = spawn_demo(&["--port", "0", "--smtp-port", "0"], &data);
    drop(child.stdout.take());
    let jobs_db = data.join("jobs.db");
    eventually(Duration::from_secs(60), "the demo's jobs.db", || async {
        jobs_db.exists().then_some(())
    })
    .await;
    let store = store::open(&StoreUrl::parse(&format!("sqlite://{}", jobs_db.display())).unwrap())
        .await
        .unwrap();
    eventually(Duration::from_secs(30), "two demo workers", || async {
        (workers(&store).await.len() == 2).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(
        child.try_wait().unwrap().is_none(),
        "the demo keeps running with its stdout closed"
    );
    child.start_kill().unwrap();
    child.wait().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_on_the_default_sqlite_store_mails_through_its_own_catcher() {
    let dir = temp_dir();
    let (mut child, banner) = start_demo(
        &[
            "--port",
            "0",
            "--smtp-port",
            "0",
            "--smtp-delay",
            "0s",
            "--poll-interval",
            "200ms",
        ],
        &dir.path().join("data"),
    )
    .await;
    let data = dir.path().join("data");
    let jobs_db = data.join("jobs.db");
    assert!(banner.contains("sqlite://"), "{banner}");
    assert!(jobs_db.exists(), "the embedded store is in the data dir");
    // Password hashes, sessions and job arguments: not for other local users.
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let umask_022 = std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .any(|l| l.starts_with("Umask:") && l.ends_with("0022"));
    for (path, private) in [
        (data.clone(), 0o700),
        (data.join("web.db"), 0o600),
        (jobs_db.clone(), 0o600),
    ] {
        let m = mode(&path);
        assert_eq!(m & 0o027, 0, "{}: {m:o}", path.display());
        if umask_022 {
            assert_eq!(m, private, "{}: {m:o}", path.display());
        }
    }
    let base = banner_url(&banner);
    assert!(banner.contains(&format!("{base}/mail/")), "{banner}");
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = http
        .post(format!("{base}/fibtastic"))
        .form(&[("email", "ada@example.com"), ("sequence_length", "7")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    let messages: Vec<serde_json::Value> =
        eventually(Duration::from_secs(60), "the mail in /mail", || async {
            let v: Vec<serde_json::Value> = http
                .get(format!("{base}/mail/messages"))
                .send()
                .await
                .ok()?
                .json()
                .await
                .ok()?;
            (!v.is_empty()).then_some(v)
        })
        .await;
    assert_eq!(messages[0]["subject"], "Your Fib Sequence!");
    let store = store::open(&StoreUrl::parse(&format!("sqlite://{}", jobs_db.display())).unwrap())
        .await
        .unwrap();
    let ws = workers(&store).await;
    assert_eq!(ws.len(), 2, "{ws:?}");
    let demo_pid = child.id().unwrap();
    kill_process(Pid::from_raw(demo_pid as i32).unwrap(), Signal::TERM).unwrap();
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .expect("the demo exits")
        .unwrap();
    assert!(status.success(), "{status}");
    for (_, pid) in ws {
        assert!(!alive(pid), "worker pid {pid} outlived the demo");
    }
}

web_test!(kiqlab_web_serves_keeps_its_token_private_and_stops_on_sigterm);

/// `kiqlab web` on a data directory mounted read-only (a bind mount in a
/// mount namespace of its own, so the host is untouched) stops at start and
/// says why, instead of serving pages that answer 500 to every write: both
/// with a fresh directory and with the web.db an earlier run left.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kiqlab_web_refuses_a_read_only_data_dir() {
    if !crate::support::root_or_skip("for a read-only bind mount") {
        return;
    }
    let dir = temp_dir();
    let fresh = dir.path().join("fresh");
    let used = dir.path().join("used");
    std::fs::create_dir_all(&fresh).unwrap();
    drop(kiqlab::web::db::Db::open(&used.join("web.db")).unwrap());
    std::fs::write(used.join("internal-token"), "t0ken\n").unwrap();
    let jobs = dir.path().join("jobs.db");
    for data in [&fresh, &used] {
        let d = data.display().to_string();
        let script =
            format!("mount --bind {d} {d} && mount -o remount,bind,ro {d} && exec \"$0\" \"$@\"");
        let out = tokio::time::timeout(
            Duration::from_secs(60),
            tokio::process::Command::new("unshare")
                .args(["-m", "sh", "-c", &script])
                .arg(kiqlab_bin())
                .args(["web", "--port", "0", "--smtp-bind", "127.0.0.1:0"])
                .arg("--store")
                .arg(format!("sqlite://{}", jobs.display()))
                .env("KIQLAB_DATA_DIR", data)
                .env("NO_COLOR", "1")
                .env_remove("KIQLAB_INTERNAL_TOKEN")
                .kill_on_drop(true)
                .output(),
        )
        .await
        .expect("kiqlab web stops at start")
        .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{d}: {stdout}{stderr}");
        assert!(!stdout.contains("listening"), "{d}: {stdout}");
        assert!(
            stderr.contains("Read-only file system") && stderr.contains(&d),
            "{d}: says the directory is read-only: {stderr}"
        );
    }
}

/// Stop on the dashboard's Busy page (the `stop` signal) ends a demo worker
/// for good: the supervisor restarts workers that die, not one that exited
/// 0 because it was asked to; the other worker and the demo keep running.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_demo_worker_stopped_from_the_dashboard_stays_stopped() {
    let dir = temp_dir();
    let (mut child, banner) = start_demo(
        &[
            "--port",
            "0",
            "--smtp-port",
            "0",
            "--poll-interval",
            "200ms",
        ],
        &dir.path().join("data"),
    )
    .await;
    let jobs_db = dir.path().join("data").join("jobs.db");
    let store = store::open(&StoreUrl::parse(&format!("sqlite://{}", jobs_db.display())).unwrap())
        .await
        .unwrap();
    let procs = eventually(Duration::from_secs(30), "two demo workers", || async {
        let p = store.processes(now_secs()).await.ok()?;
        (p.len() == 2).then_some(p)
    })
    .await;
    let one = procs
        .iter()
        .find(|p| p.info["hostname"] == "worker-01")
        .unwrap_or_else(|| panic!("worker-01 among {procs:?}"));
    let pid = one.info["pid"].as_u64().unwrap();
    store
        .signal(&one.identity, &kiqlab::engine::store::Signal::Stop)
        .await
        .unwrap();
    eventually(Duration::from_secs(30), "worker-01 exits", || async {
        (!alive(pid)).then_some(())
    })
    .await;
    // Well past the supervisor's 0.5 s restart: still one worker, worker-02.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let left: Vec<String> = workers(&store).await.into_iter().map(|(h, _)| h).collect();
    assert_eq!(left, ["worker-02"], "worker-01 was not restarted");
    assert!(
        child.try_wait().unwrap().is_none(),
        "the demo keeps running"
    );
    let base = banner_url(&banner);
    let r = reqwest::get(format!("{base}/")).await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    child.start_kill().unwrap();
    child.wait().await.unwrap();
}
