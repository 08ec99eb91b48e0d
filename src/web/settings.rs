//! The web node's typed settings, built by `kiqlab web`/`kiqlab demo` from
//! flags and environment. Secrets are `Secret`s, so printing the settings
//! never shows them.

use std::path::PathBuf;

use super::embedded::Embedded;
use crate::jobs::JobsConfig;
use crate::secret::Secret;

#[derive(Debug, Clone)]
pub struct WebSettings {
    /// The application database (snippets, requests, posts, users).
    pub database: PathBuf,
    /// The bearer token workers present to `/internal/…`.
    pub internal_token: Secret,
    /// SMTP, tagger, timeouts and delay for jobs run inline ("sync"); the
    /// web URL and token are set to this node's own.
    pub jobs: JobsConfig,
    /// Where `/mail` sends people when no mail catcher is embedded.
    pub mail_ui_url: String,
    /// The mail catcher UI and tagger served in this process.
    pub embedded: Embedded,
    /// HTTP worker threads.
    pub http_workers: usize,
}

/// Largest form body accepted (the snippet's 64 KiB of code, URL-encoded).
pub const MAX_FORM_BYTES: usize = 1024 * 1024;
/// Largest internal API body (highlighted HTML is several times the code).
pub const MAX_INTERNAL_BYTES: usize = 16 * 1024 * 1024;
