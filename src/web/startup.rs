//! Builds the web node on a listener it is given (tests bind port 0), and
//! runs it until stopped. Signals are the caller's business.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::{Server, ServerHandle};
use actix_web::error::{JsonPayloadError, UrlencodedError};
use actix_web::http::StatusCode;
use actix_web::{middleware, web, App, HttpServer};
use anyhow::Context;

use super::db::Db;
use super::errors;
use super::settings::{WebSettings, MAX_FORM_BYTES, MAX_INTERNAL_BYTES};
use super::state::AppState;
use super::timing::{self, Timings};
use crate::engine::api::SharedStore;
use crate::engine::client::Client;
use crate::engine::clock::SystemClock;

pub struct Application {
    port: u16,
    server: Server,
    db: Db,
}

impl Application {
    pub async fn build(
        settings: WebSettings,
        store: SharedStore,
        listener: TcpListener,
    ) -> anyhow::Result<Application> {
        let addr = listener
            .local_addr()
            .context("the listener has no address")?;
        let path = settings.database.clone();
        let db = tokio::task::spawn_blocking(move || Db::open(&path))
            .await?
            .with_context(|| format!("cannot open {}", settings.database.display()))?;
        // Jobs run inline call this very node's internal API.
        let mut jobs = settings.jobs.clone();
        let host = if addr.ip().is_unspecified() {
            "127.0.0.1".to_owned()
        } else {
            match addr.ip() {
                std::net::IpAddr::V6(ip) => format!("[{ip}]"),
                ip => ip.to_string(),
            }
        };
        jobs.web_url = url::Url::parse(&format!("http://{host}:{}/", addr.port()))?;
        jobs.internal_token = Some(settings.internal_token.clone());
        if settings.embedded.tagger.is_some() {
            jobs.tagger_url = jobs.web_url.join(super::embedded::TAGGER_PATH)?;
        }
        let registry = Arc::new(crate::jobs::registry(&jobs));
        let api = crate::engine::api::Api::new(store.clone(), Arc::new(SystemClock));
        let client = Client::new(store, registry.clone(), Arc::new(SystemClock));
        let state = web::Data::new(AppState::new(
            db.clone(),
            client,
            api,
            registry,
            settings.internal_token.clone(),
            settings.mail_ui_url.clone(),
        ));
        let timings = web::Data::new(Timings::default());
        let embedded = settings.embedded.clone();
        let server = HttpServer::new(move || {
            App::new()
                .wrap(middleware::from_fn(timing::measure))
                .app_data(state.clone())
                .app_data(timings.clone())
                .app_data(form_config())
                .app_data(json_config())
                .configure(|cfg| embedded.configure(cfg))
                .configure(super::routes::configure)
                .default_service(web::to(errors::not_found))
        })
        .workers(settings.http_workers.max(1))
        .disable_signals()
        .shutdown_timeout(5)
        .listen(listener)
        .context("cannot listen")?
        .run();
        tracing::info!(%addr, "web node listening");
        Ok(Application {
            port: addr.port(),
            server,
            db,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Stops the server (gracefully) when called from elsewhere.
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

fn form_config() -> web::FormConfig {
    web::FormConfig::default()
        .limit(MAX_FORM_BYTES)
        .error_handler(|err, _req| {
            let (status, message) = match &err {
                UrlencodedError::Overflow { .. } => (
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "The form is larger than 1 MiB; snippets are limited to 64 KiB of code.",
                ),
                UrlencodedError::ContentType => (
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "Send the form as application/x-www-form-urlencoded.",
                ),
                _ => (StatusCode::BAD_REQUEST, "The form could not be read."),
            };
            let resp = errors::render(status, message);
            actix_web::error::InternalError::from_response(err, resp).into()
        })
}

fn json_config() -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(MAX_INTERNAL_BYTES)
        .error_handler(|err, _req| {
            let status = match &err {
                JsonPayloadError::Overflow { .. }
                | JsonPayloadError::OverflowKnownLength { .. } => StatusCode::PAYLOAD_TOO_LARGE,
                _ => StatusCode::BAD_REQUEST,
            };
            let resp = actix_web::HttpResponse::build(status)
                .json(serde_json::json!({ "error": err.to_string() }));
            actix_web::error::InternalError::from_response(err, resp).into()
        })
}
