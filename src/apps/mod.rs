//! The tutorials' sample apps, one folder each with its pages, queries, job,
//! work, internal-API contract and validated values; and what they share.
//!
//! # Layout
//!
//! - `snippets/`: Railscast #366's Snippets, `HighlightWorker`
//! - `fibtastic/`: FibTastic, `SequenceEmailWorker`
//! - `blog/`: the blog with auto-tagging, `AutoTagWorker`
//! - `playground/`: the console steps as buttons (the engine's `DemoWorker`, `UrgentWorker`)
//! - `home`: `/`, the latest of each app
//! - `timings`: `/timings`, each app's sync and async response times
//! - `tutorials`: `/tutorials`, the walkthroughs' steps as a checklist
//! - `lessons/`: `/lessons/load`, sync against async under load (and `kiqlab load`'s driver); `/lessons/flow`, jobs moving live
//! - `config`: what the apps' jobs reach (web node, SMTP, tagger) and timeouts
//! - `services`: what a running job shares (its configuration, one HTTP client)
//! - `internal/`: the workers' internal API: token gate, client, errors
//! - `job_state`: the job-state block of each record's page (queued … done)
//! - `stamp`: who did a job (`WorkerStamp`), as results and pages show it

pub mod blog;
pub mod config;
pub mod fibtastic;
mod home;
pub mod internal;
pub mod job_state;
pub mod lessons;
pub mod playground;
pub mod services;
pub mod snippets;
pub mod stamp;
mod timings;
pub mod tutorials;

use std::sync::Arc;

use actix_web::{middleware, web};

pub use config::JobsConfig;

use crate::engine::builtin;
use crate::engine::registry::Registry;
use crate::web::templates::Part;
use services::Services;

/// Every job class this binary runs: the engine's built-ins and the apps'
/// jobs. Workers, `kiqlab enqueue` and the web node (its client, and its
/// inline "sync" path) all use it.
pub fn registry(config: &JobsConfig) -> Registry {
    let mut r = Registry::new();
    builtin::register(&mut r);
    let services = Arc::new(Services::new(config.clone()));
    snippets::job::register(&mut r, services.clone());
    fibtastic::job::register(&mut r, services.clone());
    blog::job::register(&mut r, services);
    r
}

/// The apps' routes: `/`, `/timings`, each app's prefix, and `/internal`
/// (each app's part, behind the token gate).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(home::page))
        .route("/timings", web::get().to(timings::page))
        .route("/tutorials", web::get().to(tutorials::page))
        .configure(snippets::configure)
        .configure(fibtastic::configure)
        .configure(blog::configure)
        .configure(playground::configure)
        .configure(lessons::configure)
        .service(
            web::scope("/internal")
                .wrap(middleware::from_fn(internal::require_token))
                .configure(snippets::internal::routes)
                .configure(blog::internal::routes)
                .configure(fibtastic::internal::routes),
        );
}

/// The apps' pages, served by the request pool (`web::pool`): exact paths
/// and prefixes. The internal API is not among them: an inline job calls it.
pub const PAGES: &[&str] = &[
    "/",
    "/timings",
    "/snippets",
    "/fibtastic",
    "/blog",
    "/playground",
];

/// The apps' templates.
pub const TEMPLATES: &[Part] = &[
    home::TEMPLATES,
    timings::TEMPLATES,
    snippets::TEMPLATES,
    fibtastic::TEMPLATES,
    blog::TEMPLATES,
    playground::TEMPLATES,
    tutorials::TEMPLATES,
    lessons::TEMPLATES,
];
