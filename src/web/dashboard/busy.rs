//! `/sidekiq/busy`: the Busy tab: cards (processes, threads, busy,
//! utilization, RSS, worker time against always-on), the live processes with quiet/stop each and for all,
//! and the jobs in progress. `POST` sends quiet ("TSTP") or stop ("TERM")
//! through the store, as Sidekiq::Web does.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Serialize;
use serde_json::Value;

use super::error::{DashError, DashResult};
use super::params::{ActionForm, ListQuery, Paging};
use super::view::{self, JobView};
use crate::engine::api::{ProcessRecord, Signal, SignalOutcome, Target, WorkRecord};
use crate::web::auth::Admin;
use crate::web::response::html;
use crate::web::state::AppState;
use crate::web::templates;

#[derive(Debug, Serialize)]
struct UsageView {
    used_s: String,
    always_on_s: String,
    percent: String,
}

#[derive(Debug, Serialize)]
struct ProcessView {
    identity: String,
    hostname: String,
    ip: String,
    pid: u64,
    tag: String,
    labels: Vec<String>,
    /// "urgent (10), default (1)" or just the names.
    queues: String,
    version: String,
    started_at: f64,
    rss_kb: u64,
    concurrency: u64,
    busy: u64,
    quiet: bool,
    embedded: bool,
    beat: f64,
}

impl ProcessView {
    fn new(p: &ProcessRecord) -> ProcessView {
        // 7.x's `info.weights`, or 8.x's `info.capsules` (ProcessRecord::weights).
        let weights = p.weights();
        let queues = p
            .queues()
            .iter()
            .map(
                |q| match weights.iter().find(|(name, _)| name == q).map(|(_, w)| *w) {
                    Some(w) if w > 0 => format!("{q} ({w})"),
                    _ => q.clone(),
                },
            )
            .collect::<Vec<_>>()
            .join(", ");
        let strs = |k: &str| -> Vec<String> {
            p.info
                .get(k)
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default()
        };
        ProcessView {
            identity: p.identity.clone(),
            hostname: p.hostname().to_owned(),
            ip: p.ip().to_owned(),
            pid: p.pid(),
            tag: p.tag().to_owned(),
            labels: strs("labels"),
            queues,
            version: p
                .info
                .get("version")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned(),
            started_at: p.started_at(),
            rss_kb: p.rss_kb,
            concurrency: p.concurrency(),
            busy: p.busy,
            quiet: p.quiet,
            embedded: p.is_embedded(),
            beat: p.beat,
        }
    }
}

#[derive(Debug, Serialize)]
struct WorkView {
    process: String,
    identity: String,
    tid: String,
    queue: String,
    run_at: f64,
    job: JobView,
}

fn work_view(w: &WorkRecord, procs: &[ProcessRecord]) -> WorkView {
    let process = procs
        .iter()
        .find(|p| p.identity == w.identity)
        .map(|p| format!("{}:{}", p.hostname(), p.pid()))
        .unwrap_or_else(|| w.identity.clone());
    WorkView {
        process,
        identity: w.identity.clone(),
        tid: w.tid.clone(),
        queue: w.queue.clone(),
        run_at: w.run_at,
        job: JobView::new(&w.payload, w.job().as_ref()),
    }
}

pub async fn page(
    state: web::Data<AppState>,
    admin: Admin,
    query: web::Query<ListQuery>,
) -> DashResult<HttpResponse> {
    let paging = Paging::parse(&query, 100)?;
    let (mut ctx, _) = view::context(&state, &admin, "busy", "Busy").await?;
    let procs = state.api.processes().await?;
    let work = state.api.work().await?;
    let threads: u64 = procs.iter().map(ProcessRecord::concurrency).sum();
    let busy: u64 = procs.iter().map(|p| p.busy).sum();
    let rss: u64 = procs.iter().map(|p| p.rss_kb).sum();
    ctx.insert("process_count", &procs.len());
    ctx.insert("threads", &threads);
    ctx.insert("busy", &busy);
    ctx.insert(
        "utilization",
        &if threads > 0 {
            (busy as f64 * 100.0 / threads as f64).round() as u64
        } else {
            0
        },
    );
    ctx.insert("rss_kb", &rss);
    // The autoscaler's meter: worker-seconds used against one always-on worker.
    let usage = state.api.usage().await?;
    ctx.insert(
        "usage",
        &usage.as_ref().map(|u| UsageView {
            used_s: format!("{:.0}", u.used_s),
            always_on_s: format!("{:.0}", u.always_on_s),
            percent: u.share_text(),
        }),
    );
    let shown: Vec<ProcessView> = procs
        .iter()
        .skip(usize::try_from(paging.offset()).unwrap_or(usize::MAX))
        .take(usize::try_from(paging.count).unwrap_or(usize::MAX))
        .map(ProcessView::new)
        .collect();
    ctx.insert("processes", &shown);
    paging.insert_into(&mut ctx, &paging.links(procs.len() as u64));
    let jobs: Vec<WorkView> = work.iter().map(|w| work_view(w, &procs)).collect();
    ctx.insert("work", &jobs);
    Ok(html(
        StatusCode::OK,
        templates::render("sidekiq/busy.html", &ctx)?,
    ))
}

/// `identity` plus `quiet` or `stop`; no identity means every process
/// (embedded ones excepted, as Sidekiq does).
pub async fn signal(
    state: web::Data<AppState>,
    _admin: Admin,
    body: web::Bytes,
) -> DashResult<HttpResponse> {
    let form = ActionForm::parse(&body)?;
    let wants = |name: &str| form.field(name).is_some() || form.action.as_deref() == Some(name);
    let signal = if wants("quiet") {
        Signal::Quiet
    } else if wants("stop") {
        Signal::Stop
    } else {
        return Err(DashError::bad("Say quiet or stop."));
    };
    let target = match form.field("identity").filter(|i| !i.is_empty()) {
        Some(identity) => Target::Process(identity.to_owned()),
        None => Target::All,
    };
    if state.api.signal(&target, &signal).await? == SignalOutcome::NoSuchProcess {
        let identity = form.field("identity").unwrap_or("");
        return Err(DashError::not_found(format!(
            "There is no live process {identity:?} (it may have stopped)."
        )));
    }
    Ok(super::see_other("/sidekiq/busy"))
}
