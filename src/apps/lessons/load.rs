//! The load lesson's driver: N simulated users post an app's real form
//! (sync "run inline" or async "enqueue") over HTTP, concurrently, until M
//! requests are answered or the time limit is reached, while a probe loads
//! a plain page as another visitor would. `kiqlab load` and `/lessons/load`
//! both run it; the figures come from `stats`.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::input::{DurationLimit, LoadApp, Requests, Users};
use super::stats::{self, Bucket, Sample, Summary};
use crate::shutdown::Shutdown;
use crate::web::timing::Mode;

/// The plain page the probe loads: served by the same request pool as the
/// forms, so it waits for a thread as any other visitor would.
pub const PROBE_PATH: &str = "/";
const PROBE_EVERY: Duration = Duration::from_millis(250);
/// About this many slices in the latency-over-time chart.
const SLICES: usize = 30;

/// One load run's parameters.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The web node (its root).
    pub base: url::Url,
    pub app: LoadApp,
    pub users: Users,
    pub requests: Requests,
    pub limit: DurationLimit,
}

/// How far a mode has got.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Progress {
    pub mode: Mode,
    pub done: usize,
    pub planned: usize,
    /// The answer that made it `done` (none at the start).
    #[serde(skip)]
    pub answer: Option<Sample>,
}

/// The plain page's load times during a run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Probe {
    pub path: &'static str,
    pub count: usize,
    pub errors: usize,
    pub p50_ms: Option<f64>,
    pub max_ms: Option<f64>,
}

impl Probe {
    /// No plain-page loads yet.
    pub fn none() -> Probe {
        Probe {
            path: PROBE_PATH,
            count: 0,
            errors: 0,
            p50_ms: None,
            max_ms: None,
        }
    }
}

/// One mode's run.
#[derive(Debug, Clone, Serialize)]
pub struct ModeRun {
    pub mode: Mode,
    pub planned: usize,
    pub summary: Summary,
    pub bucket_s: f64,
    pub timeline: Vec<Bucket>,
    pub probe: Probe,
    /// Stopped by the time limit (or a shutdown) before every request ran.
    pub cut_short: bool,
    /// The first error, as a person can read it.
    pub first_error: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot set up the HTTP client: {0}")]
    Client(#[source] reqwest::Error),
    #[error("{0} is not a URL this can post to: {1}")]
    Url(url::Url, url::ParseError),
}

/// The users' HTTP client: no redirects followed (a request is the form's
/// post up to its answer, the redirect), a connection per user kept.
pub fn client(plan: &Plan) -> Result<reqwest::Client, LoadError> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(plan.users.get() + 1)
        .timeout(plan.limit.get())
        .build()
        .map_err(LoadError::Client)
}

/// Runs one mode: `plan.users` users share `plan.requests` posts, each
/// posting again as soon as it has its answer; stops at the time limit or
/// on `stop`. `on_progress` hears of every answer.
pub async fn run_mode(
    plan: &Plan,
    mode: Mode,
    http: &reqwest::Client,
    stop: &Shutdown,
    on_progress: &(dyn Fn(Progress) + Send + Sync),
) -> Result<ModeRun, LoadError> {
    let (path, _) = plan.app.form(0, mode);
    let target = plan
        .base
        .join(path)
        .map_err(|e| LoadError::Url(plan.base.clone(), e))?;
    let probe_url = plan
        .base
        .join(PROBE_PATH)
        .map_err(|e| LoadError::Url(plan.base.clone(), e))?;
    let planned = plan.requests.get();
    let began = Instant::now();
    let deadline = tokio::time::Instant::from_std(began + plan.limit.get());
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let cut_short = AtomicBool::new(false);
    let users_done = AtomicBool::new(false);
    let samples: Mutex<Vec<Sample>> = Mutex::new(Vec::with_capacity(planned));
    let first_error: Mutex<Option<String>> = Mutex::new(None);
    let note_error = |e: String| {
        if let Ok(mut f) = first_error.lock() {
            f.get_or_insert(e);
        }
    };

    let user = || async {
        loop {
            if stop.is_triggered() {
                cut_short.store(true, Ordering::Relaxed);
                return;
            }
            let n = next.fetch_add(1, Ordering::Relaxed);
            if n >= planned {
                return;
            }
            let (_, fields) = plan.app.form(n, mode);
            let started = Instant::now();
            let post = post_form(http, target.clone(), &fields);
            let answer = tokio::select! {
                a = tokio::time::timeout_at(deadline, post) => a.ok(),
                _ = stop.wait() => None,
            };
            let ms = started.elapsed().as_secs_f64() * 1000.0;
            let at_s = started.duration_since(began).as_secs_f64();
            let ok = match answer {
                Some(Ok(())) => true,
                Some(Err(e)) => {
                    note_error(e);
                    false
                }
                None => {
                    // The limit (or a shutdown) ended it: not an answer.
                    cut_short.store(true, Ordering::Relaxed);
                    return;
                }
            };
            if let Ok(mut s) = samples.lock() {
                s.push(Sample { at_s, ms, ok });
            }
            let d = done.fetch_add(1, Ordering::Relaxed) + 1;
            on_progress(Progress {
                mode,
                done: d,
                planned,
                answer: Some(Sample { at_s, ms, ok }),
            });
        }
    };
    let users = async {
        futures::future::join_all((0..plan.users.get()).map(|_| user())).await;
        users_done.store(true, Ordering::Relaxed);
    };
    let probe = probe(http, probe_url, &users_done, deadline, stop);
    let ((), probe) = futures::join!(users, probe);

    let samples = samples.into_inner().unwrap_or_default();
    let mut run = ModeRun::so_far(mode, planned, &samples, began.elapsed().as_secs_f64());
    run.probe = probe;
    run.cut_short = cut_short.into_inner();
    run.first_error = first_error.into_inner().unwrap_or_default();
    Ok(run)
}

