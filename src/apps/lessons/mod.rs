//! `/lessons`: the classroom lessons built on the apps.
//!
//! # Layout
//!
//! - `input`: what a run is asked for (app and its form, users, requests,
//!   time limit), parsed at the edge
//! - `load`: the load driver (users posting an app's form, sync or async,
//!   with a plain-page probe) that `kiqlab load` and the page share
//! - `stats`: percentiles, the per-mode summary, latency over time
//! - `chart`: the latency-over-time chart as SVG geometry
//! - `runs`: the page's one run at a time, in a background task
//! - `page`: `/lessons/load` and its JSON status (admins only)
//! - `flow/`: `/lessons/flow`, jobs moving from the web node through the
//!   queues to each worker, live (anyone)

mod chart;
pub mod flow;
pub mod input;
pub mod load;
mod page;
mod runs;
pub mod stats;

use actix_web::{middleware, web};

pub use flow::FlowHub;
pub use runs::LoadRuns;

use crate::web::templates::Part;

/// The lessons' templates (`templates/lessons/`).
pub const TEMPLATES: Part = Part::folder("lessons");

/// `/lessons/flow` for anyone (it only watches; registered first so the
/// gated scope does not take it); the rest of `/lessons/…` behind the
/// dashboard's gate: a load lesson makes load, so only an admin may start
/// one. `LoadRuns` and `FlowHub` must be in the app data.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/lessons/flow", web::get().to(flow::page))
        .route("/lessons/flow/events", web::get().to(flow::events));
    cfg.service(
        web::scope("/lessons")
            .wrap(middleware::from_fn(crate::web::auth::require_admin))
            .route("/load", web::get().to(page::show))
            .route("/load", web::post().to(page::start))
            .route("/load/status", web::get().to(page::status)),
    );
}
