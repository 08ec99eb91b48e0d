//! The job-state block of each record's page (snippets, FibTastic, blog):
//! queued, running on worker-0N, retrying (attempt k of n, the error, the
//! next try), dead (the error; admins get a link to it in the dashboard) or
//! done, read through `engine::api`. The page refreshes itself while the
//! job can still change; `templates/_job_state.html` renders it.

use actix_web::HttpRequest;
use serde::Serialize;

use crate::apps::stamp::WorkerStamp;
use crate::engine::api::JobState;
use crate::web::auth::session;
use crate::web::state::AppState;

/// What `_job_state.html` shows.
#[derive(Debug, Clone, Serialize)]
pub struct JobStateView {
    /// queued, running, scheduled, retrying, dead or done.
    pub state: &'static str,
    pub jid: String,
    /// One sentence a student reads.
    pub text: String,
    pub error: Option<String>,
    /// The dead or retry entry in the dashboard, for admins.
    pub dashboard_link: Option<String>,
    /// The page should refresh itself (the job can still change).
    pub live: bool,
    /// A new job for a record that was done once (the blog after Edit).
    pub redo: bool,
    /// What the new job does ("Re-tagging after your edit").
    pub redo_label: String,
}

/// The state of `jid`, the job that makes the record's result; `done` is
/// the stamp of the run that made the current result, if it is this job's.
/// `redo_label` names the work when an older run's result is still shown
/// ("re-tagging after your edit").
pub async fn view(
    state: &AppState,
    req: &HttpRequest,
    jid: Option<&str>,
    done: Option<&WorkerStamp>,
    any_result: bool,
    redo_label: &str,
) -> JobStateView {
    let jid = jid.unwrap_or_default().to_owned();
    if let Some(stamp) = done.filter(|s| s.jid == jid || jid.is_empty()) {
        return JobStateView {
            state: "done",
            text: format!(
                "{} ran it in {:.3} s, finished at {}.",
                stamp.hostname,
                stamp.duration_ms / 1000.0,
                iso_time(stamp.finished_at)
            ),
            jid,
            error: None,
            dashboard_link: None,
            live: false,
            redo: false,
            redo_label: String::new(),
        };
    }
    let redo = any_result;
    let found = match state.api.job_state(&jid).await {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(jid, error = %e, "cannot read the job's state");
            JobState::Elsewhere
        }
    };
    let now = state.api.now();
    let in_secs = |t: f64| (t - now).max(0.0).round();
    let admin = is_admin(state, req).await;
    let (st, text, error, link, live) = match found {
        JobState::Elsewhere => (
            "queued",
            "waiting for a worker to pick it up.".to_owned(),
            None,
            None,
            true,
        ),
        JobState::Running { worker, queue, .. } => (
            "running",
            format!("running on {worker} (queue {queue})."),
            None,
            None,
            true,
        ),
        JobState::Scheduled { at } => (
            "scheduled",
            format!("due at {} (in {} s).", iso_time(at), in_secs(at)),
            None,
            None,
            true,
        ),
        JobState::Retrying {
            attempt,
            of,
            error,
            next_at,
            key,
        } => (
            "retrying",
            format!(
                "it failed, and retry {attempt} of {of} is due at {} (in {} s).",
                iso_time(next_at),
                in_secs(next_at)
            ),
            Some(error),
            Some(format!("/sidekiq/retries/{key}")),
            true,
        ),
        JobState::Dead { error, key, .. } => (
            "dead",
            "it failed and will not be tried again.".to_owned(),
            Some(error),
            Some(format!("/sidekiq/morgue/{key}")),
            false,
        ),
    };
    JobStateView {
        state: st,
        jid,
        text,
        error,
        dashboard_link: link.filter(|_| admin),
        live,
        redo,
        redo_label: redo_label.to_owned(),
    }
}

async fn is_admin(state: &AppState, req: &HttpRequest) -> bool {
    match session::load(req, &state.db).await {
        Ok(Some(s)) => s.user.is_some_and(|u| u.is_admin),
        _ => false,
    }
}

/// An epoch time as ISO-8601 UTC, to the second.
fn iso_time(t: f64) -> String {
    chrono::DateTime::from_timestamp(t.floor() as i64, 0)
        .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}
