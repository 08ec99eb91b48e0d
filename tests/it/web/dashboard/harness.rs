//! A web node over either store, and a `Browser` that keeps the session
//! cookie and reads CSRF tokens off pages the way a person's browser would.

use std::sync::Arc;
use std::time::Duration;

use kiqlab::apps::JobsConfig;
use kiqlab::engine::clock::SystemClock;
use kiqlab::engine::launcher::{Launcher, WorkerConfig};
use kiqlab::engine::queue::QueueSpec;
use kiqlab::engine::store::SharedStore;
use kiqlab::secret::Secret;
use kiqlab::shutdown::Shutdown;
use kiqlab::startup::Application;
use kiqlab::web::admin::hash;
use kiqlab::web::db::{users, Db};

use crate::support::temp_dir;
use crate::web::helpers::{test_settings, TestStore};

pub const PASSWORD: &str = "correct horse battery staple";

pub struct Dash {
    pub address: String,
    pub store: SharedStore,
    pub db: Db,
    _dir: tempfile::TempDir,
    _store: TestStore,
    stop: Shutdown,
    server: tokio::task::JoinHandle<anyhow::Result<()>>,
    launchers: Vec<Launcher>,
}

/// Declares `mod NAME { redis, sqlite }` web tests calling `NAME(dash)`.
macro_rules! dash_test {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn redis() {
                if let Some(d) = $crate::web::dashboard::harness::Dash::redis().await {
                    super::$name(d).await;
                }
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::web::dashboard::harness::Dash::sqlite().await).await;
            }
        }
    )*};
}
pub(crate) use dash_test;

impl Dash {
    pub async fn redis() -> Option<Dash> {
        Some(Dash::start(TestStore::redis()?).await)
    }

    pub async fn sqlite() -> Dash {
        Dash::start(TestStore::sqlite()).await
    }

    async fn start(store: TestStore) -> Dash {
        let dir = temp_dir();
        let app = Application::build(test_settings(&store, dir.path()))
            .await
            .unwrap();
        let address = format!("http://127.0.0.1:{}", app.port());
        let db = app.db().clone();
        let app_store = app.store().clone();
        let stop = Shutdown::new();
        let server = tokio::spawn(app.run_until_stopped(stop.clone()));
        Dash {
            address,
            store: app_store,
            db,
            _dir: dir,
            _store: store,
            stop,
            server,
            launchers: Vec::new(),
        }
    }

    /// Creates an account straight in the database.
    pub async fn user(&self, email: &str, admin: bool) {
        let phc = hash(&Secret::new(PASSWORD)).unwrap();
        let email = email.to_owned();
        self.db
            .call(move |c| users::create(c, &email, &phc, admin, 0.0))
            .await
            .unwrap();
    }

    pub fn browser(&self) -> Browser {
        Browser {
            base: self.address.clone(),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap(),
            cookie: None,
            token: None,
        }
    }

    /// A browser signed in as a fresh admin.
    pub async fn admin(&self) -> Browser {
        self.user("boss@example.com", true).await;
        let mut b = self.browser();
        let r = b.sign_in("boss@example.com", PASSWORD).await;
        assert_eq!(r.0, 303, "sign-in: {}", r.1);
        b
    }

