//! `/playground`: the tutorials' console steps as forms: `DemoWorker(delay,
//! message)` once or N times, `perform_in` and `perform_at`, slow jobs then
//! one `UrgentWorker` jumping the line, and a job with wrong arguments that
//! fails and retries. Each answer lists the jids with links to the dashboard.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::domain::Invalid;
use crate::engine::api::StoreError;
use crate::engine::client::PushOptions;
use crate::engine::registry::JobError;
use crate::web::errors::page_error;
use crate::web::routes::html;
use crate::web::state::AppState;
use crate::web::templates::{self, RenderError};
use crate::web::timing::{Mode, Timed};

/// Most jobs one button pushes.
const MAX_COUNT: u64 = 10_000;
/// Most jobs the sync button runs one after the other in the request.
const MAX_SYNC_COUNT: u64 = 10;

#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(default)]
pub struct PlaygroundForm {
    pub delay: String,
    pub message: String,
    pub count: String,
    pub seconds: String,
    pub at: String,
    pub slow_count: String,
    pub mode: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum PlaygroundError {
    #[error("there is no playground action {0:?}")]
    UnknownAction(String),
    #[error("cannot enqueue: {0}")]
    Enqueue(#[from] StoreError),
    #[error("the job failed inline: {0}")]
    Inline(JobError),
    #[error(transparent)]
    Render(#[from] RenderError),
}

impl PlaygroundError {
    fn status(&self) -> StatusCode {
        match self {
            PlaygroundError::UnknownAction(_) => StatusCode::NOT_FOUND,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}
page_error!(PlaygroundError);

/// What one button did, for the page.
#[derive(Debug, Serialize)]
struct Outcome {
    action: String,
    summary: String,
    /// Where to watch: a dashboard page.
    watch: String,
    jids: Vec<String>,
    more: usize,
}

pub async fn page() -> Result<HttpResponse, PlaygroundError> {
    render(StatusCode::OK, None, None)
}

fn render(
    status: StatusCode,
    outcome: Option<&Outcome>,
    error: Option<(&str, &str)>,
) -> Result<HttpResponse, PlaygroundError> {
    let mut ctx = templates::context("playground", "Playground");
    ctx.insert("outcome", &outcome);
    ctx.insert("error_action", &error.map(|e| e.0));
    ctx.insert("error", &error.map(|e| e.1));
    ctx.insert("default_at", &default_at());
    Ok(html(
        status,
        templates::render("playground/index.html", &ctx)?,
    ))
}

/// A minute from now, for the `perform_at` field.
fn default_at() -> String {
    (chrono::Utc::now() + chrono::Duration::seconds(60))
        .format("%Y-%m-%dT%H:%M:%S")
        .to_string()
}

fn number(s: &str, name: &str, default: f64, max: f64) -> Result<f64, Invalid> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(default);
    }
    match s.parse::<f64>() {
        Ok(n) if n.is_finite() && (0.0..=max).contains(&n) => Ok(n),
        _ => Err(Invalid::new(format!(
            "{name} must be a number from 0 to {max}."
        ))),
    }
}

fn count(s: &str, max: u64) -> Result<u64, Invalid> {
    match number(s, "The count", 1.0, max as f64)? {
        n if n >= 1.0 && n.fract() == 0.0 => Ok(n as u64),
        _ => Err(Invalid::new(format!(
            "The count must be a whole number from 1 to {max}."
        ))),
    }
}

/// `YYYY-MM-DDTHH:MM[:SS]` (a datetime-local field, read as UTC) or RFC 3339.
fn parse_at(s: &str) -> Result<f64, Invalid> {
    let s = s.trim();
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Ok(t.timestamp_micros() as f64 / 1e6);
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(s, fmt) {
            return Ok(t.and_utc().timestamp_micros() as f64 / 1e6);
        }
    }
    Err(Invalid::new("Give a time like 2026-11-25T15:00:00 (UTC)."))
}

fn message(form: &PlaygroundForm, default: &str) -> String {
    let m = form.message.trim();
    if m.is_empty() {
        default.to_owned()
    } else {
        m.chars().take(500).collect()
    }
}

pub async fn run(
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: web::Form<PlaygroundForm>,
) -> Result<HttpResponse, PlaygroundError> {
    let action = path.into_inner();
    let mode = Mode::from_form(form.mode.as_deref());
    let result = match action.as_str() {
        "demo" => demo(&state, &form, mode).await?,
        "scheduled" => scheduled(&state, &form).await?,
        "urgent" => urgent(&state, &form).await?,
        "wrong_args" => wrong_args(&state).await?,
        _ => return Err(PlaygroundError::UnknownAction(action)),
    };
    let mut resp = match result {
        Ok(outcome) => render(StatusCode::OK, Some(&outcome), None)?,
        Err(invalid) => render(
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            Some((&action, &invalid.0)),
        )?,
    };
    resp.extensions_mut().insert(Timed {
        app: "playground",
        mode,
    });
    Ok(resp)
}

fn outcome(action: &str, summary: String, watch: &str, jids: Vec<String>) -> Outcome {
    const SHOWN: usize = 20;
    let more = jids.len().saturating_sub(SHOWN);
    Outcome {
        action: action.to_owned(),
        summary,
        watch: watch.to_owned(),
        jids: jids.into_iter().take(SHOWN).collect(),
        more,
    }
}

type Step = Result<Result<Outcome, Invalid>, PlaygroundError>;

async fn demo(state: &AppState, form: &PlaygroundForm, mode: Mode) -> Step {
    let max = if mode == Mode::Sync {
        MAX_SYNC_COUNT
    } else {
        MAX_COUNT
    };
    let (delay, n) = match (
        number(&form.delay, "The delay", 1.0, 60.0),
        count(&form.count, max),
    ) {
        (Ok(d), Ok(n)) => (d, n),
        (Err(e), _) | (_, Err(e)) => return Ok(Err(e)),
    };
    let msg = message(form, "hello from the playground");
    let args = |i: u64| -> Vec<Value> {
        let m = if n > 1 {
            format!("{msg} ({} of {n})", i + 1)
        } else {
            msg.clone()
        };
        vec![json!(delay), json!(m)]
    };
    if mode == Mode::Sync {
        let mut jids = Vec::new();
        for i in 0..n {
            let job = state.new_job("DemoWorker", args(i));
            jids.push(job.jid().to_owned());
            state
                .run_inline(job)
                .await
                .map_err(PlaygroundError::Inline)?;
        }
        let s = format!("Ran {n} DemoWorker job(s) inline, in this request.");
        return Ok(Ok(outcome("demo", s, "/sidekiq", jids)));
    }
    let list: Vec<Vec<Value>> = (0..n).map(args).collect();
    let jids = state
        .client
        .push_bulk("DemoWorker", list, &PushOptions::default())
        .await?;
    let s = format!("Enqueued {n} DemoWorker job(s) on the default queue.");
    Ok(Ok(outcome("demo", s, "/sidekiq/queues/default", jids)))
}

async fn scheduled(state: &AppState, form: &PlaygroundForm) -> Step {
    let msg = message(form, "a scheduled hello");
    let (at, how) = if form.at.trim().is_empty() {
        match number(&form.seconds, "The delay", 30.0, 86_400.0) {
            Ok(s) => (
                crate::engine::clock::now_secs() + s,
                format!("perform_in {s} seconds"),
            ),
            Err(e) => return Ok(Err(e)),
        }
    } else {
        match parse_at(&form.at) {
            Ok(t) => (t, format!("perform_at {}", form.at.trim())),
            Err(e) => return Ok(Err(e)),
        }
    };
    let jid = state
        .client
        .perform_at(
            "DemoWorker",
            at.max(1_000_000_000.0),
            vec![json!(0), json!(msg)],
        )
        .await?;
    let s = format!("Scheduled DemoWorker with {how}.");
    Ok(Ok(outcome("scheduled", s, "/sidekiq/scheduled", vec![jid])))
}

async fn urgent(state: &AppState, form: &PlaygroundForm) -> Step {
    let n = match count(
        if form.slow_count.is_empty() {
            "100"
        } else {
            &form.slow_count
        },
        1000,
    ) {
        Ok(n) => n,
        Err(e) => return Ok(Err(e)),
    };
    let list: Vec<Vec<Value>> = (0..n)
        .map(|i| vec![json!(5), json!(format!("slow job {} of {n}", i + 1))])
        .collect();
    let mut jids = state
        .client
        .push_bulk("DemoWorker", list, &PushOptions::default())
        .await?;
    let urgent = state
        .client
        .perform_async(
            "UrgentWorker",
            vec![json!(0), json!("urgent! I jumped the line")],
        )
        .await?;
    jids.insert(0, urgent);
    let s = format!(
        "Enqueued {n} slow DemoWorker jobs on default, then one UrgentWorker on the urgent \
         queue (first in the list): workers started with -q urgent -q default run it next."
    );
    Ok(Ok(outcome("urgent", s, "/sidekiq/queues/urgent", jids)))
}

async fn wrong_args(state: &AppState) -> Step {
    // DemoWorker takes (delay, message): one argument fails with ArgumentError.
    let jid = state
        .client
        .perform_async("DemoWorker", vec![json!("not a delay")])
        .await?;
    let s = "Enqueued DemoWorker with one argument: it fails with ArgumentError and Sidekiq's \
             backoff retries it (see Retries)."
        .to_owned();
    Ok(Ok(outcome("wrong_args", s, "/sidekiq/retries", vec![jid])))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_parsing() {
        assert_eq!(count("", 10), Ok(1));
        assert_eq!(count("500", 10_000), Ok(500));
        assert!(count("0", 10).is_err());
        assert!(count("1.5", 10).is_err());
        assert!(count("11", 10).is_err());
        assert_eq!(parse_at("2026-11-25T15:00:00"), Ok(1795618800.0));
        assert_eq!(parse_at("2026-11-25T15:00"), Ok(1795618800.0));
        assert!(parse_at("soon").is_err());
        assert!(number("-1", "x", 0.0, 5.0).is_err());
    }
}
