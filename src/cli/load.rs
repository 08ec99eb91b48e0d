//! `kiqlab load`: the load lesson from a terminal. N users post an app's
//! form, sync, async or both, and it prints p50/p95/p99/max, requests per
//! second and errors per mode (a table, or one JSON line with `--json`),
//! with a progress bar on a terminal.

use std::io::Write;

use anyhow::Context;
use clap::{Args as ClapArgs, ValueEnum};
use serde_json::{json, Map, Value};

use crate::apps::lessons::input::{DurationLimit, LoadApp, Requests, Users};
use crate::apps::lessons::load::{self, ModeRun, Plan};
use crate::shutdown::Shutdown;
use crate::web::templates::format_ms;
use crate::web::timing::Mode;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ModeArg {
    /// "run inline": the work happens in the request
    Sync,
    /// "enqueue": a worker does the work
    Async,
    /// sync, then async
    Both,
}

impl ModeArg {
    fn modes(self) -> &'static [Mode] {
        match self {
            ModeArg::Sync => &[Mode::Sync],
            ModeArg::Async => &[Mode::Async],
            ModeArg::Both => &[Mode::Sync, Mode::Async],
        }
    }
}

#[derive(Debug, ClapArgs)]
pub struct Args {
    /// The web node to load, e.g. http://127.0.0.1:3000
    #[arg(long)]
    pub url: url::Url,

    /// Whose form the users post: snippets, fibtastic or blog
    #[arg(long, default_value = "snippets")]
    pub app: LoadApp,

    /// Users posting at once (1-50)
    #[arg(long, default_value = "20")]
    pub users: Users,

    /// Requests per mode, shared by the users (1-1000)
    #[arg(long, default_value = "100")]
    pub requests: Requests,

    /// Which button the users press
    #[arg(long, value_enum, default_value_t = ModeArg::Both)]
    pub mode: ModeArg,

    /// Print one JSON line: {"sync": {"p50_ms": …}, "async": {…}}
    #[arg(long)]
    pub json: bool,

    /// Stop each mode after this long (at most 60s)
    #[arg(long, default_value = "60s")]
    pub duration_limit: DurationLimit,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    if !matches!(args.url.scheme(), "http" | "https") || args.url.cannot_be_a_base() {
        anyhow::bail!(
            "--url must be an http:// or https:// address, not {}",
            args.url
        );
    }
    let plan = Plan {
        base: args.url.clone(),
        app: args.app,
        users: args.users,
        requests: args.requests,
        limit: args.duration_limit,
    };
    let http = load::client(&plan)?;
    // A node that is not there is one clear error, not N failed requests.
    http.get(args.url.clone())
        .send()
        .await
        .with_context(|| format!("cannot reach the web node at {}", args.url))?;

    let stop = Shutdown::new();
    let on_ctrl_c = {
        let stop = stop.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                stop.trigger();
            }
        })
    };
    let show_bar = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let mut runs = Vec::new();
    for &mode in args.mode.modes() {
        let bar = show_bar.then(|| progress_bar(mode, plan.requests.get()));
        let on_progress = |p: load::Progress| {
            if let Some(b) = &bar {
                b.set_position(p.done as u64);
            }
        };
        let r = load::run_mode(&plan, mode, &http, &stop, &on_progress).await?;
        if let Some(b) = bar {
            b.finish_and_clear();
        }
        runs.push(r);
        if stop.is_triggered() {
            break;
        }
    }
    on_ctrl_c.abort();

    let mut out = std::io::stdout().lock();
    if args.json {
        writeln!(out, "{}", serde_json::to_string(&json_line(&runs))?)?;
    } else {
        write!(out, "{}", table(&plan, &runs))?;
    }
    Ok(())
}

fn progress_bar(mode: Mode, planned: usize) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(planned as u64);
    let template = format!(
        "{} [{{bar:40}}] {{pos}}/{{len}} requests, {{per_sec}}",
        mode.as_str()
    );
    if let Ok(style) = indicatif::ProgressStyle::with_template(&template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

/// `{"sync": {"p50_ms": …, "p95_ms", "p99_ms", "max_ms", "req_per_s", "errors"}, …}`
/// for the modes that ran (a latency is null when no request succeeded).
pub fn json_line(runs: &[ModeRun]) -> Value {
    // Microseconds are as fine as a client's clock is worth.
    let round = |v: f64| (v * 1000.0).round() / 1000.0;
    let mut line = Map::new();
    for r in runs {
        let s = &r.summary;
        line.insert(
            r.mode.as_str().to_owned(),
            json!({
                "p50_ms": s.p50_ms.map(round),
                "p95_ms": s.p95_ms.map(round),
                "p99_ms": s.p99_ms.map(round),
                "max_ms": s.max_ms.map(round),
                "req_per_s": round(s.req_per_s),
                "errors": s.errors,
            }),
        );
    }
    Value::Object(line)
}

/// A table line: its label and how a run's figure reads.
type Figure<'a> = (&'a str, &'a dyn Fn(&ModeRun) -> String);

/// The runs side by side, for a person.
pub fn table(plan: &Plan, runs: &[ModeRun]) -> String {
    let ms = |v: Option<f64>| v.map(format_ms).unwrap_or_else(|| "-".into());
    let lines: [Figure; 10] = [
        ("answered", &|r| {
            format!("{}/{}", r.summary.requests, r.planned)
        }),
        ("p50", &|r| ms(r.summary.p50_ms)),
        ("p95", &|r| ms(r.summary.p95_ms)),
        ("p99", &|r| ms(r.summary.p99_ms)),
        ("max", &|r| ms(r.summary.max_ms)),
        ("req/s", &|r| format!("{:.1}", r.summary.req_per_s)),
        ("errors", &|r| r.summary.errors.to_string()),
        ("took", &|r| format_ms(r.summary.elapsed_s * 1000.0)),
        ("plain page p50/max", &|r| {
            format!("{} / {}", ms(r.probe.p50_ms), ms(r.probe.max_ms))
        }),
        ("plain page loads", &|r| r.probe.count.to_string()),
    ];
    let mut s = format!(
        "kiqlab load: {} at {}, {} users, {} requests a mode\n\n{:<20}",
        plan.app.as_str(),
        plan.base,
        plan.users.get(),
        plan.requests.get(),
        ""
    );
    for r in runs {
        s.push_str(&format!("{:>18}", r.mode.as_str()));
    }
    s.push('\n');
    for (label, f) in lines {
        s.push_str(&format!("{label:<20}"));
        for r in runs {
            s.push_str(&format!("{:>18}", f(r)));
        }
        s.push('\n');
    }
    if let [sync, asy] = runs {
        if let (Some(a), Some(b)) = (sync.summary.p50_ms, asy.summary.p50_ms) {
            s.push_str(&format!(
                "\nsync's median is {}x async's.\n",
                crate::web::submits::ratio(a, b)
            ));
        }
    }
    for r in runs {
        if r.cut_short {
            s.push_str(&format!(
                "{}: stopped at the time limit after {} of {} requests.\n",
                r.mode.as_str(),
                r.summary.requests,
                r.planned
            ));
        }
        if let Some(e) = &r.first_error {
            s.push_str(&format!("{}: first error: {e}\n", r.mode.as_str()));
        }
    }
    s
}
