//! What the apps' jobs share when they run: their configuration and one HTTP
//! client (kept alive across jobs) for the internal API and the tagger.

use std::sync::OnceLock;

use super::config::JobsConfig;
use super::internal::WebApi;
use crate::engine::registry::JobError;

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
            // The worker's own address, so the web node and the tagger see it.
            .local_address(self.config.source_ip.map(|s| s.ip()))
            .build()?;
        Ok(self.http.get_or_init(|| client))
    }

    /// The web node's internal API, as this worker reaches it.
    pub fn web_api(&self) -> Result<WebApi<'_>, JobError> {
        Ok(WebApi::new(self.http()?, &self.config))
    }
}
