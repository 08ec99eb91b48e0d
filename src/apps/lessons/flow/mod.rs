//! `/lessons/flow`: the web node, each queue and each worker drawn as boxes,
//! and jobs moving between them live (server-sent events from
//! `/lessons/flow/events`). Open to anyone who may see the apps: watching
//! makes no load beyond a few store reads a second, and only while watched.
//!
//! # Layout
//!
//! - `tracker`: snapshots of the store in, events out (grouped above a rate)
//! - `hub`: the one poller while anyone watches, and the event streams

mod hub;
pub mod tracker;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};

pub use hub::{FlowHub, TICK};

use crate::web::errors::PageError;
use crate::web::response::html;
use crate::web::state::AppState;
use crate::web::templates;

pub async fn page() -> Result<HttpResponse, PageError> {
    let mut ctx = templates::context("lessons", "Jobs flowing");
    ctx.insert("aggregate_above", &tracker::AGGREGATE_ABOVE);
    ctx.insert("tick_ms", &(TICK.as_millis() as u64));
    Ok(html(
        StatusCode::OK,
        templates::render("lessons/flow.html", &ctx)?,
    ))
}

pub async fn events(state: web::Data<AppState>, hub: web::Data<FlowHub>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header(("Cache-Control", "no-cache"))
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(hub.stream(&state.api))
}
