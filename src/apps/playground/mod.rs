//! `/playground`: the tutorials' console steps as forms: `DemoWorker(delay,
//! message)` once or N times, `perform_in` and `perform_at`, slow jobs then
//! one `UrgentWorker` jumping the line, and a job with wrong arguments that
//! fails and retries. Each answer lists the jids with links to the dashboard.

mod fields;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::domain::Invalid;
use crate::engine::api::StoreError;
use crate::engine::builtin::{DemoArgs, DemoDelay, DemoWorker, UrgentWorker};
use crate::engine::job_class::JobClass;
use crate::engine::registry::JobError;
use crate::web::errors::page_error;
use crate::web::response::html;
use crate::web::state::AppState;
use crate::web::templates::{self, Part, RenderError};
use crate::web::timing::{Mode, Timed};
use fields::{count, default_at, message, number, parse_at};

/// The playground's templates (`templates/playground/`).
pub const TEMPLATES: Part = Part::folder("playground");

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/playground")
            .route("", web::get().to(page))
            .route("/{action}", web::post().to(run)),
    );
}

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
    let Some(delay) = DemoDelay::secs(delay) else {
        return Ok(Err(Invalid::new(
            "The delay must be a number from 0 to 60.",
        )));
    };
    let msg = message(&form.message, "hello from the playground");
    let args = |i: u64| DemoArgs {
        delay_seconds: delay.clone(),
        message: Value::from(if n > 1 {
            format!("{msg} ({} of {n})", i + 1)
        } else {
            msg.clone()
        }),
    };
    if mode == Mode::Sync {
        let mut jids = Vec::new();
        for i in 0..n {
            let job = DemoWorker::job(&args(i));
            jids.push(job.jid().to_owned());
            state
                .run_inline(job)
                .await
                .map_err(PlaygroundError::Inline)?;
        }
        let s = format!("Ran {n} DemoWorker job(s) inline, in this request.");
        return Ok(Ok(outcome("demo", s, "/sidekiq", jids)));
    }
    let list: Vec<DemoArgs> = (0..n).map(args).collect();
    let jids = state.client.enqueue_bulk::<DemoWorker>(&list).await?;
    let s = format!("Enqueued {n} DemoWorker job(s) on the default queue.");
    Ok(Ok(outcome("demo", s, "/sidekiq/queues/default", jids)))
}

async fn scheduled(state: &AppState, form: &PlaygroundForm) -> Step {
    let msg = message(&form.message, "a scheduled hello");
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
    let args = DemoArgs {
        delay_seconds: DemoDelay::whole(0),
        message: Value::from(msg),
    };
    let jid = state
        .client
        .enqueue_at::<DemoWorker>(at.max(1_000_000_000.0), &args)
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
    let list: Vec<DemoArgs> = (0..n)
        .map(|i| DemoArgs {
            delay_seconds: DemoDelay::whole(5),
            message: Value::from(format!("slow job {} of {n}", i + 1)),
        })
        .collect();
    let mut jids = state.client.enqueue_bulk::<DemoWorker>(&list).await?;
    let urgent = state
        .client
        .enqueue::<UrgentWorker>(&DemoArgs {
            delay_seconds: DemoDelay::whole(0),
            message: Value::from("urgent! I jumped the line"),
        })
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
    // Pushed by name, as a Ruby console would: `DemoArgs` cannot be wrong.
    let jid = state
        .client
        .perform_async(DemoWorker::NAME, vec![json!("not a delay")])
        .await?;
    let s = "Enqueued DemoWorker with one argument: it fails with ArgumentError and Sidekiq's \
             backoff retries it (see Retries)."
        .to_owned();
    Ok(Ok(outcome("wrong_args", s, "/sidekiq/retries", vec![jid])))
}
