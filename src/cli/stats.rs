//! `kiqlab stats`: what `Sidekiq::Stats` reports, as text or one JSON object.

use std::io::Write;

use clap::Args as ClapArgs;
use serde_json::json;

use super::StoreArgs;
use crate::engine::clock::now_secs;
use crate::engine::store::Stats;

#[derive(Debug, ClapArgs)]
pub struct Args {
    #[command(flatten)]
    pub store: StoreArgs,

    /// Print one JSON object instead of a table
    #[arg(long)]
    pub json: bool,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let store = args.store.open().await?;
    let stats = store.stats(now_secs()).await?;
    let mut out = std::io::stdout().lock();
    if args.json {
        writeln!(out, "{}", to_json(&stats))?;
    } else {
        write!(out, "{}", to_text(&stats, &store.describe()))?;
    }
    Ok(())
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
    json!({
        "processed": s.processed,
        "failed": s.failed,
        "busy": s.busy,
        "processes": s.processes,
        "enqueued": s.enqueued,
        "scheduled": s.scheduled,
        "retries": s.retries,
        "dead": s.dead,
        "queues": queues,
    })
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

pub fn to_text(s: &Stats, store: &str) -> String {
    let mut t = format!(
        "store:      {store}\n\
         processed:  {}\nfailed:     {}\nbusy:       {}\nprocesses:  {}\n\
         enqueued:   {}\nscheduled:  {}\nretries:    {}\ndead:       {}\n",
        s.processed, s.failed, s.busy, s.processes, s.enqueued, s.scheduled, s.retries, s.dead
    );
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
