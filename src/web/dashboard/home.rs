//! `GET /sidekiq`: the Dashboard tab (realtime graph fed by `/stats`, the
//! history graph over 7/30/90/180 days, the store panel), and `HEAD
//! /sidekiq/`, a cheap health check.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::error::DashResult;
use super::params;
use super::view;
use crate::web::auth::Admin;
use crate::web::response::html;
use crate::web::state::AppState;
use crate::web::templates;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DaysQuery {
    days: Option<String>,
}

pub async fn page(
    state: web::Data<AppState>,
    admin: Admin,
    query: web::Query<DaysQuery>,
) -> DashResult<HttpResponse> {
    let days = params::days(query.days.as_deref())?;
    let (mut ctx, _) = view::context(&state, &admin, "dashboard", "Dashboard").await?;
    let history = state.api.history(days).await?;
    ctx.insert("days", &days);
    ctx.insert("history_json", &serde_json::to_string(&history)?);
    // The store panel: its kind picks the heading, `headline` the figures.
    let info = state.api.store_info().await?;
    ctx.insert("store_kind", info.kind.as_str());
    ctx.insert("info", &info.headline);
    // Jobs committed with their records that the relay has not sent yet.
    ctx.insert("outbox_backlog", &state.outbox.backlog().await?);
    Ok(html(
        actix_web::http::StatusCode::OK,
        templates::render("sidekiq/dashboard.html", &ctx)?,
    ))
}

/// `HEAD /sidekiq/`: 200 when the store answers a ping (Sidekiq reads the
/// default queue's length for the same purpose).
pub async fn head(state: web::Data<AppState>, _admin: Admin) -> DashResult<HttpResponse> {
    let _ = state.api.ping().await?;
    Ok(HttpResponse::Ok().finish())
}
