//! The web node's own parts: what the sample apps (the `apps` module) are
//! built on, plus sign-in and the dashboard; the composition root (`startup`)
//! puts them together.
//!
//! # Layout
//!
//! - `state`: what handlers share; enqueue and run-inline
//! - `db/`: the web node's database, its migrations, users and sessions
//! - `outbox/`: jobs committed with their records, and the relay to the store
//! - `templates`: Tera, composed from each part's templates; `render`
//! - `response`: HTML pages, timed redirects, embedded static files
//! - `extract`: body size limits and unreadable-body answers
//! - `timing`: the `Server-Timing` middleware and the `/timings` samples
//! - `mode`: sync or async, and a summary of response times
//! - `steps`: a request's steps (queue, load, work or enqueue, render) for `Server-Timing`
//! - `submits`: a submit's own time, carried through its redirect to the page it lands on
//! - `pool`: the apps' request pool (Puma's threads), `--threads`
//! - `errors`: error pages, and the apps' page and submit errors
//! - `admin`: the dashboard's first admin account
//! - `embedded`: the mail catcher UI (`/mail`) and tagger (`/tagger`) served in-process
//! - `auth/`: sign-in (sessions, CSRF, throttle) and the `/sidekiq` gate
//! - `dashboard/`: `/sidekiq`, Sidekiq::Web and sidekiq-failures' pages

pub mod admin;
pub mod auth;
pub mod dashboard;
pub mod db;
pub mod embedded;
pub mod errors;
pub mod extract;
pub mod mode;
pub mod outbox;
pub mod pool;
pub mod response;
pub mod state;
pub mod steps;
pub mod submits;
pub mod templates;
pub mod timing;

use actix_web::web;

pub use embedded::Embedded;

/// The web node's own routes: sign-in, the dashboard and `/static`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.configure(auth::configure)
        .configure(dashboard::configure)
        .route("/static/{file}", web::get().to(response::static_file))
        // Browsers ask for /favicon.ico on every page: the SVG icon.
        .route(
            "/favicon.ico",
            web::get().to(|| response::embedded_file(&[""], "favicon.svg")),
        );
}

/// The templates of the web node's own parts (the apps bring theirs).
pub const TEMPLATES: &[templates::Part] =
    &[templates::LAYOUT, auth::TEMPLATES, dashboard::TEMPLATES];
