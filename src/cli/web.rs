//! `kiqlab web`: the web node (apps, playground, timings, internal API, and
//! unless disabled the mail catcher and tagger) on `--bind`:`--port`, until
//! SIGINT/SIGTERM; with `--autoscale`, also the autoscaler (see
//! `autoscale_args`).

use std::net::IpAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::Args as ClapArgs;

use super::autoscale_args::{AutoscaleArgs, LocalContext};
use super::embedded_args::EmbeddedArgs;
use super::jobs_args::JobsArgs;
use super::StoreArgs;
use crate::config::{data_dir, process_env};
use crate::secret::Secret;
use crate::web::{Application, WebSettings};

#[derive(Debug, ClapArgs)]
pub struct Args {
    #[command(flatten)]
    pub store: StoreArgs,

    #[command(flatten)]
    pub jobs: JobsArgs,

    #[command(flatten)]
    pub embedded: EmbeddedArgs,

    #[command(flatten)]
    pub autoscale: AutoscaleArgs,

    /// Port to listen on
    #[arg(long, env = "PORT", default_value_t = 3000)]
    pub port: u16,

    /// Address to listen on (0.0.0.0 to serve other hosts)
    #[arg(long, env = "KIQLAB_BIND", default_value = "127.0.0.1")]
    pub bind: IpAddr,

    /// The application database (default: web.db in the data directory)
    #[arg(long, env = "KIQLAB_DATABASE", value_name = "PATH")]
    pub database: Option<PathBuf>,

    /// Token workers present to /internal (default: kept in internal-token in the data directory)
    #[arg(
        long,
        env = "KIQLAB_INTERNAL_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    pub internal_token: Option<Secret>,

    /// With --no-mailcatcher: the external mail catcher's web UI, where /mail leads
    #[arg(
        long,
        env = "KIQLAB_MAIL_UI_URL",
        value_name = "URL",
        default_value = "http://127.0.0.1:1080"
    )]
    pub mail_ui_url: String,

    /// HTTP worker threads
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub http_workers: u16,
}

impl Args {
    pub fn settings(&self) -> anyhow::Result<WebSettings> {
        let dir = data_dir(&process_env);
        let internal_token = match &self.internal_token {
            Some(t) => t.clone(),
            None => {
                let path = dir.join("internal-token");
                let (t, made) = crate::secret::load_or_create(&path).with_context(|| {
                    format!("cannot keep the internal token in {}", path.display())
                })?;
                if made {
                    tracing::info!(path = %path.display(), "made an internal token; give it to workers as KIQLAB_INTERNAL_TOKEN");
                }
                t
            }
        };
        Ok(WebSettings {
            database: self.database.clone().unwrap_or_else(|| dir.join("web.db")),
            internal_token,
            jobs: self.jobs.config(None),
            mail_ui_url: self.mail_ui_url.clone(),
            embedded: Default::default(),
            http_workers: usize::from(self.http_workers),
        })
    }
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let mut settings = args.settings()?;
    let store = args.store.open().await?;
    let services = args.embedded.start(args.jobs.tagger_key.as_ref()).await?;
    settings.embedded = services.embedded.clone();
    if let Some(addr) = services.smtp_addr() {
        settings.jobs.smtp =
            crate::jobs::config::SmtpAddress::new(addr.ip().to_string(), addr.port());
    }
    let listener = std::net::TcpListener::bind((args.bind, args.port))
        .with_context(|| format!("cannot listen on {}:{}", args.bind, args.port))?;
    let web_url = local_url(&listener)?;
    if services.embedded.tagger.is_some() {
        // Autoscaled local workers call the tagger this node serves.
        settings.jobs.tagger_url =
            url::Url::parse(&format!("{web_url}/"))?.join(crate::web::embedded::TAGGER_PATH)?;
    }
    let (token, jobs) = (settings.internal_token.clone(), settings.jobs.clone());
    let app = Application::build(settings, store.clone(), listener).await?;
    let dir = data_dir(&process_env);
    let login = crate::web::admin::ensure_admin(app.db(), &dir)
        .await
        .context("cannot set up the dashboard's admin account")?;
    let file = dir.join(crate::web::admin::PASSWORD_FILE);
    tracing::info!(
        user = %login.username,
        password_file = %file.display(),
        created = login.created,
        "the dashboard (/sidekiq) admin signs in with the password in this file"
    );
    let autoscaler = args.autoscale.start(
        store,
        &LocalContext {
            store_url: &args.store.url()?,
            web_url,
            internal_token: &token,
            jobs: &jobs,
        },
    )?;
    let handle = app.handle();
    let server = tokio::spawn(app.run_until_stopped());
    super::signals::shutdown().await?;
    tracing::info!("stopping the web node");
    if let Some(a) = autoscaler {
        a.stop().await;
    }
    // The mail catcher first: it ends the UI's live streams.
    services.shutdown().await;
    handle.stop(true).await;
    server.await?.context("the web server failed")?;
    Ok(())
}

/// This node's URL as a worker on this machine reaches it.
fn local_url(listener: &std::net::TcpListener) -> anyhow::Result<String> {
    let addr = listener.local_addr()?;
    let host = match addr.ip() {
        ip if ip.is_unspecified() => "127.0.0.1".to_owned(),
        IpAddr::V6(ip) => format!("[{ip}]"),
        ip => ip.to_string(),
    };
    Ok(format!("http://{host}:{}", addr.port()))
}
