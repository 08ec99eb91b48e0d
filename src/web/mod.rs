//! The web node: the three tutorial apps, the playground, the timings page and
//! the workers' internal API, on actix-web.
//!
//! # Layout
//!
//! - `startup`: `Application::build(settings, store, listener)`, `port`, `run_until_stopped`
//! - `settings`: the typed settings (secrets never print)
//! - `state`: what handlers share; enqueue and run-inline
//! - `db/`: the application data in SQLite, migrations, one file per table group
//! - `routes/`: one module per URL prefix
//! - `templates`: the embedded Tera templates and their filters
//! - `timing`: the `Server-Timing` middleware and the `/timings` samples
//! - `errors`: error pages
//! - `admin`: the dashboard's first admin account
//! - `embedded`: the mail catcher UI (`/mail`) and tagger (`/tagger`) served in-process
//! - `auth`: sign-in (sessions, CSRF, throttle) and the `/sidekiq` gate
//! - `dashboard`: `/sidekiq`, Sidekiq::Web and sidekiq-failures' pages

pub mod admin;
pub mod auth;
pub mod dashboard;
pub mod db;
pub mod embedded;
pub mod errors;
pub(crate) mod routes;
pub mod settings;
pub mod startup;
pub mod state;
pub mod templates;
pub mod timing;

pub use embedded::Embedded;
pub use settings::WebSettings;
pub use startup::Application;
