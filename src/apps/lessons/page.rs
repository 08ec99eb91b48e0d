//! `/lessons/load` (admins only, behind the sign-in gate): the teacher picks
//! an app, users and requests, starts a run against this node (sync, then
//! async) and watches the figures side by side; `/lessons/load/status` is
//! the same as JSON.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

use super::chart;
use super::input::{self, DurationLimit, LoadApp, LoadInputError, Requests, Users};
use super::load::{ModeRun, Plan};
use super::runs::{Lesson, LoadRuns, Phase};
use crate::web::auth::Admin;
use crate::web::errors::PageError;
use crate::web::response::html;
use crate::web::templates::{self, format_ms};

#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(default)]
pub struct LoadForm {
    pub app: String,
    pub users: String,
    pub requests: String,
}

impl LoadForm {
    fn suggested() -> LoadForm {
        LoadForm {
            app: "snippets".into(),
            users: "20".into(),
            requests: "100".into(),
        }
    }
}

/// One line of the side-by-side table: a figure for each mode.
#[derive(Serialize)]
struct Row {
    label: &'static str,
    id: &'static str,
    values: Vec<String>,
}

#[derive(Serialize)]
struct AppOption {
    code: &'static str,
    label: &'static str,
}

fn opt_ms(v: Option<f64>) -> String {
    v.map(format_ms).unwrap_or_else(|| "–".into())
}

fn rows(runs: &[ModeRun]) -> Vec<Row> {
    let row = |label, id, f: &dyn Fn(&ModeRun) -> String| Row {
        label,
        id,
        values: runs.iter().map(f).collect(),
    };
    vec![
        row("Requests answered", "answered", &|r| {
            let s = &r.summary;
            let cut = if r.cut_short {
                " (stopped at the limit)"
            } else {
                ""
            };
            format!("{} of {}{cut}", s.requests, r.planned)
        }),
        row("p50 (median)", "p50", &|r| opt_ms(r.summary.p50_ms)),
        row("p95", "p95", &|r| opt_ms(r.summary.p95_ms)),
        row("p99", "p99", &|r| opt_ms(r.summary.p99_ms)),
        row("Slowest", "max", &|r| opt_ms(r.summary.max_ms)),
        row("Requests per second", "rps", &|r| {
            format!("{:.1}", r.summary.req_per_s)
        }),
        row("Errors", "errors", &|r| r.summary.errors.to_string()),
        row("Took", "elapsed", &|r| {
            format_ms(r.summary.elapsed_s * 1000.0)
        }),
        row(
            "A plain page (/) for another visitor, median",
            "probe-p50",
            &|r| opt_ms(r.probe.p50_ms),
        ),
        row("… slowest", "probe-max", &|r| opt_ms(r.probe.max_ms)),
    ]
}

/// "812×": how many times slower the sync median is.
fn ratio(runs: &[ModeRun]) -> Option<String> {
    let (s, a) = (runs.first()?.summary.p50_ms?, runs.get(1)?.summary.p50_ms?);
    (a > 0.0).then(|| crate::web::submits::ratio(s, a))
}

fn render(
    status: StatusCode,
    admin: &Admin,
    lesson: Option<&Lesson>,
    form: &LoadForm,
    notice: Option<&str>,
) -> Result<HttpResponse, PageError> {
    let mut ctx = templates::context("lessons", "The load lesson");
    let running = lesson.is_some_and(|l| l.phase == Phase::Running);
    ctx.insert("refresh", &running);
    ctx.insert("running", &running);
    ctx.insert("csrf_token", &admin.csrf_token());
    ctx.insert("form", form);
    ctx.insert("notice", &notice);
    ctx.insert(
        "apps",
        &LoadApp::ALL
            .iter()
            .map(|a| AppOption {
                code: a.as_str(),
                label: a.label(),
            })
            .collect::<Vec<_>>(),
    );
    ctx.insert("max_users", &input::MAX_USERS);
    ctx.insert("max_requests", &input::MAX_REQUESTS);
    ctx.insert("lesson", &lesson);
    if let Some(l) = lesson {
        // The finished modes, then the running one's figures so far.
        let shown: Vec<ModeRun> = l.runs.iter().chain(&l.so_far).cloned().collect();
        let heads: Vec<String> = shown
            .iter()
            .enumerate()
            .map(|(i, r)| {
                if i < l.runs.len() {
                    r.mode.as_str().to_owned()
                } else {
                    format!("{} (so far)", r.mode.as_str())
                }
            })
            .collect();
        ctx.insert("modes", &shown.iter().map(|r| r.mode).collect::<Vec<_>>());
        ctx.insert("heads", &heads);
        ctx.insert("rows", &rows(&shown));
        ctx.insert("ratio", &ratio(&l.runs));
        ctx.insert("chart", &chart::chart(&shown));
        ctx.insert(
            "first_errors",
            &l.runs
                .iter()
                .filter_map(|r| r.first_error.as_deref())
                .collect::<Vec<_>>(),
        );
    }
    Ok(html(status, templates::render("lessons/load.html", &ctx)?))
}

pub async fn show(admin: Admin, runs: web::Data<LoadRuns>) -> Result<HttpResponse, PageError> {
    let lesson = runs.snapshot();
    let form = lesson
        .as_ref()
        .map(|l| LoadForm {
            app: l.app.as_str().into(),
            users: l.users.to_string(),
            requests: l.requests.to_string(),
        })
        .unwrap_or_else(LoadForm::suggested);
    render(StatusCode::OK, &admin, lesson.as_ref(), &form, None)
}

/// This node as a client on this machine reaches it: the address the
/// request came in on (the loopback for a wildcard bind).
fn own_url(req: &HttpRequest) -> Option<url::Url> {
    let mut addr = req.app_config().local_addr();
    if addr.ip().is_unspecified() {
        let ip = match addr {
            std::net::SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
            std::net::SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        };
        addr.set_ip(ip);
    }
    url::Url::parse(&format!("http://{addr}/")).ok()
}

fn parse(form: &LoadForm, base: url::Url) -> Result<Plan, LoadInputError> {
    Ok(Plan {
        base,
        app: LoadApp::parse(&form.app)?,
        users: Users::parse(&form.users)?,
        requests: Requests::parse(&form.requests)?,
        limit: DurationLimit::default(),
    })
}

pub async fn start(
    admin: Admin,
    req: HttpRequest,
    runs: web::Data<LoadRuns>,
    form: web::Form<LoadForm>,
) -> Result<HttpResponse, PageError> {
    let form = form.into_inner();
    let Some(base) = own_url(&req) else {
        let msg = "This node does not know its own address.";
        return render(
            StatusCode::INTERNAL_SERVER_ERROR,
            &admin,
            runs.snapshot().as_ref(),
            &form,
            Some(msg),
        );
    };
    let plan = match parse(&form, base) {
        Ok(p) => p,
        Err(e) => {
            let msg = e.to_string();
            return render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &admin,
                runs.snapshot().as_ref(),
                &form,
                Some(&msg),
            );
        }
    };
    match runs.start(plan, admin.user.username.clone()) {
        Ok(_) => Ok(HttpResponse::SeeOther()
            .insert_header(("Location", "/lessons/load"))
            .finish()),
        Err(busy) => {
            let msg = busy.to_string();
            render(
                StatusCode::CONFLICT,
                &admin,
                runs.snapshot().as_ref(),
                &form,
                Some(&msg),
            )
        }
    }
}

/// The lesson as JSON (`null` before the first run).
pub async fn status(_admin: Admin, runs: web::Data<LoadRuns>) -> HttpResponse {
    HttpResponse::Ok().json(runs.snapshot())
}
