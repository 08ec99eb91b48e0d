//! `kiqlab enqueue CLASS [ARG…]`: the tutorials' console steps
//! (`DemoWorker.perform_async(…)`, `perform_in`, `perform_at`, 500 at once),
//! and with `--activejob` a Rails app's `perform_later` (Rails' envelope).

use std::sync::Arc;
use std::time::Duration;

use clap::Args as ClapArgs;
use serde_json::Value;

use super::StoreArgs;
use crate::engine::activejob;
use crate::engine::client::{Client, PushOptions};
use crate::engine::clock::{now_secs, SystemClock};
use crate::engine::job::{Job, Retry};
use crate::engine::queue::QueueName;

#[derive(Debug, ClapArgs)]
pub struct Args {
    #[command(flatten)]
    pub store: StoreArgs,

    /// Job class, e.g. DemoWorker
    #[arg(value_parser = parse_class)]
    pub class: String,

    /// Arguments, each parsed as JSON (5, "text", [1,2], {"a":1}) or else taken as a string
    #[arg(allow_negative_numbers = true)]
    pub args: Vec<String>,

    /// Queue (default: the class's queue, else "default")
    #[arg(short, long)]
    pub queue: Option<QueueName>,

    /// Run after this delay: 30s, 5m, 1h30m (a bare number is refused, except 0)
    #[arg(long = "in", value_name = "DELAY", value_parser = parse_delay, conflicts_with = "at")]
    pub delay: Option<f64>,

    /// Run at this time: RFC 3339 (2026-11-25T15:00:00Z), "YYYY-MM-DD HH:MM[:SS]" (UTC) or epoch seconds
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub at: Option<f64>,

    /// Push this many copies (in bulk)
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=10_000_000))]
    pub count: u32,

    /// Retry option: true, false or a number of retries
    #[arg(long, value_parser = Retry::parse)]
    pub retry: Option<Retry>,

    /// Print no jids, only the summary (for large --count)
    #[arg(long)]
    pub quiet: bool,

    /// Enqueue as Rails' ActiveJob does (`CLASS.perform_later(ARG…)`): Rails' JobWrapper with ActiveJob's envelope
    #[arg(long)]
    pub activejob: bool,
}

fn parse_delay(s: &str) -> Result<f64, String> {
    super::jobs_args::parse_secs(s)
}

fn parse_time(s: &str) -> Result<f64, String> {
    if let Ok(n) = s.parse::<f64>() {
        if n.is_finite() && n >= 0.0 {
            return Ok(n);
        }
    }
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Ok(t.timestamp_micros() as f64 / 1e6);
    }
    for fmt in [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(s, fmt) {
            return Ok(t.and_utc().timestamp_micros() as f64 / 1e6);
        }
    }
    Err("expected RFC 3339, \"YYYY-MM-DD HH:MM[:SS]\" (UTC) or epoch seconds".into())
}

/// JSON when it parses, else the text as a string.
pub fn parse_arg(s: &str) -> Value {
    serde_json::from_str(s).unwrap_or_else(|_| Value::String(s.to_owned()))
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let store = args.store.open().await?;
    let client = Client::new(
        store,
        // Enqueueing only reads the classes' options; nothing runs here.
        Arc::new(crate::apps::registry(&crate::apps::JobsConfig::default())),
        Arc::new(SystemClock),
    );
    let job_args: Vec<Value> = args.args.iter().map(|a| parse_arg(a)).collect();
    let at = match (args.delay, args.at) {
        (Some(d), _) => Some(now_secs() + d),
        (None, Some(t)) => Some(t),
        (None, None) => None,
    };
    let opts = PushOptions {
        queue: args.queue.clone(),
        retry: args.retry,
        // An absolute time, so "in 0s" runs now.
        at: at.map(|t| t.max(1_000_000_000.0)),
    };
    let started = std::time::Instant::now();
    let mut out = Output::new(args.count, args.quiet);
    if args.count == 1 && !args.activejob {
        out.jids(&[client.push(&args.class, job_args, &opts).await?]);
    } else {
        // Batches, so memory stays the same for any count: each is encoded,
        // pushed (pipelined, `BULK_BATCH` jobs a store call), printed, dropped.
        let mut left = args.count as usize;
        while left > 0 {
            let n = left.min(STREAM_BATCH);
            let jids = if args.activejob {
                perform_later(&client, &args, &job_args, opts.at, n).await?
            } else {
                let list = vec![job_args.clone(); n];
                client.push_bulk(&args.class, list, &opts).await?
            };
            out.jids(&jids);
            left -= n;
        }
    }
    out.finish(&args, started.elapsed());
    Ok(())
}

