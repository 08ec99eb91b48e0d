//! `/playground`: the tutorials' console steps as forms: `DemoWorker(delay,
//! message)` once or N times, `perform_in` and `perform_at`, slow jobs then
//! one `UrgentWorker` jumping the line, and a job with wrong arguments that
//! fails and retries. Each answer lists the jids with links to the dashboard,
//! by POST/redirect/GET (`result`), with every field as it was typed.

mod fields;
mod result;
mod urgent;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
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
use result::{Outcome, PageQuery};

/// The playground's templates (`templates/playground/`).
pub const TEMPLATES: Part = Part::folder("playground");

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/playground")
            .route("", web::get().to(page))
            .route("/{action}", web::post().to(run)),
    );
}

/// Most jobs one button pushes for a signed-in admin.
const MAX_COUNT: u64 = 10_000;
/// Most jobs one button pushes for anyone else (tutorial 004's "500 at
/// once"); their many-job presses are also rate-limited per address.
const ANONYMOUS_MAX_COUNT: u64 = 500;
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
    /// The "500 jobs at once" button: this many, with the form's delay and message.
    pub many: String,
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
    #[error("Your address has pressed the many-job buttons {} times in the last minute. Wait a minute, or sign in as an admin (admins aren't limited).", crate::web::auth::throttle::BULK_PRESSES_PER_IP)]
    TooManyPresses,
    #[error("cannot read the session: {0}")]
    Db(#[from] crate::web::db::DbError),
    #[error(transparent)]
    Render(#[from] RenderError),
}

impl PlaygroundError {
    fn status(&self) -> StatusCode {
        match self {
            PlaygroundError::UnknownAction(_) => StatusCode::NOT_FOUND,
            PlaygroundError::TooManyPresses => StatusCode::TOO_MANY_REQUESTS,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}
page_error!(PlaygroundError);

pub async fn page(query: web::Query<PageQuery>) -> Result<HttpResponse, PlaygroundError> {
    let q = query.into_inner();
    let outcome = result::from_query(&q);
    let action = outcome
        .as_ref()
        .map(|o| o.action.clone())
        .unwrap_or_default();
    render(StatusCode::OK, outcome.as_ref(), None, &q.form, &action)
}

/// The fields as typed (for the form `action` that was sent), else defaults.
#[derive(Debug, Serialize)]
struct Fields {
    delay: String,
    message: String,
    count: String,
    seconds: String,
    at: String,
    smessage: String,
    slow_count: String,
}

fn fields(form: &PlaygroundForm, action: &str) -> Fields {
    let or = |v: &str, d: &str| {
        if v.trim().is_empty() {
            d.to_owned()
        } else {
            v.to_owned()
        }
    };
    let demo = action == "demo";
    let sched = action == "scheduled";
    Fields {
        delay: if demo {
            or(&form.delay, "1")
        } else {
            "1".into()
        },
        message: if demo {
            or(&form.message, "hello from the playground")
        } else {
            "hello from the playground".into()
        },
        count: if demo {
            or(&form.count, "1")
        } else {
            "1".into()
        },
        seconds: if sched {
            or(&form.seconds, "30")
        } else {
            "30".into()
        },
        at: if sched {
            form.at.clone()
        } else {
            String::new()
        },
        smessage: if sched {
            or(&form.message, "scheduled hello")
        } else {
            "scheduled hello".into()
        },
        slow_count: if action == "urgent" {
            or(&form.slow_count, "100")
        } else {
            "100".into()
        },
    }
}

fn render(
    status: StatusCode,
    outcome: Option<&Outcome>,
    error: Option<(&str, &str)>,
    form: &PlaygroundForm,
    action: &str,
) -> Result<HttpResponse, PlaygroundError> {
    let mut ctx = templates::context("playground", "Playground");
    ctx.insert("outcome", &outcome);
    ctx.insert("fields", &fields(form, action));
    ctx.insert("error_action", &error.map(|e| e.0));
    ctx.insert("error", &error.map(|e| e.1));
    ctx.insert("default_at", &default_at());
    Ok(html(
        status,
        templates::render("playground/index.html", &ctx)?,
    ))
}

/// Who pressed: an admin's buttons push up to `MAX_COUNT` jobs, anyone
/// else's up to `ANONYMOUS_MAX_COUNT`, at `BULK_PRESSES_PER_IP` a minute.
struct Presser {
    admin: bool,
    ip: Option<std::net::IpAddr>,
}

impl Presser {
    async fn of(req: &HttpRequest, state: &AppState) -> Result<Presser, PlaygroundError> {
        let session = crate::web::auth::session::load(req, &state.db).await?;
        Ok(Presser {
            admin: session.and_then(|s| s.user).is_some_and(|u| u.is_admin),
            ip: req.peer_addr().map(|a| a.ip()),
        })
    }

    fn max(&self, admin_max: u64) -> u64 {
        if self.admin {
            admin_max
        } else {
            admin_max.min(ANONYMOUS_MAX_COUNT)
        }
    }

    /// `count` with this presser's cap, and a hint when an admin could do more.
    fn count(&self, s: &str, admin_max: u64) -> Result<u64, Invalid> {
        count(s, self.max(admin_max)).map_err(|e| {
            if self.admin || admin_max <= ANONYMOUS_MAX_COUNT {
                e
            } else {
                Invalid(format!(
                    "{} Signed-in admins may push up to {admin_max}.",
                    e.0
                ))
            }
        })
    }

    /// Counts a press that pushes more than one job.
    async fn press(&self, state: &AppState) -> Result<(), PlaygroundError> {
        if self.admin || crate::web::auth::throttle::bulk_press(&state.db, self.ip).await? {
            Ok(())
        } else {
            tracing::warn!(ip = ?self.ip, "playground: many-job presses throttled");
            Err(PlaygroundError::TooManyPresses)
        }
    }
}

pub async fn run(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: web::Form<PlaygroundForm>,
) -> Result<HttpResponse, PlaygroundError> {
    let action = path.into_inner();
    let mode = Mode::from_form(form.mode.as_deref());
    let presser = Presser::of(&req, &state).await?;
    let result = match action.as_str() {
        "demo" => demo(&state, &form, mode, &presser).await?,
        "scheduled" => scheduled(&state, &form).await?,
        "urgent" => urgent(&state, &form, &presser).await?,
        "wrong_args" => wrong_args(&state).await?,
        _ => return Err(PlaygroundError::UnknownAction(action)),
    };
    let mut resp = match result {
        Ok(outcome) => crate::web::response::redirect_timed(
            &result::location(&outcome, &form),
            "playground",
            mode,
        ),
        Err(invalid) => {
            let mut resp = render(
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                Some((&action, &invalid.0)),
                &form,
                &action,
            )?;
            resp.extensions_mut().insert(Timed {
                app: "playground",
                mode,
            });
            resp
        }
    };
    resp.extensions_mut().insert(Timed {
        app: "playground",
        mode,
    });
    Ok(resp)
}

/// The outcome of a button that did `n` jobs.
fn outcome(action: &str, form: &PlaygroundForm, jids: Vec<String>) -> Outcome {
    let n = jids.len();
    result::outcome(action, n, jids, form).unwrap_or(Outcome {
        action: action.to_owned(),
        summary: String::new(),
        watch: "/sidekiq".to_owned(),
        jids: Vec::new(),
        more: 0,
    })
}

type Step = Result<Result<Outcome, Invalid>, PlaygroundError>;

async fn demo(state: &AppState, form: &PlaygroundForm, mode: Mode, presser: &Presser) -> Step {
    let max = if mode == Mode::Sync {
        MAX_SYNC_COUNT
    } else {
        MAX_COUNT
    };
    let (delay, n) = match (
        number(&form.delay, "The delay", 1.0, 60.0),
        presser.count(
            if form.many.is_empty() {
                &form.count
            } else {
                &form.many
            },
            max,
        ),
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
        return Ok(Ok(outcome("demo", form, jids)));
    }
    if n > 1 {
        presser.press(state).await?;
    }
    let list: Vec<DemoArgs> = (0..n).map(args).collect();
    let jids = state.client.enqueue_bulk::<DemoWorker>(&list).await?;
    Ok(Ok(outcome("demo", form, jids)))
}

async fn scheduled(state: &AppState, form: &PlaygroundForm) -> Step {
    let msg = message(&form.message, "a scheduled hello");
    let at = if form.at.trim().is_empty() {
        match number(&form.seconds, "The delay", 30.0, 86_400.0) {
            Ok(s) => crate::engine::clock::now_secs() + s,
            Err(e) => return Ok(Err(e)),
        }
    } else {
        match parse_at(&form.at) {
            Ok(t) => t,
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
    Ok(Ok(outcome("scheduled", form, vec![jid])))
}

async fn urgent(state: &AppState, form: &PlaygroundForm, presser: &Presser) -> Step {
    let n = match presser.count(
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
    presser.press(state).await?;
    let list: Vec<DemoArgs> = (0..n)
        .map(|i| DemoArgs {
            delay_seconds: DemoDelay::whole(5),
            message: Value::from(format!("slow job {} of {n}", i + 1)),
        })
        .collect();
    let mut jids = state.client.enqueue_bulk::<DemoWorker>(&list).await?;
    let urgent = UrgentWorker::job(&DemoArgs {
        delay_seconds: DemoDelay::whole(0),
        message: Value::from("urgent! I jumped the line"),
    });
    let urgent_jid = urgent.jid().to_owned();
    tokio::spawn(urgent::push_once_started(
        state.api.clone(),
        state.client.clone(),
        jids.clone(),
        urgent,
    ));
    jids.insert(0, urgent_jid);
    Ok(Ok(outcome("urgent", form, jids)))
}

async fn wrong_args(state: &AppState) -> Step {
    // DemoWorker takes (delay, message): one argument fails with ArgumentError.
    // Pushed by name, as a Ruby console would: `DemoArgs` cannot be wrong.
    let jid = state
        .client
        .perform_async(DemoWorker::NAME, vec![json!("not a delay")])
        .await?;
    Ok(Ok(outcome(
        "wrong_args",
        &PlaygroundForm::default(),
        vec![jid],
    )))
}
