//! `kiqlab bench`: the job engine's throughput and latency benchmark.

use std::io::Write;

use clap::Args as ClapArgs;

use super::StoreArgs;
use crate::bench::{self, BenchConfig};

#[derive(Debug, ClapArgs)]
pub struct Args {
    #[command(flatten)]
    pub store: StoreArgs,

    /// No-op jobs to push and process
    #[arg(long, default_value_t = 100_000, value_parser = clap::value_parser!(u64).range(1..=100_000_000))]
    pub jobs: u64,

    /// Concurrency of each worker process
    #[arg(short, long, default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..=1000))]
    pub concurrency: u16,

    /// Worker processes
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub processes: u16,

    /// Single jobs timed for pickup latency (0 skips it)
    #[arg(long, default_value_t = 1000)]
    pub pickup_samples: u32,

    /// Print one JSON object instead of text
    #[arg(long)]
    pub json: bool,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let exe = std::env::current_exe()?;
    let cfg = BenchConfig {
        jobs: args.jobs,
        concurrency: args.concurrency,
        processes: args.processes,
        store: args.store.url()?,
        pickup_samples: args.pickup_samples,
        progress: !args.json && std::io::IsTerminal::is_terminal(&std::io::stderr()),
        exe,
    };
    let report = bench::run(cfg).await?;
    let mut out = std::io::stdout().lock();
    if args.json {
        writeln!(out, "{}", serde_json::to_string(&report)?)?;
    } else {
        write!(out, "{}", report.to_text())?;
    }
    Ok(())
}
