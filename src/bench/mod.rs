//! `kiqlab bench`: pushes N no-op jobs with `push_bulk`, runs P worker
//! processes (children of this binary) of concurrency C until all are done,
//! then measures pickup latency (enqueue to start) over single jobs on an idle
//! worker. Reports throughput, latency percentiles, worker peak RSS and CPU,
//! and redis-server CPU when Redis is on this machine.

mod proc_stats;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use serde::Serialize;
use serde_json::json;
use tokio::sync::mpsc;

use crate::engine::builtin;
use crate::engine::client::{Client, PushOptions};
use crate::engine::clock::{now_secs, SystemClock};
use crate::engine::launcher::{Launcher, WorkerConfig};
use crate::engine::queue::{QueueName, QueueSpec};
use crate::engine::registry::JobOptions;
use crate::engine::store::url::StoreUrl;
use crate::engine::store::{self, SharedStore, StoreKind};

#[derive(Debug, Clone)]
pub struct BenchConfig {
    pub jobs: u64,
    pub concurrency: u16,
    pub processes: u16,
    pub store: StoreUrl,
    pub pickup_samples: u32,
    pub progress: bool,
    /// The kiqlab binary to start workers from.
    pub exe: PathBuf,
}

#[derive(Debug, Clone, Serialize)]
pub struct BenchReport {
    pub store: String,
    pub jobs: u64,
    pub concurrency: u16,
    pub processes: u16,
    pub enqueue_jobs_per_s: f64,
    pub process_jobs_per_s: f64,
    pub process_seconds: f64,
    pub pickup_p50_ms: f64,
    pub pickup_p99_ms: f64,
    pub pickup_samples: u32,
    pub peak_rss_kb: u64,
    pub worker_cpu_s: f64,
    pub redis_cpu_s: Option<f64>,
}

const BENCH_QUEUE: &str = "bench";
const LATENCY_QUEUE: &str = "bench-latency";

fn queue(name: &str) -> QueueName {
    QueueName::parse(name).unwrap_or_else(|_| QueueName::default_queue())
}

pub async fn run(cfg: BenchConfig) -> anyhow::Result<BenchReport> {
    let store = store::open(&cfg.store)
        .await
        .with_context(|| format!("cannot open the job store {}", cfg.store))?;
    store.clear_queue(&queue(BENCH_QUEUE)).await?;
    store.clear_queue(&queue(LATENCY_QUEUE)).await?;
    let client = Client::new(
        store.clone(),
        Arc::new(builtin::registry()),
        Arc::new(SystemClock),
    );

    let enqueue_jobs_per_s = enqueue(&client, cfg.jobs).await?;
    let redis_pid = redis_pid(&store).await;
    let redis_cpu_before = redis_pid.and_then(proc_stats::cpu_secs);
    let run = process(&cfg, &store).await?;
    let redis_cpu_s = match (redis_pid.and_then(proc_stats::cpu_secs), redis_cpu_before) {
        (Some(after), Some(before)) => Some(after - before),
        _ => None,
    };
    let (p50, p99) = pickup(&cfg, &store).await?;
    store.clear_queue(&queue(BENCH_QUEUE)).await?;
    store.clear_queue(&queue(LATENCY_QUEUE)).await?;
    Ok(BenchReport {
        store: cfg.store.to_string(),
        jobs: cfg.jobs,
        concurrency: cfg.concurrency,
        processes: cfg.processes,
        enqueue_jobs_per_s,
        process_jobs_per_s: cfg.jobs as f64 / run.seconds,
        process_seconds: run.seconds,
        pickup_p50_ms: p50,
        pickup_p99_ms: p99,
        pickup_samples: cfg.pickup_samples,
        peak_rss_kb: run.peak_rss_kb,
        worker_cpu_s: run.cpu_s,
        redis_cpu_s,
    })
}

async fn enqueue(client: &Client, jobs: u64) -> anyhow::Result<f64> {
    let opts = PushOptions {
        queue: Some(queue(BENCH_QUEUE)),
        ..PushOptions::default()
    };
    let args: Vec<Vec<serde_json::Value>> = (0..jobs).map(|i| vec![json!(i)]).collect();
    let start = Instant::now();
    client.push_bulk("NoopWorker", args, &opts).await?;
    Ok(jobs as f64 / start.elapsed().as_secs_f64())
}

/// The redis-server's pid, when it runs on this machine.
async fn redis_pid(store: &SharedStore) -> Option<u32> {
    let info = store.info().await.ok()?;
    if info.kind != StoreKind::Redis {
        return None;
    }
    let pid: u32 = info.field("process_id")?.parse().ok()?;
    proc_stats::is_process_named(pid, "redis-server").then_some(pid)
}

struct Children(Vec<Child>);

