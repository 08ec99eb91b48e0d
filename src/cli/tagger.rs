//! `kiqlab tagger`: the tagging API alone, a local stand-in for
//! OpenCalais (`POST /enrich`), slow and flaky on request.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use anyhow::Context;
use clap::Args as ClapArgs;

use super::signals;
use crate::tagger::{self, ApiKey, FailRate, Tagger, TaggerConfig};

#[derive(Debug, ClapArgs)]
pub struct Args {
    /// TCP port to listen on
    #[arg(
        long,
        short,
        value_name = "PORT",
        default_value_t = 3001,
        env = "KIQLAB_TAGGER_PORT"
    )]
    pub port: u16,

    /// Address to listen on (0.0.0.0 to serve other hosts, e.g. worker VMs)
    #[arg(
        long,
        value_name = "IP",
        default_value = "127.0.0.1",
        env = "KIQLAB_TAGGER_BIND"
    )]
    pub bind: IpAddr,

    /// Require this token in the X-AG-Access-Token header (401 otherwise), as
    /// OpenCalais does. No key means no check
    #[arg(
        long,
        value_name = "KEY",
        env = "KIQLAB_TAGGER_API_KEY",
        hide_env_values = true
    )]
    pub api_key: Option<ApiKey>,

    /// Wait this long before answering each request, a slow service: 500ms, 2s
    #[arg(
        long,
        value_name = "DURATION",
        default_value = "0",
        value_parser = super::jobs_args::parse_duration,
        env = "KIQLAB_TAGGER_LATENCY"
    )]
    pub latency: Duration,

    /// Answer this share of requests, from 0 (never) to 1 (always), with 503
    /// Service Unavailable, so job retries can be seen
    #[arg(
        long,
        value_name = "RATE",
        default_value = "0",
        env = "KIQLAB_TAGGER_FAIL_RATE"
    )]
    pub fail_rate: FailRate,

    /// Refuse request bodies larger than this many bytes with 413
    #[arg(long, value_name = "BYTES", default_value_t = tagger::config::DEFAULT_MAX_BODY)]
    pub max_body: usize,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let addr = SocketAddr::new(args.bind, args.port);
    let listener =
        std::net::TcpListener::bind(addr).with_context(|| format!("cannot listen on {addr}"))?;
    let config = TaggerConfig {
        api_key: args.api_key,
        latency: args.latency,
        fail_rate: args.fail_rate,
        max_body: args.max_body,
    };
    let auth = if config.api_key.is_some() {
        "X-AG-Access-Token required"
    } else {
        "no API key"
    };
    let server =
        tagger::serve(listener, Tagger::new(config.clone())).context("cannot start the tagger")?;
    super::banner::print(&format!(
        "kiqlab tagger: POST http://{}/enrich ({auth}, latency {}, fail rate {}) (Ctrl-C to stop)",
        server.addr(),
        super::jobs_args::format_duration(args.latency),
        config.fail_rate
    ))?;
    signals::shutdown().await?;
    tracing::info!("stopping the tagger");
    server.stop().await;
    Ok(())
}
