//! The autoscaler with real processes: `kiqlab web --autoscale` starts a
//! local `kiqlab worker --idle-exit` when jobs wait and none is alive, the
//! worker leaves after the idle time, and comes back for the next job;
//! `--scale-up-cmd`/`--scale-down-cmd` run once each; `--idle-exit` waits
//! for scheduled work; `kiqlab stats` reports the worker-seconds used.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use kiqlab::engine::clock::now_secs;
use kiqlab::engine::store::url::StoreUrl;
use kiqlab::engine::store::{self, SharedStore};
use rustix::process::{kill_process, Pid, Signal};

use crate::support::{eventually, kiqlab_bin, listening_url, temp_dir};

/// True while `pid` runs (a zombie nobody has reaped yet does not count).
fn running(pid: u64) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| {
            let state = s.rsplit(") ").next().unwrap_or("");
            !state.starts_with('Z')
        })
        .unwrap_or(false)
}

async fn processes(store: &SharedStore) -> Vec<(String, u64)> {
    store
        .processes(now_secs())
        .await
        .unwrap()
        .into_iter()
        .map(|p| (p.hostname().to_owned(), p.pid()))
        .collect()
}

fn enqueue(store_url: &str, args: &[&str]) {
    let o = Command::new(kiqlab_bin())
        .args(["enqueue", "--store", store_url])
        .args(args)
        .output()
        .unwrap();
    assert!(o.status.success(), "enqueue: {o:?}");
}

fn stats_json(store_url: &str) -> serde_json::Value {
    let o = Command::new(kiqlab_bin())
        .args(["stats", "--json", "--store", store_url])
        .output()
        .unwrap();
    assert!(o.status.success(), "stats: {o:?}");
    serde_json::from_slice(&o.stdout).unwrap()
}

struct Web {
    child: tokio::process::Child,
}

