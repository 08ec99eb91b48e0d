//! The Procfile, run the way Heroku (or foreman/honcho) runs it: each line
//! through a shell with `PORT` set, the store found through the Heroku
//! convention `REDIS_PROVIDER=REDISTOGO_URL`. A snippet posted to the `web`
//! process is highlighted by the `worker` process.

use std::collections::BTreeMap;
use std::process::Stdio;
use std::time::Duration;

use kiqlab::engine::clock::now_secs;
use kiqlab::engine::store;
use kiqlab::engine::store::url::StoreUrl;
use rustix::process::{kill_process, Pid, Signal};

use super::repo_file;
use crate::support::{eventually, kiqlab_bin, listening_url, temp_dir, wait_for_body, RedisServer};

/// The Procfile's process types and their commands.
pub fn procfile() -> BTreeMap<String, String> {
    std::fs::read_to_string(repo_file("Procfile"))
        .expect("Procfile")
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (name, cmd) = l.split_once(':').expect("NAME: COMMAND");
            (name.trim().to_owned(), cmd.trim().to_owned())
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn procfile_web_and_worker_share_redis_through_redis_provider() {
    let types = procfile();
    assert_eq!(
        types.keys().map(String::as_str).collect::<Vec<_>>(),
        ["web", "worker"]
    );
    let Some(redis) = RedisServer::start() else {
        return;
    };
    // The app's directory as the platform sees it after the build.
    let app = temp_dir();
    std::fs::create_dir_all(app.path().join("target/release")).unwrap();
    std::os::unix::fs::symlink(kiqlab_bin(), app.path().join("target/release/kiqlab")).unwrap();
    // The web dyno first, on a port it picks (PORT=0) and prints; the worker
    // dyno is told where it is, as the platform's router would.
    let mut base = String::new();
    let mut children = Vec::new();
    for name in ["web", "worker"] {
        let mut child = tokio::process::Command::new("bash")
            .args(["-c", &format!("exec {}", types[name])])
            .current_dir(app.path())
            .env_remove("REDIS_URL")
            .env_remove("KIQLAB_STORE")
            .env("REDIS_PROVIDER", "REDISTOGO_URL")
            .env("REDISTOGO_URL", redis.url())
            .env("PORT", "0")
            .env("DYNO", format!("{name}.1"))
            .env("KIQLAB_DATA_DIR", app.path().join("data"))
            .env("KIQLAB_INTERNAL_TOKEN", "procfile-test-token")
            .envs((name == "worker").then(|| ("KIQLAB_WEB_URL", base.clone())))
            .stdout(if name == "web" {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        if name == "web" {
            base = listening_url(&mut child).await;
        }
        children.push(child);
    }
    let store = store::open(&StoreUrl::parse(&redis.url()).unwrap())
        .await
        .unwrap();
    let host = eventually(Duration::from_secs(30), "the worker dyno", || async {
        let ps = store.processes(now_secs()).await.ok()?;
        ps.first().map(|p| p.hostname().to_owned())
    })
    .await;
    assert_eq!(host, "worker.1", "named after DYNO, as Sidekiq does");

    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = eventually(Duration::from_secs(30), "the web dyno", || async {
        http.post(format!("{base}/snippets"))
            .form(&[("language", "python"), ("code", "print('dyno')")])
            .send()
            .await
            .ok()
    })
    .await;
    assert_eq!(r.status().as_u16(), 303);
    let loc = r.headers()["location"].to_str().unwrap().to_owned();
    let page = wait_for_body(
        &http,
        &format!("{base}{loc}"),
        "id=\"highlighted\"",
        Duration::from_secs(30),
    )
    .await;
    assert!(
        page.contains("worker.1 ("),
        "highlighted by the worker dyno"
    );

    for c in &mut children {
        let pid = c.id().unwrap() as i32;
        kill_process(Pid::from_raw(pid).unwrap(), Signal::TERM).unwrap();
    }
    for mut c in children {
        let status = tokio::time::timeout(Duration::from_secs(40), c.wait())
            .await
            .expect("stops on SIGTERM, as a dyno must")
            .unwrap();
        assert!(status.success(), "{status}");
    }
}