    /// Starts an in-process worker (DemoWorker and friends) named `name`.
    pub async fn worker(&mut self, name: &str) {
        let config = WorkerConfig {
            concurrency: 2,
            queues: QueueSpec::new(vec!["default".parse().unwrap()], true).unwrap(),
            timeout: Duration::from_secs(3),
            name: Some(name.into()),
            poll_interval: Some(0.05),
            heartbeat_interval: Duration::from_millis(100),
            recovery_interval: Duration::from_millis(200),
            ..WorkerConfig::default()
        };
        let registry = Arc::new(kiqlab::apps::registry(&JobsConfig::default()));
        let l = Launcher::start(self.store.clone(), registry, Arc::new(SystemClock), config)
            .await
            .unwrap();
        self.launchers.push(l);
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

/// Cloning shares the session: clones send in parallel as a browser's tabs do.
#[derive(Clone)]
pub struct Browser {
    base: String,
    http: reqwest::Client,
    cookie: Option<String>,
    /// The last CSRF token seen on a page.
    pub token: Option<String>,
}

/// The value of the first `name="authenticity_token"` field on a page.
pub fn token_in(html: &str) -> Option<String> {
    let i = html.find("name=\"authenticity_token\" value=\"")? + 33;
    let rest = &html[i..];
    Some(rest[..rest.find('"')?].to_owned())
}

impl Browser {
    fn keep(&mut self, r: &reqwest::Response) {
        for v in r.headers().get_all("set-cookie") {
            let v = v.to_str().unwrap();
            let pair = v.split(';').next().unwrap().to_owned();
            if pair.ends_with('=') {
                self.cookie = None;
            } else {
                self.cookie = Some(pair);
            }
        }
    }

    async fn send(
        &mut self,
        req: reqwest::RequestBuilder,
    ) -> (u16, String, reqwest::header::HeaderMap) {
        let req = match &self.cookie {
            Some(c) => req.header("Cookie", c),
            None => req,
        };
        let r = req.send().await.unwrap();
        self.keep(&r);
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let body = r.text().await.unwrap();
        if let Some(t) = token_in(&body) {
            self.token = Some(t);
        }
        (status, body, headers)
    }

    pub async fn get_full(&mut self, path: &str) -> (u16, String, reqwest::header::HeaderMap) {
        let req = self.http.get(format!("{}{path}", self.base));
        self.send(req).await
    }

    pub async fn get(&mut self, path: &str) -> (u16, String) {
        let (s, b, _) = self.get_full(path).await;
        (s, b)
    }

    /// The Location of a redirect answer.
    pub async fn location(&mut self, path: &str) -> Option<String> {
        let (_, _, h) = self.get_full(path).await;
        h.get("location").map(|v| v.to_str().unwrap().to_owned())
    }

    /// Posts a form as written (no token added).
    pub async fn post_raw(
        &mut self,
        path: &str,
        body: String,
    ) -> (u16, String, reqwest::header::HeaderMap) {
        let req = self
            .http
            .post(format!("{}{path}", self.base))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body);
        self.send(req).await
    }

    /// Posts `pairs` plus the current CSRF token.
    pub async fn post(&mut self, path: &str, pairs: &[(&str, &str)]) -> (u16, String) {
        let token = self.token.clone().expect("a page with a token was loaded");
        let body = {
            let mut ser = url::form_urlencoded::Serializer::new(String::new());
            ser.append_pair("authenticity_token", &token);
            for (k, v) in pairs {
                ser.append_pair(k, v);
            }
            ser.finish()
        };
        let (s, b, h) = self.post_raw(path, body).await;
        let loc = h.get("location").map(|v| v.to_str().unwrap().to_owned());
        (s, loc.unwrap_or(b))
    }

    pub async fn sign_in(&mut self, email: &str, password: &str) -> (u16, String) {
        let (status, _) = self.get("/sign_in").await;
        assert_eq!(status, 200);
        self.post(
            "/sign_in",
            &[
                ("email", email),
                ("password", password),
                ("next", "/sidekiq"),
            ],
        )
        .await
    }
}

/// Runs one job through the store by hand (push, fetch, complete), done or
/// failed, with an execution record from host `web-test`; returns its jid.
pub async fn run_one(d: &Dash, ok: bool) -> String {
    use kiqlab::engine::job::{Job, Retry};
    use kiqlab::engine::store::{Completion, JobRecord, Outcome, RunOutcome};
    let job = Job::new("ByHand", vec![], "default".parse().unwrap(), Retry::Default);
    d.store.push(std::slice::from_ref(&job)).await.unwrap();
    let spec = QueueSpec::new(vec!["default".parse().unwrap()], true).unwrap();
    let mut f = d.store.fetcher("web-test:1:aa", &spec).await.unwrap();
    let units = f
        .fetch(&["default".parse().unwrap()], 1, Duration::from_secs(1))
        .await
        .unwrap();
    let now = kiqlab::engine::clock::now_secs();
    let record = JobRecord {
        jid: job.jid().to_owned(),
        class: "ByHand".into(),
        queue: "default".into(),
        host: "web-test".into(),
        ip: "127.0.0.9".into(),
        pid: 7,
        started_at: now,
        duration_ms: 12.0,
        outcome: if ok {
            RunOutcome::Done
        } else {
            RunOutcome::Discarded
        },
        error: (!ok).then(|| "RuntimeError: by hand".to_owned()),
        backtrace: Vec::new(),
    };
    let c = Completion {
        unit: units[0].clone(),
        outcome: if ok { Outcome::Done } else { Outcome::Discard },
        record: Some(record),
    };
    d.store.complete("web-test:1:aa", &[c], now).await.unwrap();
    job.jid().to_owned()
}

impl Dash {
    /// The job store's address (a SQLite test locks its file through it).
    pub fn store_url(&self) -> &str {
        &self._store.url
    }

    /// The redis-server of a Redis dashboard; panics on SQLite.
    pub fn redis_server(&mut self) -> &mut crate::support::RedisServer {
        self._store.redis_server().expect("a Redis store")
    }
}
