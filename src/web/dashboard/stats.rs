//! The JSON endpoints in Sidekiq::Web's shape: `GET /sidekiq/stats` (the
//! summary, the store's figures, the server's UTC time) and `GET
//! /sidekiq/stats/queues` (queue ⇒ size, largest first).

use actix_web::{web, HttpResponse};
use serde_json::{json, Map, Value};

use super::error::DashResult;
use crate::web::auth::Admin;
use crate::web::state::AppState;

pub async fn stats(state: web::Data<AppState>, _admin: Admin) -> DashResult<HttpResponse> {
    let now = state.api.now();
    let s = state.api.stats().await?;
    let info = state.api.store_info().await?;
    let mut figures: Map<String, Value> = info
        .headline
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect();
    // Sidekiq 8 names the store; kiqlab may be on SQLite.
    figures.insert("store_name".into(), Value::from(info.kind.as_str()));
    figures.insert("store_version".into(), Value::from(info.version));
    let time = chrono::DateTime::from_timestamp(now as i64, 0).unwrap_or_default();
    let mut sidekiq = s.counters_json();
    sidekiq.insert("default_latency".into(), s.default_latency().into());
    let body = json!({
        "sidekiq": sidekiq,
        "redis": figures,
        "server_utc_time": time.format("%H:%M:%S UTC").to_string(),
    });
    Ok(HttpResponse::Ok().json(body))
}

pub async fn queues(state: web::Data<AppState>, _admin: Admin) -> DashResult<HttpResponse> {
    let mut qs = state.api.queues().await?;
    qs.sort_by(|a, b| b.size.cmp(&a.size).then_with(|| a.name.cmp(&b.name)));
    let body: Map<String, Value> = qs
        .into_iter()
        .map(|q| (q.name.to_string(), Value::from(q.size)))
        .collect();
    Ok(HttpResponse::Ok().json(Value::Object(body)))
}

/// Sidekiq's old address for the stats.
pub async fn old_stats() -> HttpResponse {
    HttpResponse::Found()
        .insert_header(("Location", "/sidekiq/stats"))
        .finish()
}