impl Web {
    async fn start(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> Web {
        let log = std::fs::File::create(dir.join("web.log")).unwrap();
        let mut child = tokio::process::Command::new(kiqlab_bin())
            .args(["web", "--port", "0", "--smtp-bind", "127.0.0.1:0"])
            .args(args)
            .env("KIQLAB_DATA_DIR", dir)
            .env("NO_COLOR", "1")
            .env_remove("KIQLAB_AUTOSCALE")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let url = format!("{}/", listening_url(&mut child).await);
        eventually(Duration::from_secs(30), "kiqlab web", || async {
            reqwest::get(&url).await.ok().map(|_| ())
        })
        .await;
        Web { child }
    }

    async fn stop(mut self) {
        let pid = self.child.id().unwrap() as i32;
        kill_process(Pid::from_raw(pid).unwrap(), Signal::TERM).unwrap();
        let status = tokio::time::timeout(Duration::from_secs(40), self.child.wait())
            .await
            .expect("kiqlab web stops")
            .unwrap();
        assert!(status.success(), "{status}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn web_autoscale_starts_a_local_worker_only_when_jobs_wait() {
    let dir = temp_dir();
    let url = format!("sqlite://{}", dir.path().join("jobs.db").display());
    let store = store::open(&StoreUrl::parse(&url).unwrap()).await.unwrap();
    let web = Web::start(
        dir.path(),
        &[],
        &[
            "--store",
            &url,
            "--autoscale",
            "--autoscale-idle",
            "1500ms",
            "--autoscale-interval",
            "200ms",
        ],
    )
    .await;
    // Nothing to do: no worker. (A pause, not a wait: we check for absence.)
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(processes(&store).await.is_empty());

    for round in 1..=2u64 {
        enqueue(&url, &["DemoWorker", "0.3", "scaled", "--count", "3"]);
        let name = format!("autoscaled-{round:02}");
        let (_, pid) = eventually(Duration::from_secs(30), "an autoscaled worker", || async {
            processes(&store)
                .await
                .into_iter()
                .find(|(h, _)| *h == name)
        })
        .await;
        eventually(Duration::from_secs(30), "the jobs done", || async {
            let s = store.stats(now_secs()).await.ok()?;
            (s.processed == 3 * round).then_some(())
        })
        .await;
        let done = Instant::now();
        eventually(Duration::from_secs(30), "the worker to leave", || async {
            (processes(&store).await.is_empty() && !running(pid)).then_some(())
        })
        .await;
        let idle = done.elapsed();
        assert!(
            idle >= Duration::from_millis(1200),
            "left after the idle time, not before: {idle:?}"
        );
        assert_eq!(store.stats(now_secs()).await.unwrap().enqueued, 0);
    }
    let log = std::fs::read_to_string(dir.path().join("web.log")).unwrap();
    assert_eq!(
        log.matches("jobs waiting and no worker alive").count(),
        2,
        "{log}"
    );

    let stats = stats_json(&url);
    let usage = &stats["usage"];
    let used = usage["used_s"].as_f64().unwrap();
    let window = usage["window_s"].as_f64().unwrap();
    assert!(used >= 3.0, "two workers of at least 1.5 s each: {usage}");
    assert!(used < window, "less than always-on: {usage}");
    assert_eq!(usage["always_on_s"].as_f64(), Some(window));
    web.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scale_commands_run_once_each_way() {
    let dir = temp_dir();
    let d = dir.path();
    let url = format!("sqlite://{}", d.join("jobs.db").display());
    let store = store::open(&StoreUrl::parse(&url).unwrap()).await.unwrap();
    let events = d.join("events");
    let pidfile = d.join("worker.pid");
    // A stand-in for `vagrant up worker-02`: a worker on "another machine".
    let up = format!(
        "echo \"up $KIQLAB_AUTOSCALE_WAITING\" >> '{ev}'; \
         '{bin}' worker --name vm-worker --poll-interval 200ms >> '{log}' 2>&1 & \
         echo $! > '{pid}'",
        ev = events.display(),
        bin = kiqlab_bin(),
        log = d.join("vm-worker.log").display(),
        pid = pidfile.display(),
    );
    let down = format!(
        "echo down >> '{ev}'; kill $(cat '{pid}')",
        ev = events.display(),
        pid = pidfile.display()
    );
    let web = Web::start(
        d,
        &[("KIQLAB_STORE", &url)],
        &[
            "--autoscale",
            "--autoscale-idle",
            "1s",
            "--autoscale-interval",
            "200ms",
            "--scale-up-cmd",
            &up,
            "--scale-down-cmd",
            &down,
        ],
    )
    .await;
    enqueue(&url, &["DemoWorker", "0.2", "by command", "--count", "2"]);
    let (_, pid) = eventually(Duration::from_secs(30), "the commanded worker", || async {
        processes(&store)
            .await
            .into_iter()
            .find(|(h, _)| h == "vm-worker")
    })
    .await;
    eventually(
        Duration::from_secs(30),
        "scale down after the idle time",
        || async {
            let ev = std::fs::read_to_string(&events).unwrap_or_default();
            ev.contains("down").then_some(())
        },
    )
    .await;
    eventually(Duration::from_secs(30), "the worker gone", || async {
        (processes(&store).await.is_empty() && !running(pid)).then_some(())
    })
    .await;
    assert_eq!(store.stats(now_secs()).await.unwrap().processed, 2);
    let ev = std::fs::read_to_string(&events).unwrap();
    assert_eq!(
        ev, "up 2\ndown\n",
        "one scale-up for both jobs, one scale-down"
    );
    web.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_exit_waits_for_scheduled_work_and_meters_the_time() {
    let dir = temp_dir();
    let url = format!("sqlite://{}", dir.path().join("jobs.db").display());
    let store = store::open(&StoreUrl::parse(&url).unwrap()).await.unwrap();
    let worker = |extra: &[&str]| {
        tokio::process::Command::new(kiqlab_bin())
            .args(["worker", "--store", &url, "--poll-interval", "200ms"])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap()
    };
    // With nothing to do, it leaves after the idle time.
    let start = Instant::now();
    let status = tokio::time::timeout(
        Duration::from_secs(20),
        worker(&["--idle-exit", "500ms"]).wait(),
    )
    .await
    .expect("an idle worker exits")
    .unwrap();
    assert!(status.success(), "{status}");
    assert!(start.elapsed() >= Duration::from_millis(500));

    // A job scheduled 2 s ahead keeps it: it runs the job, then leaves.
    enqueue(&url, &["DemoWorker", "0", "later", "--in", "2s"]);
    // Another queue's job is not this worker's business.
    enqueue(&url, &["DemoWorker", "0", "elsewhere", "--queue", "other"]);
    let start = Instant::now();
    let status = tokio::time::timeout(
        Duration::from_secs(30),
        worker(&["--idle-exit", "500ms"]).wait(),
    )
    .await
    .expect("the worker exits after the scheduled job")
    .unwrap();
    assert!(status.success(), "{status}");
    assert!(
        start.elapsed() >= Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
    let stats = store.stats(now_secs()).await.unwrap();
    assert_eq!(
        (stats.processed, stats.scheduled, stats.enqueued),
        (1, 0, 1)
    );

    let t = store
        .worker_time()
        .await
        .unwrap()
        .expect("the meter started");
    assert!(t.worker_ms >= 2_500, "both lifetimes recorded: {t:?}");
    let text = Command::new(kiqlab_bin())
        .args(["stats", "--store", &url])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("worker-seconds used of"), "{text}");
    let reset = Command::new(kiqlab_bin())
        .args(["stats", "--json", "--reset-usage", "--store", &url])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&reset.stdout).unwrap();
    assert_eq!(v["usage"]["used_s"].as_f64(), Some(0.0), "{v}");
}
