//! The page's one load run at a time: started in a background task (sync,
//! then async), watched through snapshots, stopped with the web node.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde::Serialize;
use tokio::task::JoinHandle;
use tracing::Instrument;

use super::load::{self, LoadError, ModeRun, Plan, Progress};
use super::stats::Sample;
use crate::shutdown::Shutdown;
use crate::web::timing::Mode;

/// The modes a lesson runs, in order: the slow way first.
pub const MODES: [Mode; 2] = [Mode::Sync, Mode::Async];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    Running,
    Done,
    /// Ended by the web node stopping.
    Stopped,
    Failed,
}

/// A lesson's run as the page shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Lesson {
    pub id: u64,
    pub app: super::input::LoadApp,
    pub users: usize,
    pub requests: usize,
    pub started_by: String,
    pub started_at: f64,
    pub phase: Phase,
    /// The mode running now and how far it is.
    pub progress: Option<Progress>,
    /// The modes that finished, in order.
    pub runs: Vec<ModeRun>,
    /// The running mode's figures so far (in a snapshot).
    pub so_far: Option<ModeRun>,
    pub error: Option<String>,
    /// The running mode's answers, and when it began.
    #[serde(skip)]
    live: Vec<Sample>,
    #[serde(skip)]
    live_since: Option<Instant>,
}

/// A second start while one runs.
#[derive(Debug, Clone, thiserror::Error)]
#[error(
    "A load run is already going ({0}); only one runs at a time. This page shows it until it ends."
)]
pub struct Busy(pub String);

#[derive(Default)]
struct Inner {
    next_id: u64,
    current: Option<Lesson>,
    task: Option<JoinHandle<()>>,
}

/// Shared by every request of a web node (one per `Application`).
pub struct LoadRuns {
    inner: Arc<Mutex<Inner>>,
    stop: Shutdown,
}

impl Default for LoadRuns {
    fn default() -> LoadRuns {
        LoadRuns {
            inner: Arc::new(Mutex::new(Inner::default())),
            stop: Shutdown::new(),
        }
    }
}

impl LoadRuns {
    /// The current or last lesson.
    pub fn snapshot(&self) -> Option<Lesson> {
        let mut l = self.inner.lock().ok()?.current.clone()?;
        if let (Some(p), Some(since)) = (l.progress, l.live_since) {
            let elapsed = since.elapsed().as_secs_f64();
            l.so_far = Some(ModeRun::so_far(p.mode, p.planned, &l.live, elapsed));
        }
        Some(l)
    }

    /// Starts a lesson unless one is running.
    pub fn start(&self, plan: Plan, started_by: String) -> Result<u64, Busy> {
        let mut inner = self
            .inner
            .lock()
            .map_err(|_| Busy("the runner's state is poisoned".into()))?;
        if let Some(c) = inner.current.as_ref().filter(|c| c.phase == Phase::Running) {
            let how_far = match c.progress {
                Some(p) => format!(
                    "{}, {} of {} requests, started by {}",
                    p.mode.as_str(),
                    p.done,
                    p.planned,
                    c.started_by
                ),
                None => format!("started by {}", c.started_by),
            };
            return Err(Busy(how_far));
        }
        if self.stop.is_triggered() {
            return Err(Busy("the web node is stopping".into()));
        }
        inner.next_id += 1;
        let id = inner.next_id;
        inner.current = Some(Lesson {
            id,
            app: plan.app,
            users: plan.users.get(),
            requests: plan.requests.get(),
            started_by,
            started_at: crate::engine::clock::now_secs(),
            phase: Phase::Running,
            progress: None,
            runs: Vec::new(),
            so_far: None,
            error: None,
            live: Vec::new(),
            live_since: None,
        });
        let span = tracing::info_span!("load_lesson", id, app = plan.app.as_str());
        let task = tokio::spawn(run(self.inner.clone(), plan, self.stop.clone()).instrument(span));
        inner.task = Some(task);
        Ok(id)
    }

    /// Stops a running lesson and waits for its task.
    pub async fn stop(&self) {
        self.stop.trigger();
        let task = self.inner.lock().ok().and_then(|mut i| i.task.take());
        if let Some(t) = task {
            if let Err(e) = t.await {
                tracing::warn!(error = %e, "the load lesson's task failed");
            }
        }
    }
}

fn update(inner: &Mutex<Inner>, f: impl FnOnce(&mut Lesson)) {
    if let Some(l) = inner.lock().ok().as_mut().and_then(|i| i.current.as_mut()) {
        f(l);
    }
}

async fn run(inner: Arc<Mutex<Inner>>, plan: Plan, stop: Shutdown) {
    tracing::info!(
        users = plan.users.get(),
        requests = plan.requests.get(),
        "load lesson started"
    );
    let result = run_modes(&inner, &plan, &stop).await;
    update(&inner, |l| {
        l.progress = None;
        l.live_since = None;
        match result {
            Ok(()) if stop.is_triggered() => l.phase = Phase::Stopped,
            Ok(()) => l.phase = Phase::Done,
            Err(e) => {
                l.phase = Phase::Failed;
                l.error = Some(e.to_string());
            }
        }
    });
    tracing::info!("load lesson ended");
}

async fn run_modes(
    inner: &Arc<Mutex<Inner>>,
    plan: &Plan,
    stop: &Shutdown,
) -> Result<(), LoadError> {
    let http = load::client(plan)?;
    for mode in MODES {
        if stop.is_triggered() {
            break;
        }
        update(inner, |l| {
            l.live.clear();
            l.live_since = Some(Instant::now());
            l.progress = Some(Progress {
                mode,
                done: 0,
                planned: plan.requests.get(),
                answer: None,
            });
        });
        let on_progress = |p: Progress| {
            update(inner, |l| {
                l.live.extend(p.answer);
                l.progress = Some(p);
            })
        };
        let r = load::run_mode(plan, mode, &http, stop, &on_progress).await?;
        update(inner, |l| {
            l.runs.push(r);
            l.live.clear();
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apps::lessons::input::{DurationLimit, LoadApp, Requests, Users};

    /// A server that accepts connections and never answers.
    async fn silent_server() -> (url::Url, tokio::task::JoinHandle<()>) {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = url::Url::parse(&format!("http://{}/", l.local_addr().unwrap())).unwrap();
        let task = tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((s, _)) = l.accept().await {
                held.push(s);
            }
        });
        (url, task)
    }

    #[tokio::test]
    async fn one_run_at_a_time_and_stop_ends_it() {
        let (base, server) = silent_server().await;
        let plan = Plan {
            base,
            app: LoadApp::Snippets,
            users: Users::parse("2").unwrap(),
            requests: Requests::parse("10").unwrap(),
            limit: DurationLimit::default(),
        };
        let runs = LoadRuns::default();
        assert!(runs.snapshot().is_none());
        assert_eq!(runs.start(plan.clone(), "teacher".into()).unwrap(), 1);
        let busy = runs.start(plan, "another".into()).unwrap_err();
        assert!(busy.to_string().contains("teacher"), "{busy}");
        assert_eq!(runs.snapshot().unwrap().phase, Phase::Running);
        tokio::time::timeout(std::time::Duration::from_secs(10), runs.stop())
            .await
            .expect("stop ends a run whose server never answers");
        let lesson = runs.snapshot().unwrap();
        assert_eq!(lesson.phase, Phase::Stopped);
        assert!(lesson
            .runs
            .iter()
            .all(|r| r.cut_short && r.summary.requests == 0));
        server.abort();
    }
}
