//! `spawn_app()` → `TestApp`: the web node on 127.0.0.1:0 over a private
//! redis-server, optionally an SMTP sink and a tagger, and workers started
//! on demand with the same `JobsConfig` a `kiqlab worker` would build.

use std::sync::Arc;
use std::time::Duration;

use kiqlab::engine::clock::SystemClock;
use kiqlab::engine::launcher::{Launcher, WorkerConfig};
use kiqlab::engine::queue::QueueSpec;
use kiqlab::engine::store::url::StoreUrl;
use kiqlab::engine::store::{self, Page, SetKind, SetQuery, SharedStore, SortedEntry};
use kiqlab::jobs::config::SmtpAddress;
use kiqlab::jobs::JobsConfig;
use kiqlab::secret::Secret;
use kiqlab::web::{Application, WebSettings};

use crate::support::{eventually, temp_dir, wait_for_body, RedisServer, SmtpSink, TaggerStub};

pub const TAGGER_KEY: &str = "test-tagger-key";

#[derive(Debug, Clone, Default)]
pub struct AppOptions {
    pub smtp: bool,
    pub tagger: bool,
    /// The tagger answers 503 to this many calls first.
    pub tagger_fail_first: usize,
    /// Run the real mail catcher and tagger in the web node, as `kiqlab web` does.
    pub embedded: bool,
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
    /// Kept alive for the test (killed on drop).
    pub _redis: RedisServer,
    pub dir: tempfile::TempDir,
    launchers: Vec<Launcher>,
    handle: actix_web::dev::ServerHandle,
    mail: Option<kiqlab::mailcatcher::MailCatcher>,
}

/// The app with neither SMTP nor tagger; `None` when redis-server is missing.
pub async fn spawn_app() -> Option<TestApp> {
    spawn_app_with(AppOptions::default()).await
}

pub async fn spawn_app_with(opts: AppOptions) -> Option<TestApp> {
    let redis = RedisServer::start()?;
    let store = store::open(&StoreUrl::parse(&redis.url()).unwrap())
        .await
        .unwrap();
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
    let token = Secret::generate();
    let mut jobs = JobsConfig {
        http_timeout: Duration::from_secs(5),
        smtp_timeout: Duration::from_secs(5),
        tagger_key: Some(Secret::new(TAGGER_KEY)),
        ..JobsConfig::default()
    };
    if let Some(s) = &smtp {
        jobs.smtp = SmtpAddress::new("127.0.0.1", s.port);
    }
    if let Some(t) = &tagger {
        jobs.tagger_url = url::Url::parse(&t.url()).unwrap();
    }
    let mut embedded = kiqlab::web::Embedded::default();
    let mut mail = None;
    if opts.embedded {
        let smtp = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let catcher = kiqlab::mailcatcher::MailCatcher::start(smtp, Default::default()).unwrap();
        jobs.smtp = SmtpAddress::new("127.0.0.1", catcher.smtp_addr().port());
        embedded.mail = Some(catcher.web().unwrap());
        embedded.tagger = Some(kiqlab::tagger::Tagger::new(kiqlab::tagger::TaggerConfig {
            api_key: Some(kiqlab::tagger::config::ApiKey::parse(TAGGER_KEY).unwrap()),
            ..Default::default()
        }));
        mail = Some(catcher);
    }
    let settings = WebSettings {
        database: dir.path().join("web.db"),
        internal_token: token.clone(),
        jobs: jobs.clone(),
        mail_ui_url: "http://127.0.0.1:1/".into(),
        embedded,
        http_workers: 2,
    };
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let app = Application::build(settings, store.clone(), listener)
        .await
        .expect("build the app");
    let address = format!("http://127.0.0.1:{}", app.port());
    let handle = app.handle();
    tokio::spawn(app.run_until_stopped());
    jobs.web_url = url::Url::parse(&address).unwrap();
    jobs.internal_token = Some(token.clone());
    if opts.embedded {
        jobs.tagger_url = jobs
            .web_url
            .join(kiqlab::web::embedded::TAGGER_PATH)
            .unwrap();
    }
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    Some(TestApp {
        address,
        http,
        store,
        token,
        jobs,
        smtp,
        tagger,
        _redis: redis,
        dir,
        launchers: Vec::new(),
        handle,
        mail,
    })
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
        let registry = Arc::new(kiqlab::jobs::registry(jobs));
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
        if let Some(m) = self.mail.take() {
            m.shutdown().await;
        }
        self.handle.stop(true).await;
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
        db.call(move |c| kiqlab::web::db::posts::get(c, id))
            .await
            .unwrap()
            .unwrap()
            .jid
            .unwrap()
    }
}
