//! The `kiqlab` command line: one clap subcommand per runner, each in its
//! own file with an `Args` struct and an async `run`.

mod admin;
mod autoscale_args;
mod banner;
mod bench;
mod demo;
mod embedded_args;
mod enqueue;
mod jobs_args;
mod load;
mod mailcatcher;
mod signals;
mod stats;
mod store_args;
mod tagger;
mod web;
mod worker;
mod worker_env;

use clap::{Parser, Subcommand};

pub use jobs_args::{JobsArgs, WebApiArgs};
pub use store_args::StoreArgs;

#[derive(Debug, Parser)]
#[command(
    name = "kiqlab",
    version,
    about = "Background jobs with Sidekiq, reproduced for real",
    long_about = "kiqlab runs the classic \"background jobs with Sidekiq\" tutorials for real: a \
Sidekiq-compatible job engine (Redis or embedded SQLite), worker processes, sample web apps, \
a dashboard, a mail catcher and a tagging API, all in one binary."
)]
pub struct Cli {
    /// Log debug output from kiqlab (RUST_LOG overrides)
    #[arg(short, long, global = true)]
    pub verbose: bool,

    /// How log lines are written to stderr: text (coloured only on a terminal, never with NO_COLOR) or json
    #[arg(
        long,
        global = true,
        value_enum,
        default_value_t,
        env = "KIQLAB_LOG_FORMAT"
    )]
    pub log_format: crate::telemetry::LogFormat,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a worker node: fetch jobs from the store and run them (Sidekiq's flags)
    Worker(worker::Args),
    /// Enqueue jobs like the tutorials' console: perform_async, --in, --at, --count
    Enqueue(enqueue::Args),
    /// Benchmark the job engine: push N no-op jobs, process them, time pickups
    Bench(bench::Args),
    /// Run the web node: the sample apps, the playground, timings and the workers' internal API
    Web(web::Args),
    /// Run everything on this machine: web node, mail catcher, tagger and N worker processes
    Demo(demo::Args),
    /// Show processed, failed, busy, enqueued per queue, scheduled, retries and dead (like Sidekiq::Stats)
    Stats(stats::Args),
    /// Catch mail: an SMTP server (1025) that keeps every message, with a web UI and JSON API (1080)
    Mailcatcher(mailcatcher::Args),
    /// Serve the tagging API: a local OpenCalais (POST /enrich) with optional latency and failures
    Tagger(tagger::Args),
    /// Dashboard accounts: create users, grant admin
    Admin(admin::Args),
    /// The load lesson: N users post an app's form sync and/or async; p50/p95/p99, req/s, errors
    Load(load::Args),
}

impl Command {
    pub async fn run(self) -> anyhow::Result<()> {
        match self {
            Command::Worker(a) => worker::run(a).await,
            Command::Enqueue(a) => enqueue::run(a).await,
            Command::Stats(a) => stats::run(a).await,
            Command::Bench(a) => bench::run(a).await,
            Command::Mailcatcher(a) => mailcatcher::run(a).await,
            Command::Tagger(a) => tagger::run(a).await,
            Command::Web(a) => web::run(a).await,
            Command::Demo(a) => demo::run(a).await,
            Command::Admin(a) => admin::run(a).await,
            Command::Load(a) => load::run(a).await,
        }
    }
}
