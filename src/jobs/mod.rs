//! Every job class this binary can run: the engine's built-ins plus the
//! sample apps' jobs, one file per class. Workers, `kiqlab enqueue` and the
//! web node's client (and its inline "sync" path) all use `registry`.
//!
//! - `config`: what the jobs reach (web node, SMTP, tagger) and timeouts
//! - `web_api`: the client for the web node's internal API
//! - `highlight`: `HighlightWorker(snippet_id)`
//! - `sequence_email`: `SequenceEmailWorker(email, length)`
//! - `auto_tag`: `AutoTagWorker(post_id)`, retry 3

pub mod auto_tag;
pub mod config;
pub mod highlight;
pub mod sequence_email;
pub mod web_api;

use std::sync::{Arc, OnceLock};

pub use config::JobsConfig;

use crate::engine::builtin;
use crate::engine::registry::{JobError, Registry};

pub fn registry(config: &JobsConfig) -> Registry {
    let mut r = Registry::new();
    builtin::register(&mut r);
    let services = Arc::new(Services::new(config.clone()));
    highlight::register(&mut r, services.clone());
    sequence_email::register(&mut r, services.clone());
    auto_tag::register(&mut r, services);
    r
}

/// What the apps' jobs share: their configuration and one HTTP client.
#[derive(Debug)]
pub struct Services {
    pub config: JobsConfig,
    http: OnceLock<reqwest::Client>,
}

impl Services {
    pub fn new(config: JobsConfig) -> Services {
        Services {
            config,
            http: OnceLock::new(),
        }
    }

    /// The HTTP client (built on first use; it keeps connections alive).
    pub fn http(&self) -> Result<&reqwest::Client, JobError> {
        if let Some(c) = self.http.get() {
            return Ok(c);
        }
        let client = reqwest::Client::builder()
            .timeout(self.config.http_timeout)
            .connect_timeout(self.config.http_timeout)
            .user_agent(concat!("kiqlab/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(self.http.get_or_init(|| client))
    }

    pub fn web_api(&self) -> Result<web_api::WebApi<'_>, JobError> {
        Ok(web_api::WebApi::new(self.http()?, &self.config))
    }
}
