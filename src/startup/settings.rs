//! The web node's typed settings, built by `kiqlab web`, `kiqlab demo` and the
//! tests: where to listen, which store and database, the token, what inline
//! jobs reach, and which services to run in-process. Secrets are `Secret`s,
//! so printing the settings never shows them.

use std::net::SocketAddr;
use std::path::PathBuf;

use crate::apps::JobsConfig;
use crate::engine::store::url::StoreUrl;
use crate::mailcatcher::MailCatcherConfig;
use crate::secret::Secret;
use crate::tagger::TaggerConfig;

#[derive(Debug, Clone)]
pub struct Settings {
    /// Where to listen; port 0 takes a free one (`Application::port` tells).
    pub bind: SocketAddr,
    /// The job store.
    pub store: StoreUrl,
    /// The application database (snippets, requests, posts, users).
    pub database: PathBuf,
    /// The bearer token workers present to `/internal/…`.
    pub internal_token: Secret,
    /// SMTP, tagger, timeouts and delay for jobs run inline ("sync"); the
    /// web URL and token become this node's own, and the SMTP server and
    /// tagger the embedded ones when they run.
    pub jobs: JobsConfig,
    /// Where `/mail` sends people when no mail catcher is embedded.
    pub mail_ui_url: String,
    /// The mail catcher to run in this process (UI at `/mail`).
    pub mailcatcher: Option<MailCatcherSettings>,
    /// The tagger to run in this process (at `/tagger/enrich`).
    pub tagger: Option<TaggerConfig>,
    /// HTTP worker threads.
    pub http_workers: usize,
    /// The apps' request threads (`web::pool`, Puma's threads).
    pub request_threads: usize,
    /// Make sure the dashboard's admin account exists, its password kept in
    /// this directory (`kiqlab web` and `kiqlab demo`; tests make their own).
    pub admin_dir: Option<PathBuf>,
}

#[derive(Debug, Clone)]
pub struct MailCatcherSettings {
    /// Where it takes SMTP (port 0: a free port).
    pub smtp_bind: SocketAddr,
    pub config: MailCatcherConfig,
}
