//! `kiqlab stats`: what `Sidekiq::Stats` reports, plus the worker-seconds
//! used against an always-on worker (the autoscaler's saving), as text or
//! one JSON object.

use std::io::Write;
use std::sync::Arc;

use clap::Args as ClapArgs;
use serde_json::json;

use super::StoreArgs;
use crate::engine::api::{Api, Stats, UsageReport};
use crate::engine::clock::SystemClock;

#[derive(Debug, ClapArgs)]
pub struct Args {
    #[command(flatten)]
    pub store: StoreArgs,

    /// Print one JSON object instead of a table
    #[arg(long)]
    pub json: bool,

    /// Restart the worker-seconds meter from now (before showing the stats)
    #[arg(long)]
    pub reset_usage: bool,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let api = Api::new(args.store.open().await?, Arc::new(SystemClock));
    if args.reset_usage {
        api.restart_usage().await?;
    }
    let stats = api.stats().await?;
    let usage = api.usage().await?;
    let mut out = std::io::stdout().lock();
    if args.json {
        let mut v = to_json(&stats);
        v["usage"] = json!(usage);
        writeln!(out, "{v}")?;
    } else {
        write!(out, "{}", to_text(&stats, &api.describe()))?;
        write!(out, "{}", usage_text(usage.as_ref()))?;
    }
    Ok(())
}

/// The worker-seconds line: used against one worker always on since the
/// meter started.
pub fn usage_text(u: Option<&UsageReport>) -> String {
    match u {
        None => "\nworker-seconds: no worker has run yet\n".to_owned(),
        Some(u) => format!(
            "\nworker-seconds: {}\n                over the last {:.1} s (since {})\n",
            u.summary(),
            u.window_s,
            chrono::DateTime::from_timestamp(u.since as i64, 0)
                .unwrap_or_default()
                .format("%Y-%m-%d %H:%M:%S UTC"),
        ),
    }
}

pub fn to_json(s: &Stats) -> serde_json::Value {
    let queues: serde_json::Map<String, serde_json::Value> = s
        .queues
        .iter()
        .map(|q| {
            (
                q.name.to_string(),
                json!({"size": q.size, "latency_s": round3(q.latency_s)}),
            )
        })
        .collect();
    let mut out = s.counters_json();
    out.insert("queues".into(), queues.into());
    out.into()
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

pub fn to_text(s: &Stats, store: &str) -> String {
    let mut t = format!("store:      {store}\n");
    for (name, n) in s.counters() {
        t.push_str(&format!("{:<12}{n}\n", format!("{name}:")));
    }
    if !s.queues.is_empty() {
        t.push_str("\nqueue                size   latency\n");
        for q in &s.queues {
            t.push_str(&format!(
                "{:<16} {:>8}   {:.3}s\n",
                q.name.as_str(),
                q.size,
                q.latency_s
            ));
        }
    }
    t
}
