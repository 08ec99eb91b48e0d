//! `GET /sidekiq`: the Dashboard tab (realtime graph fed by `/stats`, the
//! history graph over 7/30/90/180 days, the store panel), and `HEAD
//! /sidekiq/`, a cheap health check.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::error::DashResult;
use super::params;
use super::view;
use crate::engine::clock::now_secs;
use crate::web::auth::Admin;
use crate::web::response::html;
use crate::web::state::AppState;
use crate::web::templates;

/// The Redis `INFO` fields Sidekiq::Web shows.
pub const REDIS_FIELDS: [&str; 5] = [
    "redis_version",
    "uptime_in_days",
    "connected_clients",
    "used_memory_human",
    "used_memory_peak_human",
];

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DaysQuery {
    days: Option<String>,
}

/// The store panel, from `Store::store_info`.
pub struct Panel {
    /// "redis" or "sqlite".
    pub store: &'static str,
    pub version: String,
    /// Redis' five fields, or every SQLite figure.
    pub fields: Vec<(String, String)>,
}

pub fn panel(info: Vec<(String, String)>) -> Panel {
    let value = |name: &str| info.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    match value("redis_version") {
        Some(version) => Panel {
            store: "redis",
            version,
            fields: REDIS_FIELDS
                .iter()
                .filter_map(|f| info.iter().find(|(k, _)| k == f).cloned())
                .collect(),
        },
        None => Panel {
            store: "sqlite",
            version: value("sqlite_version").unwrap_or_default(),
            fields: info,
        },
    }
}

pub async fn page(
    state: web::Data<AppState>,
    admin: Admin,
    query: web::Query<DaysQuery>,
) -> DashResult<HttpResponse> {
    let days = params::days(query.days.as_deref())?;
    let (mut ctx, _) = view::context(&state, &admin, "dashboard", "Dashboard").await?;
    let store = state.client.store();
    let mut history = store.history(now_secs(), days).await?;
    history.reverse();
    ctx.insert("days", &days);
    ctx.insert("history_json", &serde_json::to_string(&history)?);
    let panel = panel(store.store_info().await?);
    ctx.insert("store_kind", panel.store);
    ctx.insert("info", &panel.fields);
    Ok(html(
        actix_web::http::StatusCode::OK,
        templates::render("sidekiq/dashboard.html", &ctx)?,
    ))
}

/// `HEAD /sidekiq/`: 200 when the store answers a ping (Sidekiq reads the
/// default queue's length for the same purpose).
pub async fn head(state: web::Data<AppState>, _admin: Admin) -> DashResult<HttpResponse> {
    let _ = state.client.store().ping().await?;
    Ok(HttpResponse::Ok().finish())
}
