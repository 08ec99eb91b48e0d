//! `kiqlab demo`: everything on one machine: the web node with its mail
//! catcher (`/mail`, SMTP on `--smtp-port`) and tagger (`/tagger/enrich`) in
//! this process, and `--workers` worker processes as children of this same
//! binary (restarted when they die, stopped on Ctrl-C/SIGTERM).
//! A fresh internal token and tagger key are made for each run and handed to
//! the children through their environment; the dashboard's admin password
//! is made on first start, kept in the data directory, and printed.

mod supervisor;

use std::net::IpAddr;
use std::time::Duration;

use anyhow::Context;
use clap::Args as ClapArgs;

use super::embedded_args::EmbeddedArgs;
use super::jobs_args::parse_duration;
use super::StoreArgs;
use crate::config::{data_dir, process_env};
use crate::jobs::config::SmtpAddress;
use crate::jobs::JobsConfig;
use crate::secret::Secret;
use crate::tagger::config::FailRate;
use crate::web::embedded::TAGGER_PATH;
use crate::web::{admin, Application, WebSettings};
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

    /// Seconds between the workers' scheduled-job polls
    #[arg(long, default_value_t = 1.0)]
    pub poll_interval: f64,

    /// Do not run the mail catcher (use one already listening on --smtp-port)
    #[arg(long)]
    pub no_mailcatcher: bool,

    /// Do not run the tagger (use the one KIQLAB_TAGGER_URL names)
    #[arg(long)]
    pub no_tagger: bool,
}

fn host_for_url(ip: IpAddr) -> String {
    match ip {
        ip if ip.is_unspecified() => "127.0.0.1".to_owned(),
        IpAddr::V6(ip) => format!("[{ip}]"),
        ip => ip.to_string(),
    }
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    if !(args.poll_interval.is_finite() && args.poll_interval > 0.0) {
        anyhow::bail!("--poll-interval must be a positive number of seconds");
    }
    let dir = data_dir(&process_env);
    let url = args.store.url()?;
    let store = args.store.open().await?;
    let host = host_for_url(args.bind);
    let listener = std::net::TcpListener::bind((args.bind, args.port))
        .with_context(|| format!("cannot listen on {}:{}", args.bind, args.port))?;
    let port = listener.local_addr()?.port();
    let web_url = format!("http://{host}:{port}");
    let internal_token = Secret::generate();
    let tagger_key = Secret::generate();
    let services = EmbeddedArgs {
        smtp_bind: std::net::SocketAddr::new(args.bind, args.smtp_port),
        smtp_delay: args.smtp_delay,
        no_mailcatcher: args.no_mailcatcher,
        tagger_latency: args.tagger_latency,
        tagger_fail_rate: FailRate::NEVER,
        no_tagger: args.no_tagger,
    }
    .start(Some(&tagger_key))
    .await?;
    let smtp = SmtpAddress::new(host.clone(), args.smtp_port);
    let mail_url = format!("{web_url}/mail/");
    let tagger_url = if args.no_tagger {
        std::env::var("KIQLAB_TAGGER_URL")
            .unwrap_or_else(|_| crate::jobs::config::DEFAULT_TAGGER_URL.to_owned())
    } else {
        format!("{web_url}/{TAGGER_PATH}")
    };

    let jobs = JobsConfig {
        smtp: smtp.clone(),
        tagger_url: url::Url::parse(&tagger_url)?,
        tagger_key: Some(tagger_key.clone()),
        highlight_delay: args.highlight_delay,
        ..JobsConfig::default()
    };
    let settings = WebSettings {
        database: dir.join("web.db"),
        internal_token: internal_token.clone(),
        jobs,
        mail_ui_url: format!("http://{host}:1080/"),
        embedded: services.embedded.clone(),
        http_workers: 2,
    };
    let app = Application::build(settings, store, listener).await?;
    let login = admin::ensure_admin(app.db(), &dir)
        .await
        .context("cannot set up the admin account")?;

    let exe = std::env::current_exe().context("cannot find this program's path")?;
    let mut specs = Vec::new();
    let worker_env = vec![
        ("KIQLAB_EXIT_WITH_PARENT".to_owned(), "true".to_owned()),
        ("KIQLAB_STORE".to_owned(), url.for_child()),
        ("KIQLAB_WEB_URL".to_owned(), web_url.clone()),
        (
            "KIQLAB_INTERNAL_TOKEN".to_owned(),
            internal_token.expose().to_owned(),
        ),
        ("KIQLAB_SMTP".to_owned(), smtp.to_string()),
        ("KIQLAB_TAGGER_URL".to_owned(), tagger_url.clone()),
        (
            "KIQLAB_TAGGER_KEY".to_owned(),
            tagger_key.expose().to_owned(),
        ),
        (
            "KIQLAB_HIGHLIGHT_DELAY".to_owned(),
            format!("{}", args.highlight_delay.as_secs_f64()),
        ),
    ];
    let names: Vec<String> = (1..=args.workers)
        .map(|i| format!("worker-{i:02}"))
        .collect();
    for name in &names {
        specs.push(ChildSpec {
            name: name.clone(),
            args: vec![
                "worker".into(),
                "-c".into(),
                args.concurrency.to_string(),
                "-q".into(),
                "urgent".into(),
                "-q".into(),
                "default".into(),
                "--name".into(),
                name.clone(),
                "--poll-interval".into(),
                args.poll_interval.to_string(),
                "-t".into(),
                "8".into(),
            ],
            env: worker_env.clone(),
        });
    }
    let children = Supervisor::start(exe, specs, Duration::from_secs(10));
    let handle = app.handle();
    let server = tokio::spawn(app.run_until_stopped());

    println!("kiqlab demo is running (Ctrl-C stops everything):");
    println!("  web        {web_url}/");
    println!(
        "  dashboard  {web_url}/sidekiq   sign in as {} / {}",
        login.username,
        login.password.expose()
    );
    println!("  mail       {mail_url}   (SMTP {smtp})");
    println!("  tagger     {tagger_url}");
    println!("  timings    {web_url}/timings");
    println!("  store      {url}");
    println!(
        "  workers    {} (-c {} -q urgent -q default)",
        names.join(", "),
        args.concurrency
    );
    use std::io::Write;
    std::io::stdout().flush()?;

    let outcome = tokio::select! {
        r = super::signals::shutdown() => r.map_err(anyhow::Error::from),
        r = server_exit(&server) => r,
    };
    tracing::info!("stopping the demo");
    children.stop().await;
    services.shutdown().await;
    handle.stop(true).await;
    let _ = server.await;
    outcome
}

/// Completes if the web server stops by itself (it should not).
async fn server_exit(server: &tokio::task::JoinHandle<std::io::Result<()>>) -> anyhow::Result<()> {
    while !server.is_finished() {
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    anyhow::bail!("the web server stopped unexpectedly")
}
