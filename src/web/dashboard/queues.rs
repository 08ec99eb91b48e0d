//! `/sidekiq/queues`: every queue with size and latency and a Delete (clear)
//! button; `/sidekiq/queues/NAME`: its jobs, paged, oldest or newest first,
//! each with Delete (by exact payload, as Sidekiq's `LREM`).

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};

use super::error::{DashError, DashResult};
use super::params::{self, ActionForm, ListQuery, Paging};
use super::view::{self, JobView};
use crate::engine::api::{Page, QueueSummary};
use crate::engine::queue::QueueName;
use crate::web::auth::Admin;
use crate::web::response::html;
use crate::web::state::AppState;
use crate::web::templates;

pub async fn index(state: web::Data<AppState>, admin: Admin) -> DashResult<HttpResponse> {
    let (mut ctx, stats) = view::context(&state, &admin, "queues", "Queues").await?;
    ctx.insert("queues", &stats.queues);
    Ok(html(
        StatusCode::OK,
        templates::render("sidekiq/queues.html", &ctx)?,
    ))
}

/// The queue a URL names: a name (else 400) that is known (else 404); an
/// odd one another client wrote (`QueueName::foreign`) too.
async fn known(state: &AppState, name: &str) -> DashResult<QueueSummary> {
    let q = QueueName::parse(name)
        .ok()
        .or_else(|| QueueName::foreign(name))
        .ok_or_else(|| DashError::bad("A queue name is 1 to 1,024 bytes.".to_owned()))?;
    state
        .api
        .queue(&q)
        .await?
        .ok_or_else(|| DashError::not_found(format!("There is no queue named {name:?}.")))
}

pub async fn show(
    state: web::Data<AppState>,
    admin: Admin,
    name: web::Path<String>,
    query: web::Query<ListQuery>,
) -> DashResult<HttpResponse> {
    let paging = Paging::parse(&query, 25)?;
    let newest_first = params::newest_first(&query, false)?;
    let summary = known(&state, &name).await?;
    let (mut ctx, _) =
        view::context(&state, &admin, "queues", &format!("Queue {}", summary.name)).await?;
    let page = Page {
        offset: paging.offset(),
        limit: paging.count,
        newest_first,
    };
    let jobs = state.api.queue_jobs(&summary.name, page).await?;
    let views: Vec<JobView> = jobs
        .iter()
        .map(|j| JobView::new(&j.raw, j.job.as_ref()))
        .collect();
    ctx.insert("queue", &summary);
    ctx.insert("jobs", &views);
    ctx.insert("last_page", &paging.last(summary.size));
    paging.insert_into(&mut ctx, &paging.links(summary.size));
    ctx.insert("direction", if newest_first { "desc" } else { "asc" });
    Ok(html(
        StatusCode::OK,
        templates::render("sidekiq/queue.html", &ctx)?,
    ))
}

/// `POST /queues/NAME` with `delete`: clears the queue (pause is Sidekiq Pro's).
pub async fn update(
    state: web::Data<AppState>,
    _admin: Admin,
    name: web::Path<String>,
    body: web::Bytes,
) -> DashResult<HttpResponse> {
    let form = ActionForm::parse(&body)?;
    let summary = known(&state, &name).await?;
    match form.action.as_deref() {
        Some("delete") => {
            state.api.clear_queue(&summary.name).await?;
            Ok(super::see_other("/sidekiq/queues"))
        }
        _ if form.field("pause").is_some() || form.field("unpause").is_some() => Err(
            DashError::bad("Pausing queues is a Sidekiq Pro feature; kiqlab does not have it."),
        ),
        _ => Err(DashError::bad("Say delete.")),
    }
}

/// `POST /queues/NAME/delete` with `key_val` = the job's exact JSON.
pub async fn delete_job(
    state: web::Data<AppState>,
    _admin: Admin,
    name: web::Path<String>,
    body: web::Bytes,
) -> DashResult<HttpResponse> {
    let form = ActionForm::parse(&body)?;
    let summary = known(&state, &name).await?;
    let raw = form
        .field("key_val")
        .filter(|v| !v.is_empty())
        .ok_or_else(|| DashError::bad("Say which job (key_val)."))?;
    if !state
        .api
        .delete_queued(&summary.name, raw)
        .await?
        .is_removed()
    {
        return Err(DashError::not_found(
            "That job is no longer in the queue (a worker may have taken it).",
        ));
    }
    Ok(super::see_other(&format!(
        "/sidekiq/queues/{}",
        summary.name
    )))
}
