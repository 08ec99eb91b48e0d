//! One store under test plus what tests need around it: a client, test job
//! classes that record what ran, and launchers with fast timings.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use kiqlab::engine::builtin;
use kiqlab::engine::client::Client;
use kiqlab::engine::clock::{Clock, SystemClock};
use kiqlab::engine::job::Retry;
use kiqlab::engine::launcher::{Launcher, WorkerConfig};
use kiqlab::engine::queue::{QueueName, QueueSpec};
use kiqlab::engine::registry::{JobError, JobOptions, Registry};
use kiqlab::engine::store::redis::RedisStore;
use kiqlab::engine::store::sqlite::SqliteStore;
use kiqlab::engine::store::url::StoreUrl;
use kiqlab::engine::store::{self, DeadLimits, SharedStore};

use crate::support::{temp_dir, RedisServer};

pub struct Harness {
    pub store: SharedStore,
    pub url: String,
    pub redis: Option<RedisServer>,
    _dir: tempfile::TempDir,
    /// jids run by the `Record` class (and `DemoWorker` in `recording_registry`).
    pub ran: Arc<Mutex<Vec<String>>>,
    /// Each `Gated` job takes one permit before it finishes: the test
    /// decides when (`gate.add_permits`), not a timer.
    pub gate: Arc<tokio::sync::Semaphore>,
}

impl Harness {
    pub async fn redis() -> Option<Harness> {
        let redis = RedisServer::start()?;
        let url = redis.url();
        Some(Harness::open(url, Some(redis)).await)
    }

    pub async fn sqlite() -> Harness {
        let dir = temp_dir();
        let url = format!("sqlite://{}", dir.path().join("jobs.db").display());
        let mut h = Harness::open(url, None).await;
        h._dir = dir;
        h
    }

    async fn open(url: String, redis: Option<RedisServer>) -> Harness {
        let parsed = StoreUrl::parse(&url).expect("store url");
        let store = store::open(&parsed).await.expect("open store");
        Harness {
            store,
            url,
            redis,
            _dir: temp_dir(),
            ran: Arc::new(Mutex::new(Vec::new())),
            gate: Arc::new(tokio::sync::Semaphore::new(0)),
        }
    }

    /// A harness around an already open store (the caller keeps the server).
    pub fn from_store(store: SharedStore, url: String) -> Harness {
        Harness {
            store,
            url,
            redis: None,
            _dir: temp_dir(),
            ran: Arc::new(Mutex::new(Vec::new())),
            gate: Arc::new(tokio::sync::Semaphore::new(0)),
        }
    }

    /// A second, independent connection to the same store.
    pub async fn reopen(&self) -> SharedStore {
        store::open(&StoreUrl::parse(&self.url).expect("url"))
            .await
            .expect("reopen store")
    }

    /// Another handle on the same store whose dead set keeps to `limits`.
    pub async fn with_dead_limits(&self, limits: DeadLimits) -> SharedStore {
        match StoreUrl::parse(&self.url).expect("url") {
            StoreUrl::Redis(u) => Arc::new(
                RedisStore::connect(&u)
                    .await
                    .expect("connect")
                    .with_dead_limits(limits),
            ),
            StoreUrl::Sqlite(p) => Arc::new(
                SqliteStore::open(&p)
                    .await
                    .expect("open")
                    .with_dead_limits(limits),
            ),
        }
    }

    /// The engine API over this store, on the system clock.
    pub fn api(&self) -> kiqlab::engine::api::Api {
        kiqlab::engine::api::Api::new(self.store.clone(), Arc::new(SystemClock))
    }

    pub fn client(&self) -> Client {
        self.client_with(Arc::new(SystemClock))
    }

    pub fn client_with(&self, clock: Arc<dyn Clock>) -> Client {
        Client::new(self.store.clone(), Arc::new(self.registry()), clock)
    }

    /// Built-ins plus: `Record` (records its jid), `Fail` (always fails),
    /// `Slow(secs)` (sleeps, then records), `Gated` (waits for the test's
    /// `gate`, then records), `FailOnce` (fails on its first try).
    pub fn registry(&self) -> Registry {
        let mut r = builtin::registry();
        let ran = self.ran.clone();
        r.register("Record", JobOptions::default(), move |ctx| {
            let ran = ran.clone();
            async move {
                ran.lock().unwrap().push(ctx.jid().to_owned());
                Ok(())
            }
        });
        r.register("Fail", JobOptions::default(), |_ctx| async {
            Err(JobError::runtime("always fails"))
        });
        r.register(
            "NoRetryFail",
            JobOptions {
                queue: QueueName::default_queue(),
                retry: Retry::Off,
            },
            |_ctx| async { Err(JobError::runtime("no retry for me")) },
        );
        let ran = self.ran.clone();
        r.register("Slow", JobOptions::default(), move |ctx| {
            let ran = ran.clone();
            async move {
                let secs: f64 = ctx.arg(0, "seconds")?;
                tokio::time::sleep(Duration::from_secs_f64(secs)).await;
                ran.lock().unwrap().push(ctx.jid().to_owned());
                Ok(())
            }
        });
        let (ran, gate) = (self.ran.clone(), self.gate.clone());
        r.register("Gated", JobOptions::default(), move |ctx| {
            let (ran, gate) = (ran.clone(), gate.clone());
            async move {
                if let Ok(permit) = gate.acquire().await {
                    permit.forget();
                }
                ran.lock().unwrap().push(ctx.jid().to_owned());
                Ok(())
            }
        });
        r.register("Panic", JobOptions::default(), |ctx| async move {
            let msg: String = ctx.arg(0, "message")?;
            if !msg.is_empty() {
                panic!("{msg}");
            }
            Ok(())
        });
        let ran = self.ran.clone();
        r.register("FailOnce", JobOptions::default(), move |ctx| {
            let ran = ran.clone();
            async move {
                if ctx.job.retry_count().is_none() {
                    return Err(JobError::runtime("first try fails"));
                }
                ran.lock().unwrap().push(ctx.jid().to_owned());
                Ok(())
            }
        });
        r
    }

    pub fn ran(&self) -> Vec<String> {
        self.ran.lock().unwrap().clone()
    }

    pub fn fast_config(&self, concurrency: usize, queues: QueueSpec) -> WorkerConfig {
        WorkerConfig {
            concurrency,
            queues,
            timeout: Duration::from_secs(5),
            name: Some("test-worker".into()),
            poll_interval: Some(0.05),
            heartbeat_interval: Duration::from_millis(100),
            recovery_interval: Duration::from_millis(200),
            ..WorkerConfig::default()
        }
    }

    pub async fn launch(&self, config: WorkerConfig) -> Launcher {
        self.launch_with(config, Arc::new(SystemClock)).await
    }

    pub async fn launch_with(&self, config: WorkerConfig, clock: Arc<dyn Clock>) -> Launcher {
        Launcher::start(self.store.clone(), Arc::new(self.registry()), clock, config)
            .await
            .expect("start launcher")
    }

    /// Stats, or `None` while the store is unreachable.
    pub async fn try_stats(&self) -> Option<kiqlab::engine::store::Stats> {
        self.store
            .stats(kiqlab::engine::clock::now_secs())
            .await
            .ok()
    }

    pub async fn stats(&self) -> kiqlab::engine::store::Stats {
        self.store
            .stats(kiqlab::engine::clock::now_secs())
            .await
            .expect("stats")
    }
}

pub use crate::support::{q, spec};
