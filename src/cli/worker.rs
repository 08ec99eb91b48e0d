//! `kiqlab worker`: a worker node with Sidekiq's flags. Runs until SIGTERM/
//! SIGINT (or a stop sent from the dashboard, or `--idle-exit` seconds without
//! work), then stops within `-t` seconds. Its lifetime goes to the
//! worker-seconds meter.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Args as ClapArgs;

use super::jobs_args::{parse_secs, JobsArgs, WebApiArgs};
use super::StoreArgs;
use crate::autoscale::idle::IdleExit;
use crate::autoscale::usage::{self, UsageMeter};
use crate::autoscale::Queues;
use crate::domain::SourceIp;
use crate::engine::clock::SystemClock;
use crate::engine::launcher::{Launcher, WorkerConfig};
use crate::engine::queue::{QueueSpec, WeightedQueue};
use crate::engine::store::url::StoreUrl;

#[derive(Debug, ClapArgs)]
pub struct Args {
    #[command(flatten)]
    pub store: StoreArgs,

    #[command(flatten)]
    pub api: WebApiArgs,

    #[command(flatten)]
    pub jobs: JobsArgs,

    /// Jobs run at once by this process
    #[arg(short, long, default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..=1000))]
    pub concurrency: u16,

    /// Queue to serve, with an optional weight (repeatable): -q urgent,10 -q default,1.
    /// Without weights queues are tried in the order given
    #[arg(
        short,
        long = "queue",
        value_name = "NAME[,WEIGHT]",
        default_value = "default"
    )]
    pub queues: Vec<WeightedQueue>,

    /// Always try queues in the order given, even with weights
    #[arg(long)]
    pub strict: bool,

    /// How long running jobs may finish on shutdown before they are pushed back (25s, 500ms)
    #[arg(short, long, default_value = "25s", value_name = "DURATION", value_parser = parse_secs)]
    pub timeout: f64,

    /// Tag shown on the dashboard's Busy page
    #[arg(short = 'g', long, default_value = "")]
    pub tag: String,

    /// Name shown instead of the hostname (e.g. worker-01); DYNO is honoured too
    #[arg(long, value_parser = parse_name)]
    pub name: Option<String>,

    /// Label shown on the Busy page (repeatable)
    #[arg(long = "label")]
    pub labels: Vec<String>,

    /// IP address to report (default: the --source-ip, else detected from the route to the store)
    #[arg(long, env = "KIQLAB_IP")]
    pub ip: Option<std::net::IpAddr>,

    /// This worker's own address, as if it were another machine: every
    /// connection it makes (the store, the web node, the tagger, SMTP)
    /// starts from it, and it is the IP the worker reports. It must be an
    /// address of this machine; on Linux any of 127.0.0.0/8 is (`kiqlab
    /// demo` gives worker-01 127.0.0.11, worker-02 127.0.0.12…)
    #[arg(long, env = "KIQLAB_SOURCE_IP", value_name = "IP")]
    pub source_ip: Option<SourceIp>,

    /// Average time between scheduled-job polls, e.g. 500ms (default: 5s times the number of processes, as Sidekiq)
    #[arg(long, value_name = "DURATION", value_parser = parse_secs)]
    pub poll_interval: Option<f64>,

    /// Exit after this long (60s, 1m) with nothing queued, scheduled, retrying
    /// or running in the queues served (for the autoscaler)
    #[arg(long, value_name = "DURATION", env = "KIQLAB_IDLE_EXIT", value_parser = parse_secs)]
    pub idle_exit: Option<f64>,

    /// Stop when the parent process exits (set by `kiqlab demo` for its children)
    #[arg(long, env = "KIQLAB_EXIT_WITH_PARENT", hide = true)]
    pub exit_with_parent: bool,

    /// Time between heartbeats, which carry the busy count and read quiet/stop
    /// signals (Sidekiq 6: 5s; `kiqlab demo` passes 1s so Busy is live)
    #[arg(long, value_name = "DURATION", env = "KIQLAB_HEARTBEAT_INTERVAL", default_value = "5s", value_parser = parse_secs)]
    pub heartbeat_interval: f64,
}

fn parse_name(s: &str) -> Result<String, String> {
    let ok = !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if ok {
        Ok(s.to_owned())
    } else {
        Err("a name is 1-64 letters, digits, '-', '_' or '.'".into())
    }
}

