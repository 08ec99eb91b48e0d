//! `kiqlab demo`: everything on one machine: the web node with its mail
//! catcher (`/mail`, SMTP on `--smtp-port`) and tagger (`/tagger/enrich`) in
//! this process, and `--workers` worker processes as children of this same
//! binary (restarted when they die, stopped on Ctrl-C/SIGTERM).
//! A fresh internal token and tagger key are made for each run and handed to
//! the children through their environment; the dashboard's admin password
//! is made on first start, kept in the data directory, and printed.

mod identity;
mod supervisor;

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use anyhow::Context;
use clap::Args as ClapArgs;

use super::embedded_args::EmbeddedArgs;
use super::jobs_args::parse_duration;
use super::worker_env::WorkerEnv;
use super::StoreArgs;
use crate::apps::config::DEFAULT_TAGGER_URL;
use crate::apps::JobsConfig;
use crate::config::{data_dir, process_env};
use crate::secret::Secret;
use crate::shutdown::Shutdown;
use crate::startup::{local_host, local_smtp, Application, Settings};
use crate::tagger::config::FailRate;
use supervisor::{ChildSpec, Supervisor};

#[derive(Debug, ClapArgs)]
pub struct Args {
    #[command(flatten)]
    pub store: StoreArgs,

    /// Worker processes to run (worker-01, worker-02…)
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=99))]
    pub workers: u16,

    /// Jobs each worker runs at once
    #[arg(short, long, default_value_t = 5, value_parser = clap::value_parser!(u16).range(1..=1000))]
    pub concurrency: u16,

    /// Request threads for the apps' pages, like Puma's (as `kiqlab web --threads`)
    #[arg(long, env = "RAILS_MAX_THREADS", default_value_t = 5, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub threads: u16,

    /// Web port
    #[arg(long, default_value_t = 3000)]
    pub port: u16,

    /// Address every part listens on
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: IpAddr,

    /// The mail catcher's SMTP port
    #[arg(long, default_value_t = 1025)]
    pub smtp_port: u16,

    /// The tutorial's `sleep` before highlighting, so sync is visibly slow
    #[arg(long, default_value = "2s", value_parser = parse_duration)]
    pub highlight_delay: Duration,

    /// How long the mail catcher takes to accept a mail (a slow SMTP server)
    #[arg(long, default_value = "1s", value_parser = parse_duration)]
    pub smtp_delay: Duration,

    /// How long the tagger takes to answer (a slow remote API)
    #[arg(long, default_value = "1s", value_parser = parse_duration)]
    pub tagger_latency: Duration,

    /// Time between the workers' scheduled-job polls (1s, 500ms)
    #[arg(long, default_value = "1s", value_parser = super::jobs_args::parse_secs)]
    pub poll_interval: f64,

    /// Do not run the mail catcher (use one already listening on --smtp-port)
    #[arg(long)]
    pub no_mailcatcher: bool,

    /// Do not run the tagger (use the one KIQLAB_TAGGER_URL names)
    #[arg(long)]
    pub no_tagger: bool,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    if !(args.poll_interval.is_finite() && args.poll_interval > 0.0) {
        anyhow::bail!("--poll-interval must be more than 0 (1s, 500ms)");
    }
    let dir = data_dir(&process_env);
    let url = args.store.url()?;
    let host = local_host(args.bind);
    let tagger_key = Secret::generate();
    let embedded = EmbeddedArgs {
        smtp_bind: SocketAddr::new(args.bind, args.smtp_port),
        smtp_delay: args.smtp_delay,
        no_mailcatcher: args.no_mailcatcher,
        tagger_latency: args.tagger_latency,
        tagger_fail_rate: FailRate::NEVER,
        no_tagger: args.no_tagger,
    };
    // Without the embedded tagger, the one KIQLAB_TAGGER_URL names.
    let tagger_url = std::env::var("KIQLAB_TAGGER_URL")
        .ok()
        .filter(|_| args.no_tagger)
        .unwrap_or_else(|| DEFAULT_TAGGER_URL.to_owned());
    let settings = Settings {
        bind: SocketAddr::new(args.bind, args.port),
        store: url.clone(),
        database: dir.join("web.db"),
        internal_token: Secret::generate(),
        jobs: JobsConfig {
            smtp: local_smtp(SocketAddr::new(args.bind, args.smtp_port)),
            tagger_url: url::Url::parse(&tagger_url)
                .with_context(|| format!("KIQLAB_TAGGER_URL {tagger_url:?} is not a URL"))?,
            tagger_key: Some(tagger_key.clone()),
            highlight_delay: args.highlight_delay,
            ..JobsConfig::default()
        },
        mail_ui_url: format!("http://{host}:1080/"),
        mailcatcher: embedded.mailcatcher(),
        tagger: embedded.tagger(Some(&tagger_key))?,
        http_workers: 2,
        request_threads: usize::from(args.threads),
        admin_dir: Some(dir),
    };
    let app = Application::build(settings).await?;
    let login = app
        .admin()
        .cloned()
        .context("the demo's admin account was not set up")?;
    let jobs = app.worker_jobs().clone();
    let web_url = app.url().as_str().trim_end_matches('/').to_owned();

    let exe = std::env::current_exe().context("cannot find this program's path")?;
    let worker_env = WorkerEnv {
        store: url.clone(),
        jobs: jobs.clone(),
    }
    .to_env();
    let (ids, shared_ip) = identity::identities(args.workers, &worker_hosts(&url, &jobs)).await;
    if let Some(why) = &shared_ip {
        tracing::warn!(reason = %why, "per-worker addresses are unavailable on this system; every worker shows this machine's IP");
    }
    let store_refuses = match ids.first().and_then(|i| i.source_ip) {
        Some(ip) => crate::engine::store::source_refusal(&url, ip)
            .await
            .unwrap_or_else(|e| Some(e.to_string())),
        None => None,
    };
    let names: Vec<String> = ids.iter().map(|i| i.name.clone()).collect();
    let specs = ids
        .iter()
        .map(|id| ChildSpec {
            name: id.name.clone(),
            args: [
                "worker".into(),
                "-c".into(),
                args.concurrency.to_string(),
                "-q".into(),
                "urgent,10".into(),
                "-q".into(),
                "default,1".into(),
                "--name".into(),
                id.name.clone(),
                "--poll-interval".into(),
                super::jobs_args::format_secs(args.poll_interval),
                "-t".into(),
                "8s".into(),
                // Busy, jobs in progress and the quiet badge follow the
                // workers within a second (Sidekiq beats every 5 s or 10 s).
                "--heartbeat-interval".into(),
                "1s".into(),
            ]
            .into_iter()
            // Its own address: it looks like another machine.
            .chain(
                id.source_ip
                    .iter()
                    .flat_map(|ip| ["--source-ip".to_owned(), ip.to_string()]),
            )
            .collect(),
            env: worker_env.clone(),
        })
        .collect();
    let children = Supervisor::start(exe, specs, Duration::from_secs(10));
    let stop = Shutdown::new();
    let mut server = tokio::spawn(app.run_until_stopped(stop.clone()));

    let mut banner = vec![
        "kiqlab demo is running (Ctrl-C stops everything):".to_owned(),
        format!("  web        {web_url}/"),
        format!(
            "  dashboard  {web_url}/sidekiq   sign in as {} / {}",
            login.username,
            login.password.expose()
        ),
        format!("  mail       {web_url}/mail/   (SMTP {})", jobs.smtp),
        format!("  tagger     {}", jobs.tagger_url),
        format!("  timings    {web_url}/timings"),
        format!(
            "  threads    {} request threads for the apps' pages, like Puma's (--threads, RAILS_MAX_THREADS)",
            args.threads
        ),
        format!("  store      {url}"),
        format!(
            "  workers    {} (-c {} -q urgent,10 -q default,1)",
            names.join(", "),
            args.concurrency
        ),
        match &shared_ip {
            None => format!(
                "  addresses  {} (each worker's own: its connections start from it, like another machine's)",
                ids.iter()
                    .filter_map(|i| i.source_ip.map(|ip| format!("{} {ip}", i.name)))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Some(why) => format!(
                "  addresses  per-worker addresses are unavailable on this system ({why}); every worker shows this machine's IP"
            ),
        },
    ];
    if let Some(why) = &store_refuses {
        banner.push(format!(
            "             the store refuses them ({why}): the workers reach it from the default address (set requirepass, or protected-mode no, to see theirs there)"
        ));
    }
    super::banner::print(&banner.join("\n"))?;

    let outcome = tokio::select! {
        r = super::signals::shutdown() => r.map_err(anyhow::Error::from),
        r = &mut server => Err(server_ended(r)),
    };
    tracing::info!("stopping the demo");
    children.stop().await;
    stop.trigger();
    if !server.is_finished() {
        let _ = server.await;
    }
    outcome
}

/// The hosts the workers connect to: the web node, SMTP, the tagger and a
/// networked store.
fn worker_hosts(store: &crate::engine::store::url::StoreUrl, jobs: &JobsConfig) -> Vec<String> {
    let mut hosts: Vec<String> = [jobs.web_url.host_str(), jobs.tagger_url.host_str()]
        .into_iter()
        .flatten()
        .map(str::to_owned)
        .collect();
    hosts.push(jobs.smtp.host().to_owned());
    hosts.extend(store.server().map(|(host, _)| host));
    hosts
}

/// Why the web node's task ended before it was told to stop.
pub(super) fn server_ended(r: Result<anyhow::Result<()>, tokio::task::JoinError>) -> anyhow::Error {
    match r {
        Ok(Err(e)) => e,
        Ok(Ok(())) => anyhow::anyhow!("the web server stopped unexpectedly"),
        Err(e) => anyhow::Error::from(e).context("the web server task failed"),
    }
}