impl ModeRun {
    /// The figures of the answers in so far, `elapsed_s` into the mode
    /// (no probe figures, nothing cut short).
    pub fn so_far(mode: Mode, planned: usize, samples: &[Sample], elapsed_s: f64) -> ModeRun {
        let bucket_s = stats::bucket_width(elapsed_s, SLICES);
        ModeRun {
            mode,
            planned,
            summary: Summary::of(samples, elapsed_s),
            bucket_s,
            timeline: stats::buckets(samples, bucket_s),
            probe: Probe::none(),
            cut_short: false,
            first_error: None,
        }
    }
}

/// One post of the form; `Err` with a readable reason for anything but a
/// 2xx or 3xx answer, read to its end.
async fn post_form(
    http: &reqwest::Client,
    url: url::Url,
    fields: &[(&str, String)],
) -> Result<(), String> {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields.iter().map(|(k, v)| (k, v)))
        .finish();
    let resp = http
        .post(url)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header("Accept", "text/html")
        .body(body)
        .send()
        .await
        .map_err(|e| crate::web::errors::chain(&e))?;
    let status = resp.status();
    resp.bytes()
        .await
        .map_err(|e| crate::web::errors::chain(&e))?;
    if status.is_success() || status.is_redirection() {
        Ok(())
    } else {
        Err(format!("HTTP {status}"))
    }
}

/// Loads the plain page every `PROBE_EVERY` until the users are done (or
/// the deadline), one at a time, as a visitor who is not part of the load.
async fn probe(
    http: &reqwest::Client,
    url: url::Url,
    users_done: &AtomicBool,
    deadline: tokio::time::Instant,
    stop: &Shutdown,
) -> Probe {
    let mut times = Vec::new();
    let mut errors = 0;
    while !users_done.load(Ordering::Relaxed) && tokio::time::Instant::now() < deadline {
        let started = Instant::now();
        let get = async {
            let r = http.get(url.clone()).send().await?;
            let ok = r.status().is_success();
            r.bytes().await?;
            Ok::<bool, reqwest::Error>(ok)
        };
        let answer = tokio::select! {
            a = tokio::time::timeout_at(deadline, get) => a.ok(),
            _ = stop.wait() => None,
        };
        match answer {
            Some(Ok(true)) => times.push(started.elapsed().as_secs_f64() * 1000.0),
            Some(_) => errors += 1,
            None => break,
        }
        // Poll in small steps so the probe ends soon after the users.
        let pause = tokio::time::Instant::now() + PROBE_EVERY;
        while tokio::time::Instant::now() < pause && !users_done.load(Ordering::Relaxed) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    let times = stats::sorted(times);
    Probe {
        path: PROBE_PATH,
        count: times.len() + errors,
        errors,
        p50_ms: stats::percentile(&times, 50.0),
        max_ms: times.last().copied(),
    }
}
