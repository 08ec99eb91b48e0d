//! `spawn_app(store)` → `TestApp`: the web node, built by the composition
//! root on 127.0.0.1:0 over either store (`web_test!` runs a test on both),
//! optionally an SMTP sink and a tagger, and workers started on demand with
//! the `JobsConfig` the node gives a local `kiqlab worker`.

use std::sync::Arc;
use std::time::Duration;

use kiqlab::apps::config::SmtpAddress;
use kiqlab::apps::JobsConfig;
use kiqlab::engine::clock::SystemClock;
use kiqlab::engine::launcher::{Launcher, WorkerConfig};
use kiqlab::engine::queue::QueueSpec;
use kiqlab::engine::store::url::StoreUrl;
use kiqlab::engine::store::{Page, SetKind, SetQuery, SharedStore, SortedEntry};
use kiqlab::secret::Secret;
use kiqlab::shutdown::Shutdown;
use kiqlab::startup::{Application, MailCatcherSettings, Settings};

use crate::support::{eventually, temp_dir, wait_for_body, RedisServer, SmtpSink, TaggerStub};

pub const TAGGER_KEY: &str = "test-tagger-key";

/// The job store a test's web node runs on: a private redis-server, or a
/// fresh SQLite file (the default store).
pub struct TestStore {
    pub url: String,
    _redis: Option<RedisServer>,
    _dir: Option<tempfile::TempDir>,
}

impl TestStore {
    /// `None` (skip) when redis-server is missing and CI is not set; under
    /// CI a missing redis-server fails the test.
    pub fn redis() -> Option<TestStore> {
        let redis = RedisServer::start()?;
        Some(TestStore {
            url: redis.url(),
            _redis: Some(redis),
            _dir: None,
        })
    }

    /// As `redis`, with extra `redis-server` arguments.
    pub fn redis_with(extra: &[&str]) -> Option<TestStore> {
        let redis = RedisServer::start_with(extra)?;
        Some(TestStore {
            url: redis.url(),
            _redis: Some(redis),
            _dir: None,
        })
    }

    /// The redis-server behind a Redis store (to stop and restart it).
    pub fn redis_server(&mut self) -> Option<&mut RedisServer> {
        self._redis.as_mut()
    }

    pub fn sqlite() -> TestStore {
        let dir = temp_dir();
        TestStore {
            url: format!("sqlite://{}", dir.path().join("jobs.db").display()),
            _redis: None,
            _dir: Some(dir),
        }
    }
}

/// Declares `mod NAME { redis, sqlite }` web tests calling `NAME(store)`.
macro_rules! web_test {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn redis() {
                if let Some(s) = $crate::web::helpers::TestStore::redis() {
                    super::$name(s).await;
                }
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::web::helpers::TestStore::sqlite()).await;
            }
        }
    )*};
}
pub(crate) use web_test;

#[derive(Debug, Clone, Default)]
pub struct AppOptions {
    pub smtp: bool,
    pub tagger: bool,
    /// The tagger answers 503 to this many calls first.
    pub tagger_fail_first: usize,
    /// Run the real mail catcher and tagger in the web node, as `kiqlab web` does.
    pub embedded: bool,
    /// The embedded mail catcher refuses (552) messages above this size.
    pub mail_max_size: Option<usize>,
}

pub struct TestApp {
    pub address: String,
    pub http: reqwest::Client,
    pub store: SharedStore,
    pub token: Secret,
    /// What workers are configured with (this app's URL and token).
    pub jobs: JobsConfig,
    pub smtp: Option<SmtpSink>,
    pub tagger: Option<TaggerStub>,
    pub dir: tempfile::TempDir,
    launchers: Vec<Launcher>,
    stop: Shutdown,
    server: tokio::task::JoinHandle<anyhow::Result<()>>,
    /// Kept alive for the test (a redis-server is killed on drop).
    _store: TestStore,
}

/// The app with neither SMTP nor tagger.
pub async fn spawn_app(store: TestStore) -> TestApp {
    spawn_app_with(store, AppOptions::default()).await
}

/// The settings a test's web node starts with: port 0, its own database.
pub fn test_settings(store: &TestStore, dir: &std::path::Path) -> Settings {
    Settings {
        bind: "127.0.0.1:0".parse().unwrap(),
        store: StoreUrl::parse(&store.url).unwrap(),
        database: dir.join("web.db"),
        internal_token: Secret::generate(),
        jobs: JobsConfig::default(),
        mail_ui_url: "http://127.0.0.1:1/".into(),
        mailcatcher: None,
        tagger: None,
        http_workers: 2,
        request_threads: kiqlab::web::pool::DEFAULT_THREADS,
        admin_dir: None,
    }
}

