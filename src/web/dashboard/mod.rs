//! The dashboard at `/sidekiq`: Sidekiq::Web's tabs and actions (and
//! sidekiq-failures'), plus per-class metrics and the recent-jobs feed, on
//! either store, for signed-in admins only (`auth::require_admin`).
//!
//! # Layout
//!
//! - `params`: query and form inputs parsed into typed values
//! - `view`: the common page context (summary bar) and `JobView`
//! - `filters`: Tera filters (relative times, numbers, sizes)
//! - `home`: the Dashboard tab and `HEAD /`
//! - `stats`: `/stats` and `/stats/queues` JSON in Sidekiq's shape
//! - `busy`: processes, jobs in progress, quiet/stop
//! - `queues`: queues, a queue's jobs, clear and delete
//! - `sets`: Retries, Scheduled, Dead, Failures: lists, detail, and their
//!   actions (done by `engine::api`)
//! - `metrics`: per-class metrics and histograms
//! - `recent`: the recent-jobs feed by host
//! - `assets`: the embedded script, stylesheet and uPlot
//! - `error`: the one error enum, as readable pages

mod assets;
mod busy;
mod error;
pub mod filters;
mod home;
mod metrics;
mod params;
mod queues;
mod recent;
mod sets;
mod stats;
mod view;

use actix_web::{middleware, web, HttpResponse};

use super::auth::require_admin;

/// The dashboard's templates (`templates/sidekiq/`) and filters.
pub const TEMPLATES: crate::web::templates::Part = crate::web::templates::Part {
    folder: "sidekiq",
    filters: Some(filters::register),
};

/// A 303 back to a dashboard page after an action.
fn see_other(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header(("Location", to))
        .finish()
}

const SETS: &str = "/{set:retries|scheduled|morgue|failures}";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/sidekiq/assets/{file}", web::get().to(assets::serve))
        .service(
            web::scope("/sidekiq")
                .wrap(middleware::from_fn(require_admin))
                .route("", web::get().to(home::page))
                .route("/", web::get().to(home::page))
                .route("/", web::head().to(home::head))
                .route("/stats", web::get().to(stats::stats))
                .route("/stats/queues", web::get().to(stats::queues))
                .route("/dashboard/stats", web::get().to(stats::old_stats))
                .route("/busy", web::get().to(busy::page))
                .route("/busy", web::post().to(busy::signal))
                .route("/queues", web::get().to(queues::index))
                .route("/queues/{name}", web::get().to(queues::show))
                .route("/queues/{name}", web::post().to(queues::update))
                .route("/queues/{name}/delete", web::post().to(queues::delete_job))
                .route("/metrics", web::get().to(metrics::index))
                .route("/metrics/{class}", web::get().to(metrics::class))
                .route("/recent", web::get().to(recent::page))
                .route(
                    "/filter/{set:retries|scheduled|morgue|failures}",
                    web::post().to(sets::filter),
                )
                .route(SETS, web::get().to(sets::index))
                .route(SETS, web::post().to(sets::bulk))
                .route(&format!("{SETS}/all/{{action}}"), web::post().to(sets::all))
                .route(&format!("{SETS}/{{key}}"), web::get().to(sets::show))
                .route(&format!("{SETS}/{{key}}"), web::post().to(sets::act)),
        );
}
