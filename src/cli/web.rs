//! `kiqlab web`: the web node (apps, playground, timings, internal API, and
//! unless disabled the mail catcher and tagger) on `--bind`:`--port` (port 0:
//! a free one; the port is printed), until SIGINT/SIGTERM; with
//! `--autoscale`, also the autoscaler (see `autoscale_args`).

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use anyhow::Context;
use clap::Args as ClapArgs;

use super::autoscale_args::AutoscaleArgs;
use super::embedded_args::EmbeddedArgs;
use super::jobs_args::JobsArgs;
use super::worker_env::WorkerEnv;
use super::StoreArgs;
use crate::config::{data_dir, process_env};
use crate::secret::Secret;
use crate::shutdown::Shutdown;
use crate::startup::{Application, Settings};

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

    /// Port to listen on (0: a free port, printed on standard output)
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

    /// HTTP server threads that answer requests (not job workers: those are `kiqlab worker`)
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub http_workers: u16,

    /// Request threads for the apps' pages, like Puma's (a sync submit holds one for its whole work)
    #[arg(long, env = "RAILS_MAX_THREADS", default_value_t = 5, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub threads: u16,
}

impl Args {
    pub fn settings(&self) -> anyhow::Result<Settings> {
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
        Ok(Settings {
            bind: SocketAddr::new(self.bind, self.port),
            store: self.store.url()?,
            database: self.database.clone().unwrap_or_else(|| dir.join("web.db")),
            internal_token,
            jobs: self.jobs.config(None),
            mail_ui_url: self.mail_ui_url.clone(),
            mailcatcher: self.embedded.mailcatcher(),
            tagger: self.embedded.tagger(self.jobs.tagger_key.as_ref())?,
            http_workers: usize::from(self.http_workers),
            request_threads: usize::from(self.threads),
            admin_dir: Some(dir),
        })
    }
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let settings = args.settings()?;
    let password_file = settings
        .admin_dir
        .as_ref()
        .map(|d| d.join(crate::web::admin::PASSWORD_FILE));
    let app = Application::build(settings.clone()).await?;
    if let (Some(login), Some(file)) = (app.admin(), password_file) {
        tracing::info!(
            user = %login.username,
            password_file = %file.display(),
            created = login.created,
            "the dashboard (/sidekiq) admin signs in with the password in this file"
        );
    }
    // The one line a script (or a test, with --port 0) reads the port from.
    super::banner::print(&format!(
        "kiqlab web: listening on {}",
        app.url().as_str().trim_end_matches('/')
    ))?;
    let child = WorkerEnv {
        store: settings.store,
        jobs: app.worker_jobs().clone(),
    };
    let autoscaler = args.autoscale.start(app.store().clone(), &child)?;
    let stop = Shutdown::new();
    let mut server = tokio::spawn(app.run_until_stopped(stop.clone()));
    let outcome = tokio::select! {
        r = super::signals::shutdown() => r.map_err(anyhow::Error::from),
        r = &mut server => Err(super::demo::server_ended(r)),
    };
    tracing::info!("stopping the web node");
    if let Some(a) = autoscaler {
        a.stop().await;
    }
    stop.trigger();
    if !server.is_finished() {
        server.await??;
    }
    outcome
}