/// Jobs encoded and pushed at a time by `--count`.
const STREAM_BATCH: usize = 10 * crate::engine::client::BULK_BATCH;

/// What `kiqlab enqueue` prints: each jid on stdout as its batch lands (or
/// nothing with `--quiet`), a progress bar on stderr when it's a terminal
/// and the count is large, and a summary line for more than one job.
struct Output {
    print: bool,
    bar: Option<indicatif::ProgressBar>,
    pushed: u64,
}

impl Output {
    fn new(count: u32, quiet: bool) -> Output {
        use std::io::IsTerminal;
        let bar = (count as usize > STREAM_BATCH && std::io::stderr().is_terminal()).then(|| {
            let bar = indicatif::ProgressBar::new(u64::from(count));
            if let Ok(style) = indicatif::ProgressStyle::with_template(
                "{bar:40} {human_pos}/{human_len} jobs · {per_sec} · {eta} left",
            ) {
                bar.set_style(style);
            }
            bar
        });
        Output {
            print: !quiet,
            bar,
            pushed: 0,
        }
    }

    fn jids(&mut self, jids: &[String]) {
        self.pushed += jids.len() as u64;
        if self.print {
            let write = || -> std::io::Result<()> {
                use std::io::Write;
                let mut out = std::io::BufWriter::new(std::io::stdout().lock());
                for j in jids {
                    writeln!(out, "{j}")?;
                }
                out.flush()
            };
            let written = match &self.bar {
                Some(bar) => bar.suspend(write),
                None => write(),
            };
            if let Err(e) = written {
                // `| head`: stop printing, but push every job asked for.
                if e.kind() != std::io::ErrorKind::BrokenPipe {
                    tracing::warn!(error = %e, "cannot print jids; pushing the rest quietly");
                }
                self.print = false;
            }
        }
        if let Some(bar) = &self.bar {
            bar.set_position(self.pushed);
        }
    }

    fn finish(self, args: &Args, elapsed: Duration) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        if self.pushed > 1 {
            let secs = elapsed.as_secs_f64().max(1e-6);
            eprintln!(
                "kiqlab enqueue: pushed {} {} jobs in {secs:.2} s ({:.0} a second)",
                self.pushed,
                args.class,
                self.pushed as f64 / secs
            );
        }
    }
}

/// `--activejob`: `n` jobs in Rails' envelope, pushed in one bulk call.
async fn perform_later(
    client: &Client,
    args: &Args,
    job_args: &[Value],
    at: Option<f64>,
    n: usize,
) -> anyhow::Result<Vec<String>> {
    let queue = args.queue.clone().unwrap_or_else(QueueName::default_queue);
    let now = now_secs();
    let jobs: Vec<Job> = (0..n)
        .map(|_| {
            let mut job = activejob::envelope(&args.class, job_args.to_vec(), queue.clone(), now);
            if let Some(r) = args.retry {
                job.set("retry", r.to_value());
            }
            if let Some(at) = at.filter(|t| *t > now) {
                job.set_time("at", at);
            }
            job
        })
        .collect();
    let jids = jobs.iter().map(|j| j.jid().to_owned()).collect();
    client.push_jobs(jobs).await?;
    Ok(jids)
}

/// A class name as Ruby writes one (`DemoWorker`, `Mailers::Welcome`): not
/// empty, no spaces or control characters.
fn parse_class(s: &str) -> Result<String, String> {
    if s.is_empty() {
        return Err("a job class is needed, e.g. DemoWorker".into());
    }
    if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "{s:?} is not a class name (no spaces), e.g. DemoWorker"
        ));
    }
    Ok(s.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn args_are_json_or_strings() {
        assert_eq!(parse_arg("5"), Value::from(5));
        assert_eq!(parse_arg("0.5"), Value::from(0.5));
        assert_eq!(parse_arg("hello"), Value::from("hello"));
        assert_eq!(parse_arg("\"quoted\""), Value::from("quoted"));
        assert_eq!(parse_arg("[1,2]"), serde_json::json!([1, 2]));
    }

    #[test]
    fn delays_and_times_parse() {
        assert_eq!(parse_delay("30s"), Ok(30.0));
        assert_eq!(parse_delay("1h30m"), Ok(5400.0));
        assert!(parse_delay("2.5").is_err(), "a bare number has no unit");
        assert!(parse_delay("soon").is_err());
        assert!(parse_delay("-3").is_err());
        assert_eq!(parse_time("2026-11-25T15:00:00Z"), Ok(1795618800.0));
        assert_eq!(parse_time("2026-11-25 15:00"), Ok(1795618800.0));
        assert_eq!(parse_time("1795618800"), Ok(1795618800.0));
        assert!(parse_time("tomorrow").is_err());
    }
}