pub async fn spawn_app_with(store: TestStore, opts: AppOptions) -> TestApp {
    let smtp = if opts.smtp {
        Some(SmtpSink::start().await)
    } else {
        None
    };
    let tagger = if opts.tagger {
        Some(TaggerStub::start(TAGGER_KEY, opts.tagger_fail_first).await)
    } else {
        None
    };
    let dir = temp_dir();
    let mut settings = test_settings(&store, dir.path());
    settings.jobs = JobsConfig {
        http_timeout: Duration::from_secs(5),
        smtp_timeout: Duration::from_secs(5),
        tagger_key: Some(Secret::new(TAGGER_KEY)),
        ..JobsConfig::default()
    };
    if let Some(s) = &smtp {
        settings.jobs.smtp = SmtpAddress::new("127.0.0.1", s.port);
    }
    if let Some(t) = &tagger {
        settings.jobs.tagger_url = url::Url::parse(&t.url()).unwrap();
    }
    if opts.embedded {
        settings.mailcatcher = Some(MailCatcherSettings {
            smtp_bind: "127.0.0.1:0".parse().unwrap(),
            config: kiqlab::mailcatcher::MailCatcherConfig {
                max_message_size: opts
                    .mail_max_size
                    .and_then(std::num::NonZeroUsize::new)
                    .unwrap_or(
                        std::num::NonZeroUsize::new(
                            kiqlab::mailcatcher::config::DEFAULT_MAX_MESSAGE_SIZE,
                        )
                        .unwrap(),
                    ),
                ..Default::default()
            },
        });
        settings.tagger = Some(kiqlab::tagger::TaggerConfig {
            api_key: Some(kiqlab::tagger::config::ApiKey::parse(TAGGER_KEY).unwrap()),
            ..Default::default()
        });
    }
    let token = settings.internal_token.clone();
    let app = Application::build(settings).await.expect("build the app");
    let address = format!("http://127.0.0.1:{}", app.port());
    let app_store = app.store().clone();
    let jobs = app.worker_jobs().clone();
    let stop = Shutdown::new();
    let server = tokio::spawn(app.run_until_stopped(stop.clone()));
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    TestApp {
        address,
        http,
        store: app_store,
        token,
        jobs,
        smtp,
        tagger,
        dir,
        launchers: Vec::new(),
        stop,
        server,
        _store: store,
    }
}

/// Fast timings for in-process workers serving `urgent` then `default`.
pub fn worker_config(name: &str) -> WorkerConfig {
    WorkerConfig {
        concurrency: 2,
        queues: QueueSpec::new(
            vec!["urgent".parse().unwrap(), "default".parse().unwrap()],
            true,
        )
        .unwrap(),
        timeout: Duration::from_secs(3),
        name: Some(name.into()),
        poll_interval: Some(0.05),
        heartbeat_interval: Duration::from_millis(100),
        recovery_interval: Duration::from_millis(200),
        ..WorkerConfig::default()
    }
}

impl TestApp {
    /// Starts a worker in this process with `jobs` as its configuration.
    pub async fn start_worker_with(&mut self, name: &str, jobs: &JobsConfig) {
        let registry = Arc::new(kiqlab::apps::registry(jobs));
        let l = Launcher::start(
            self.store.clone(),
            registry,
            Arc::new(SystemClock),
            worker_config(name),
        )
        .await
        .expect("start worker");
        self.launchers.push(l);
    }

    /// Stops the workers this test started.
    pub async fn stop_workers(&mut self) {
        for l in self.launchers.drain(..) {
            l.stop().await;
        }
    }

    pub async fn start_worker(&mut self, name: &str) {
        let jobs = self.jobs.clone();
        self.start_worker_with(name, &jobs).await;
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http.get(self.url(path)).send().await.expect("GET")
    }

    /// Status and body.
    pub async fn page(&self, path: &str) -> (u16, String) {
        let r = self.get(path).await;
        (r.status().as_u16(), r.text().await.unwrap())
    }

    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.http
            .post(self.url(path))
            .form(form)
            .send()
            .await
            .expect("POST")
    }

    /// Posts a form that must redirect (303); returns the Location.
    pub async fn post_redirect(&self, path: &str, form: &[(&str, &str)]) -> String {
        let r = self.post_form(path, form).await;
        let status = r.status().as_u16();
        let loc = r
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_owned());
        let body = r.text().await.unwrap();
        assert_eq!(status, 303, "POST {path} answered {status}: {body}");
        loc.expect("a Location header")
    }

    /// Polls `path` until its body contains `needle`; returns the body.
    pub async fn wait_for_page(&self, path: &str, needle: &str, timeout: Duration) -> String {
        wait_for_body(&self.http, &self.url(path), needle, timeout).await
    }

    /// The retry-set entry of `jid`, once there.
    pub async fn wait_for_retry(&self, jid: &str) -> SortedEntry {
        eventually(
            Duration::from_secs(15),
            &format!("{jid} in retries"),
            || async {
                let entries = self
                    .store
                    .set_entries(
                        &SetQuery::new(SetKind::Retry, Page::oldest(0, 100)).matching(Some(jid)),
                    )
                    .await
                    .ok()?;
                entries.into_iter().next()
            },
        )
        .await
    }

    pub async fn stop(mut self) {
        for l in self.launchers.drain(..) {
            l.stop().await;
        }
        self.stop.trigger();
        (&mut self.server)
            .await
            .expect("the web node's task")
            .expect("the web node stops cleanly");
    }
}

/// The jid in a page's "job <jid>" text.
pub fn jid_in(page: &str) -> String {
    let i = page.find("job ").expect("a jid on the page") + 4;
    page[i..i + 24].to_owned()
}

impl TestApp {
    /// The jid of the post's latest tagging job (from the application data).
    pub async fn jid_of_post(&self, loc: &str) -> String {
        let id: i64 = loc.rsplit('/').next().unwrap().parse().unwrap();
        let db = kiqlab::web::db::Db::open(&self.dir.path().join("web.db")).unwrap();
        db.call(move |c| kiqlab::apps::blog::queries::get(c, id))
            .await
            .unwrap()
            .unwrap()
            .jid
            .unwrap()
    }
}

impl TestApp {
    /// The test's redis-server (to stop and restart it); panics on SQLite.
    pub fn redis(&mut self) -> &mut RedisServer {
        self._store.redis_server().expect("a Redis store")
    }

    /// Rows in the web node's outbox (jobs not yet relayed to the store).
    pub async fn outbox_backlog(&self) -> u64 {
        let db = kiqlab::web::db::Db::open(&self.dir.path().join("web.db")).unwrap();
        db.call(|c| kiqlab::web::outbox::backlog(c)).await.unwrap()
    }
}