impl Args {
    pub fn config(&self) -> anyhow::Result<WorkerConfig> {
        if !(self.timeout.is_finite() && self.timeout > 0.0) {
            anyhow::bail!("--timeout must be more than 0 (25s, 500ms)");
        }
        if let Some(p) = self.poll_interval {
            if !(p.is_finite() && p > 0.0) {
                anyhow::bail!("--poll-interval must be more than 0 (500ms, 5s)");
            }
        }
        if let Some(i) = self.idle_exit {
            if !(i.is_finite() && i > 0.0) {
                anyhow::bail!("--idle-exit must be more than 0 (60s, 1m)");
            }
        }
        if !(self.heartbeat_interval.is_finite() && self.heartbeat_interval >= 0.01) {
            anyhow::bail!("--heartbeat-interval must be at least 10ms");
        }
        let queues = QueueSpec::new(self.queues.clone(), self.strict)?;
        Ok(WorkerConfig {
            concurrency: usize::from(self.concurrency),
            queues,
            timeout: Duration::from_secs_f64(self.timeout),
            tag: self.tag.clone(),
            name: self.name.clone(),
            labels: self.labels.clone(),
            ip: self
                .ip
                .or(self.source_ip.map(SourceIp::ip))
                .map(|ip| ip.to_string()),
            poll_interval: self.poll_interval,
            heartbeat_interval: Duration::from_secs_f64(self.heartbeat_interval),
            ..WorkerConfig::default()
        })
    }
}

/// The address of a Redis server named by the URL, for picking our IP.
async fn store_addr(url: &StoreUrl) -> Option<std::net::SocketAddr> {
    let (host, port) = url.server()?;
    let mut addrs = tokio::net::lookup_host((host.as_str(), port)).await.ok()?;
    addrs.next()
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let mut config = args.config()?;
    let url = args.store.url()?;
    config.store_addr = store_addr(&url).await;
    if let Some(source) = args.source_ip {
        tracing::info!(%source, "this worker's connections (a Redis store, the web node, the tagger, SMTP) start from its own address");
    }
    let store = args.store.open_from(args.source_ip).await?;
    let mut jobs = args.jobs.config(Some(&args.api));
    jobs.source_ip = args.source_ip;
    if jobs.internal_token.is_none() {
        tracing::warn!(
            "KIQLAB_INTERNAL_TOKEN is not set: the sample apps' jobs will fail until it is"
        );
    }
    let registry = Arc::new(crate::apps::registry(&jobs));
    let queues = Queues::Only(config.queues.queues().to_vec());
    let launcher = Launcher::start(store.clone(), registry, Arc::new(SystemClock), config)
        .await
        .with_context(|| format!("cannot start the worker on {url}"))?;
    let idle = args.idle_exit.map(|secs| IdleExit {
        store: store.clone(),
        queues,
        probe: launcher.probe(),
        idle: Duration::from_secs_f64(secs),
    });
    let meter = UsageMeter::start(store, usage::RECORD_EVERY);
    let probe = launcher.probe();
    let stopped = launcher
        .run_until_stopped(true, until_stop(args.exit_with_parent, idle))
        .await
        .context("cannot listen for signals");
    meter.stop().await;
    stopped?;
    if let Some(reason) = probe.fatal() {
        // Non-zero, so systemd (or the demo's supervisor) sees it.
        anyhow::bail!("the job store {url} cannot be used: {reason}");
    }
    Ok(())
}

/// Completes when the worker should stop by itself: its parent is gone, or
/// it has been idle for `--idle-exit`.
async fn until_stop(exit_with_parent: bool, idle: Option<IdleExit>) {
    let idle = async {
        match idle {
            Some(i) => i.wait().await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = parent_gone(exit_with_parent) => {}
        _ = idle => {}
    }
}

/// Completes when our parent process has exited (we were re-parented), so a
/// supervisor killed with SIGKILL leaves no orphan workers; never when `watch` is off.
async fn parent_gone(watch: bool) {
    if !watch {
        return std::future::pending().await;
    }
    let parent = rustix::process::getppid();
    loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        if rustix::process::getppid() != parent {
            tracing::warn!("the parent process exited; stopping");
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct T {
        #[command(flatten)]
        a: Args,
    }

    #[test]
    fn sidekiq_flags_parse() {
        let t = T::try_parse_from([
            "x", "-c", "25", "-q", "urgent,3", "-q", "default", "-t", "2s",
        ])
        .unwrap();
        let c = t.a.config().unwrap();
        assert_eq!(c.concurrency, 25);
        assert!(!c.queues.is_strict());
        assert_eq!(c.timeout, Duration::from_secs(2));
        assert!(T::try_parse_from(["x", "-q", "bad queue"]).is_err());
        assert!(T::try_parse_from(["x", "-q", "a,b"]).is_err());
        assert!(T::try_parse_from(["x", "-c", "0"]).is_err());
        assert!(T::try_parse_from(["x", "--name", "a b"]).is_err());
        let t = T::try_parse_from(["x", "-t", "0"]).unwrap();
        assert!(t.a.config().is_err());
        let t = T::try_parse_from(["x", "--idle-exit", "0"]).unwrap();
        assert!(t.a.config().is_err());
        let t = T::try_parse_from(["x", "--idle-exit", "1500ms"]).unwrap();
        assert_eq!(t.a.idle_exit, Some(1.5));
        assert!(T::try_parse_from(["x", "--idle-exit", "2"]).is_err());
        assert!(T::try_parse_from(["x", "-t", "25"]).is_err());
    }
}
