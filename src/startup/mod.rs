//! The composition root: `Application::build(Settings)` puts the web node
//! together (store, database, templates, job registry, the embedded mail
//! catcher and tagger, the apps' and the web node's routes) and serves it on
//! the address the settings give (port 0: a free one, which `port` reports).
//! `kiqlab web`, `kiqlab demo` and the tests all build it here.
//!
//! - `settings`: the typed settings

mod settings;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use actix_web::dev::ServerHandle;
use actix_web::{middleware, web, App, HttpServer};
use anyhow::Context;
use tokio::task::JoinHandle;
use tracing::Instrument;

pub use settings::{MailCatcherSettings, Settings};

use crate::apps::config::SmtpAddress;
use crate::apps::JobsConfig;
use crate::engine::api::Api;
use crate::engine::client::Client;
use crate::engine::clock::SystemClock;
use crate::engine::store::{self, SharedStore};
use crate::mailcatcher::MailCatcher;
use crate::shutdown::Shutdown;
use crate::tagger::Tagger;
use crate::web::admin::{self, AdminLogin};
use crate::web::db::Db;
use crate::web::embedded::{Embedded, TAGGER_PATH};
use crate::web::extract::{form_config, json_config};
use crate::web::outbox::{Relay, RelayConfig};
use crate::web::pool::{self, RequestPool};
use crate::web::state::AppState;
use crate::web::templates::Templates;
use crate::web::timing::{self, Timings};
use crate::web::{errors, templates};

/// A built web node, already serving.
pub struct Application {
    port: u16,
    url: url::Url,
    store: SharedStore,
    db: Db,
    jobs: JobsConfig,
    admin: Option<AdminLogin>,
    mail: Option<MailCatcher>,
    relay: Relay,
    lessons: web::Data<crate::apps::lessons::LoadRuns>,
    flow: web::Data<crate::apps::lessons::FlowHub>,
    handle: ServerHandle,
    server: JoinHandle<std::io::Result<()>>,
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        let store = store::open(&settings.store)
            .await
            .map_err(|e| anyhow::anyhow!("cannot open the job store {}: {e}", settings.store))?;
        let path = settings.database.clone();
        let db = tokio::task::spawn_blocking(move || Db::open(&path))
            .await?
            .context("the web node cannot start without its database")?;
        let templates = web::Data::new(compose_templates()?);
        let admin = match &settings.admin_dir {
            Some(dir) => Some(
                admin::ensure_admin(&db, dir)
                    .await
                    .context("cannot set up the dashboard's admin account")?,
            ),
            None => None,
        };
        let listener = std::net::TcpListener::bind(settings.bind)
            .with_context(|| format!("cannot listen on {}", settings.bind))?;
        let addr = listener
            .local_addr()
            .context("the listener has no address")?;
        // Last, so nothing is left running when an earlier step fails.
        let mail = match &settings.mailcatcher {
            Some(m) => Some(start_mailcatcher(m).await?),
            None => None,
        };
        let embedded = Embedded {
            mail: mail.as_ref().map(MailCatcher::web).transpose()?,
            tagger: settings.tagger.clone().map(Tagger::new),
        };
        let url = local_url(addr)?;
        // What a worker on this machine is given, and what jobs run inline use.
        let mut jobs = settings.jobs.clone();
        jobs.web_url = url.clone();
        jobs.internal_token = Some(settings.internal_token.clone());
        if let Some(m) = &mail {
            jobs.smtp = local_smtp(m.smtp_addr());
        }
        if embedded.tagger.is_some() {
            jobs.tagger_url = url.join(TAGGER_PATH)?;
        }