impl Drop for Children {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

struct RunFigures {
    seconds: f64,
    peak_rss_kb: u64,
    cpu_s: f64,
}

async fn process(cfg: &BenchConfig, store: &SharedStore) -> anyhow::Result<RunFigures> {
    let before = store.stats(now_secs()).await?.processed;
    let bar = progress_bar(cfg);
    let start = Instant::now();
    let mut children = Children(Vec::new());
    for i in 1..=cfg.processes {
        let child = Command::new(&cfg.exe)
            .arg("worker")
            .arg("--store")
            .arg(cfg.store.for_child())
            .args(["-c", &cfg.concurrency.to_string(), "-q", BENCH_QUEUE])
            .args(["--name", &format!("bench-{i:02}"), "-t", "5"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("cannot start a worker process")?;
        children.0.push(child);
    }
    let mut done = 0;
    while done < cfg.jobs {
        tokio::time::sleep(Duration::from_millis(20)).await;
        for c in &mut children.0 {
            if let Ok(Some(status)) = c.try_wait() {
                anyhow::bail!("a worker process exited early ({status})");
            }
        }
        done = store
            .stats(now_secs())
            .await?
            .processed
            .saturating_sub(before);
        if let Some(b) = &bar {
            b.set_position(done.min(cfg.jobs));
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let mut peak_rss_kb = 0;
    let mut cpu_s = 0.0;
    for c in &children.0 {
        peak_rss_kb = peak_rss_kb.max(proc_stats::peak_rss_kb(c.id()).unwrap_or(0));
        cpu_s += proc_stats::cpu_secs(c.id()).unwrap_or(0.0);
    }
    for c in &mut children.0 {
        let _ = Command::new("kill")
            .args(["-TERM", &c.id().to_string()])
            .status();
    }
    for c in &mut children.0 {
        let _ = c.wait();
    }
    children.0.clear();
    Ok(RunFigures {
        seconds,
        peak_rss_kb,
        cpu_s,
    })
}

fn progress_bar(cfg: &BenchConfig) -> Option<indicatif::ProgressBar> {
    if !cfg.progress {
        return None;
    }
    let bar = indicatif::ProgressBar::new(cfg.jobs);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{spinner} processing [{bar:40}] {pos}/{len} jobs, {per_sec}, eta {eta}",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    Some(bar)
}

/// Enqueue-to-start latency of single jobs on an idle worker (in this process).
async fn pickup(cfg: &BenchConfig, store: &SharedStore) -> anyhow::Result<(f64, f64)> {
    if cfg.pickup_samples == 0 {
        return Ok((0.0, 0.0));
    }
    let (tx, mut rx) = mpsc::unbounded_channel::<(String, Instant)>();
    let mut registry = builtin::registry();
    registry.register("LatencyProbe", JobOptions::default(), move |ctx| {
        let started = Instant::now();
        let tx = tx.clone();
        async move {
            let _ = tx.send((ctx.jid().to_owned(), started));
            Ok(())
        }
    });
    let registry = Arc::new(registry);
    let config = WorkerConfig {
        concurrency: usize::from(cfg.concurrency),
        queues: QueueSpec::single(queue(LATENCY_QUEUE)),
        name: Some("bench-latency".into()),
        timeout: Duration::from_secs(5),
        ..WorkerConfig::default()
    };
    let launcher = Launcher::start(
        store.clone(),
        registry.clone(),
        Arc::new(SystemClock),
        config,
    )
    .await?;
    let client = Client::new(store.clone(), registry, Arc::new(SystemClock));
    let opts = PushOptions {
        queue: Some(queue(LATENCY_QUEUE)),
        ..PushOptions::default()
    };
    let mut samples = Vec::with_capacity(cfg.pickup_samples as usize);
    // Let the worker settle into its blocking wait.
    tokio::time::sleep(Duration::from_millis(100)).await;
    for _ in 0..cfg.pickup_samples {
        let t0 = Instant::now();
        let jid = client.push("LatencyProbe", vec![], &opts).await?;
        loop {
            let (got, started) = tokio::time::timeout(Duration::from_secs(10), rx.recv())
                .await
                .context("a latency probe did not start within 10 s")?
                .context("the probe channel closed")?;
            if got == jid {
                samples.push(started.duration_since(t0).as_secs_f64() * 1000.0);
                break;
            }
        }
        // Idle again before the next probe.
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    launcher.stop().await;
    samples.sort_by(f64::total_cmp);
    Ok((percentile(&samples, 0.50), percentile(&samples, 0.99)))
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let idx = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[idx]
}

impl BenchReport {
    pub fn to_text(&self) -> String {
        format!(
            "store:            {}\n\
             jobs:             {} no-op jobs, {} process(es) x concurrency {}\n\
             enqueue:          {:.0} jobs/s (push_bulk)\n\
             processed:        {:.0} jobs/s ({:.2} s)\n\
             pickup latency:   p50 {:.3} ms, p99 {:.3} ms ({} single jobs, idle worker)\n\
             worker peak RSS:  {} KB\n\
             worker CPU:       {:.2} s\n\
             redis-server CPU: {}\n",
            self.store,
            self.jobs,
            self.processes,
            self.concurrency,
            self.enqueue_jobs_per_s,
            self.process_jobs_per_s,
            self.process_seconds,
            self.pickup_p50_ms,
            self.pickup_p99_ms,
            self.pickup_samples,
            self.peak_rss_kb,
            self.worker_cpu_s,
            self.redis_cpu_s
                .map(|s| format!("{s:.2} s"))
                .unwrap_or_else(|| "n/a (not on this machine)".into()),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 0.5), 50.0);
        assert_eq!(percentile(&v, 0.99), 99.0);
        assert_eq!(percentile(&[3.0], 0.99), 3.0);
        assert_eq!(percentile(&[], 0.5), 0.0);
    }
}
