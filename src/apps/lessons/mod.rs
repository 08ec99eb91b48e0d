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

mod chart;
pub mod input;
pub mod load;
mod page;
mod runs;
pub mod stats;

use actix_web::{middleware, web};

pub use runs::LoadRuns;

use crate::web::templates::Part;

/// The lessons' templates (`templates/lessons/`).
pub const TEMPLATES: Part = Part::folder("lessons");

/// `/lessons/…`, behind the dashboard's gate: a lesson makes load, so only
/// an admin may start one. `LoadRuns` must be in the app data.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/lessons")
            .wrap(middleware::from_fn(crate::web::auth::require_admin))
            .route("/load", web::get().to(page::show))
            .route("/load", web::post().to(page::start))
            .route("/load/status", web::get().to(page::status)),
    );
}
