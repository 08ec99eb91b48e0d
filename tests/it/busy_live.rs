//! Busy is live (issue 12): a worker started with `--heartbeat-interval`
//! (the demo passes 1s) reports a job in progress while it runs, no job once
//! it is done, and a quiet signal with its next beat — so the dashboard's
//! busy count and quiet badge follow what the workers do. Ordering, not
//! timing: the busy count is seen while the job is still running (its
//! 3-second sleep has not ended: nothing processed yet), which the default
//! 5-second beat would miss.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use kiqlab::engine::client::PushOptions;
use kiqlab::engine::clock::now_secs;
use kiqlab::engine::store::Signal;
use serde_json::json;

use crate::engine::Harness;
use crate::support::{eventually, kiqlab_bin};

struct Worker(Child);

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn busy_follows_the_work(h: Harness) {
    let _w = Worker(
        Command::new(kiqlab_bin())
            .args([
                "worker",
                "--store",
                &h.url,
                "--name",
                "worker-09",
                "-c",
                "2",
            ])
            .args(["--poll-interval", "200ms", "--heartbeat-interval", "300ms"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start kiqlab worker"),
    );
    let store = h.store.clone();
    let me = || async {
        store
            .processes(now_secs())
            .await
            .ok()?
            .into_iter()
            .find(|p| p.identity.contains("worker-09") || p.tag() == "worker-09")
    };
    eventually(Duration::from_secs(30), "worker-09 registered", || async {
        me().await.map(|_| ())
    })
    .await;
    h.client()
        .push(
            "DemoWorker",
            vec![json!(3), json!("busy for 3 s")],
            &PushOptions::default(),
        )
        .await
        .unwrap();
    eventually(
        Duration::from_secs(30),
        "busy 1 while the job runs",
        || async {
            let p = me().await?;
            (p.busy == 1).then_some(())
        },
    )
    .await;
    let stats = store.stats(now_secs()).await.unwrap();
    assert_eq!(
        stats.processed, 0,
        "busy was seen only after the job was done"
    );
    eventually(
        Duration::from_secs(30),
        "busy 0 once it is done",
        || async {
            let p = me().await?;
            let done = store.stats(now_secs()).await.ok()?.processed == 1;
            (done && p.busy == 0).then_some(())
        },
    )
    .await;
    let identity = me().await.unwrap().identity;
    store.signal(&identity, &Signal::Quiet).await.unwrap();
    eventually(Duration::from_secs(30), "the quiet badge", || async {
        me().await?.quiet.then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn busy_follows_the_work_on_sqlite() {
    busy_follows_the_work(Harness::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn busy_follows_the_work_on_redis() {
    let Some(h) = Harness::redis().await else {
        return;
    };
    busy_follows_the_work(h).await;
}