        let registry = Arc::new(crate::apps::registry(&jobs));
        let client = Client::new(store.clone(), registry.clone(), Arc::new(SystemClock));
        // The outbox relay: jobs committed with their records reach the store.
        let (outbox, relay) = Relay::start(db.clone(), client.clone(), RelayConfig::default());
        let state = web::Data::new(AppState::new(
            db.clone(),
            outbox,
            client,
            Api::new(store.clone(), Arc::new(SystemClock)),
            registry,
            settings.internal_token.clone(),
            settings.mail_ui_url.clone(),
        ));
        let timings = web::Data::new(Timings::default());
        let pool = web::Data::new(RequestPool::new(
            settings.request_threads,
            crate::apps::PAGES,
        ));
        let lessons = web::Data::new(crate::apps::lessons::LoadRuns::default());
        let lessons_data = lessons.clone();
        let flow = web::Data::new(crate::apps::lessons::FlowHub::new());
        let flow_data = flow.clone();
        let server = HttpServer::new(move || {
            App::new()
                .wrap(middleware::from_fn(crate::web::auth::provide_account))
                .wrap(middleware::from_fn(templates::provide))
                .wrap(middleware::from_fn(pool::gate))
                .wrap(middleware::from_fn(timing::measure))
                .wrap(middleware::from_fn(crate::web::extract::body_deadline))
                // Outermost, so every answer has it (a 503 from the pool too).
                .wrap(crate::web::response::security_headers())
                .app_data(pool.clone())
                .app_data(state.clone())
                .app_data(templates.clone())
                .app_data(timings.clone())
                .app_data(lessons_data.clone())
                .app_data(flow_data.clone())
                .app_data(form_config())
                .app_data(json_config())
                .configure(|cfg| embedded.configure(cfg))
                .configure(crate::web::configure)
                .configure(crate::apps::configure)
                .default_service(web::to(errors::not_found))
        })
        .workers(settings.http_workers.max(1))
        // A request head must arrive within 5 s (408 otherwise); the body
        // has `extract::BODY_TIMEOUT`.
        .client_request_timeout(std::time::Duration::from_secs(5))
        .disable_signals()
        .shutdown_timeout(5)
        .listen(listener)
        .context("cannot listen")?
        .run();
        let handle = server.handle();
        let server = tokio::spawn(server.instrument(tracing::info_span!("web", %addr)));
        tracing::info!(%addr, http_threads = settings.http_workers.max(1), "web node listening");
        Ok(Application {
            port: addr.port(),
            url,
            store,
            db,
            jobs,
            admin,
            mail,
            relay,
            lessons,
            flow,
            handle,
            server,
        })
    }

    /// The port it listens on (the free one, when the settings said 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// This node's URL as a client on this machine reaches it (`/` at the end).
    pub fn url(&self) -> &url::Url {
        &self.url
    }

    pub fn store(&self) -> &SharedStore {
        &self.store
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    /// What a worker on this machine is configured with: this node's URL and
    /// token, and the embedded SMTP server and tagger when they run.
    pub fn worker_jobs(&self) -> &JobsConfig {
        &self.jobs
    }

    /// The dashboard's admin sign-in, when the settings asked for one.
    pub fn admin(&self) -> Option<&AdminLogin> {
        self.admin.as_ref()
    }

    /// Serves until `stop` is triggered, then stops: the embedded mail
    /// catcher first (it ends the UI's live streams), then the server, which
    /// gives open requests up to 5 seconds. A server that ends by itself is
    /// an error.
    pub async fn run_until_stopped(self, stop: Shutdown) -> anyhow::Result<()> {
        let Application {
            mail,
            relay,
            lessons,
            flow,
            handle,
            mut server,
            ..
        } = self;
        let ended = tokio::select! {
            r = &mut server => Some(r),
            _ = stop.wait() => None,
        };
        if let Some(m) = mail {
            m.shutdown().await;
        }
        // Its streams stay open while watched: end them and the poller.
        flow.stop().await;
        match ended {
            Some(r) => {
                relay.stop().await;
                r?.context("the web server failed")?;
                anyhow::bail!("the web server stopped unexpectedly")
            }
            None => {
                // A load lesson posts to this server: end it first.
                lessons.stop().await;
                handle.stop(true).await;
                let served = server.await;
                // Last: rows it has not sent stay in web.db for the next start.
                relay.stop().await;
                served?.context("the web server failed")?;
                Ok(())
            }
        }
    }
}

/// The templates of every part: the web node's own and the apps'.
pub fn compose_templates() -> anyhow::Result<Templates> {
    let parts: Vec<_> = crate::web::TEMPLATES
        .iter()
        .chain(crate::apps::TEMPLATES)
        .copied()
        .collect();
    Ok(Templates::compose(&parts)?)
}

async fn start_mailcatcher(m: &MailCatcherSettings) -> anyhow::Result<MailCatcher> {
    let listener = tokio::net::TcpListener::bind(m.smtp_bind)
        .await
        .with_context(|| {
            format!(
                "cannot listen for SMTP on {} (is another mail catcher running? \
                 use --smtp-bind ADDR, or --no-mailcatcher to use that one)",
                m.smtp_bind
            )
        })?;
    Ok(MailCatcher::start(listener, m.config.clone())?)
}

/// The host a client on this machine dials for a listener on `ip`: the
/// loopback for "every address", IPv6 in brackets.
pub fn local_host(ip: IpAddr) -> String {
    match ip {
        ip if ip.is_unspecified() => "127.0.0.1".to_owned(),
        IpAddr::V6(ip) => format!("[{ip}]"),
        ip => ip.to_string(),
    }
}

/// `http://HOST:PORT/` for a listener on `addr`, as a local client reaches it.
pub fn local_url(addr: SocketAddr) -> Result<url::Url, url::ParseError> {
    url::Url::parse(&format!(
        "http://{}:{}/",
        local_host(addr.ip()),
        addr.port()
    ))
}

/// The SMTP address a local client dials for a listener on `addr`.
pub fn local_smtp(addr: SocketAddr) -> SmtpAddress {
    let host = local_host(addr.ip());
    SmtpAddress::new(
        host.trim_start_matches('[').trim_end_matches(']'),
        addr.port(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_addresses() {
        let url = |s: &str| local_url(s.parse().unwrap()).unwrap().to_string();
        assert_eq!(url("0.0.0.0:3000"), "http://127.0.0.1:3000/");
        assert_eq!(url("10.0.0.5:8080"), "http://10.0.0.5:8080/");
        assert_eq!(url("[::1]:3000"), "http://[::1]:3000/");
        assert_eq!(url("[::]:3000"), "http://127.0.0.1:3000/");
        let smtp = |s: &str| local_smtp(s.parse().unwrap()).to_string();
        assert_eq!(smtp("0.0.0.0:1025"), "127.0.0.1:1025");
        assert_eq!(smtp("[::1]:25"), "[::1]:25");
    }

    #[test]
    fn every_template_comes_from_one_part() {
        let t = compose_templates().unwrap();
        let mut composed: Vec<String> =
            t.names().iter().map(|n| format!("templates/{n}")).collect();
        composed.sort();
        // The mail catcher keeps its own templates (it also runs alone).
        let mut expected: Vec<String> = crate::assets::all()
            .filter(|p| p.starts_with("templates/") && !p.starts_with("templates/mail/"))
            .collect();
        expected.sort();
        assert_eq!(composed, expected);
    }
}
