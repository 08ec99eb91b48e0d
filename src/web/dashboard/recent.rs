//! `/sidekiq/recent`: beyond Sidekiq, the last finished or failed jobs with
//! the host, IP and pid that ran each, duration and outcome ("which worker
//! processed it" at a glance), filterable by host.

use std::collections::BTreeSet;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use super::error::{DashError, DashResult};
use super::params::{ListQuery, Paging};
use super::view;
use crate::engine::api::JobRecord;
use crate::web::auth::Admin;
use crate::web::response::html;
use crate::web::state::AppState;
use crate::web::templates;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RecentQuery {
    host: Option<String>,
    count: Option<String>,
}

#[derive(Debug, Serialize)]
struct RecentRow {
    #[serde(flatten)]
    record: JobRecord,
    finished_at: f64,
}

pub async fn page(
    state: web::Data<AppState>,
    admin: Admin,
    query: web::Query<RecentQuery>,
) -> DashResult<HttpResponse> {
    let paging = Paging::parse(
        &ListQuery {
            count: query.count.clone(),
            ..ListQuery::default()
        },
        100,
    )?;
    let host = query
        .host
        .as_deref()
        .map(str::trim)
        .filter(|h| !h.is_empty());
    if host.is_some_and(|h| h.len() > 255 || h.chars().any(char::is_control)) {
        return Err(DashError::bad("That is not a host name."));
    }
    let records = state.api.recent_jobs(paging.count, host).await?;
    let mut hosts: BTreeSet<String> = state
        .api
        .processes()
        .await?
        .iter()
        .map(|p| p.hostname().to_owned())
        .collect();
    hosts.extend(records.iter().map(|r| r.host.clone()));
    if let Some(h) = host {
        hosts.insert(h.to_owned());
    }
    let (mut ctx, _) = view::context(&state, &admin, "recent", "Recent jobs").await?;
    let rows: Vec<RecentRow> = records
        .into_iter()
        .map(|r| RecentRow {
            finished_at: r.started_at + r.duration_ms / 1000.0,
            record: r,
        })
        .collect();
    ctx.insert("records", &rows);
    ctx.insert("hosts", &hosts);
    ctx.insert("host", &host);
    ctx.insert("count", &paging.count);
    Ok(html(
        StatusCode::OK,
        templates::render("sidekiq/recent.html", &ctx)?,
    ))
}
