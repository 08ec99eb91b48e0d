//! kiqlab: background jobs with Sidekiq, reproduced for real.
//!
//! # Layout
//!
//! - `engine`: the Sidekiq-compatible job engine (payload, typed job classes,
//!   client, stores, worker runtime, built-in jobs)
//! - `apps`: the tutorials' apps, one folder each (pages, queries, job, work,
//!   internal-API contract), the playground, `/` and `/timings`
//! - `web`: the web node's own parts: state, templates, responses, timing,
//!   error pages, sign-in, the dashboard at `/sidekiq`, the web database
//! - `startup`: the composition root, `Application::build(Settings)`
//! - `domain`: validated values more than one part uses (email, password, a worker's source address)
//! - `assets`: the files under `templates/` and `static/`, embedded
//! - `autoscale`: the autoscaler (start a worker when jobs wait, let it go
//!   when idle) and the worker-seconds meter
//! - `mailcatcher`: the SMTP mail catcher with its web UI and JSON API
//!   (MailCatcher's shape), mountable by the web node at `/mail`
//! - `tagger`: the tagging API (a local OpenCalais: YAKE keywords, entities,
//!   topics) with injectable latency and failures
//! - `standalone`: the actix-web server the mail catcher and tagger use when run alone
//! - `bench`: the engine benchmark behind `kiqlab bench`
//! - `cli`: the subcommands of the `kiqlab` binary, one runner each
//! - `config`: where the store is, from flags and environment (`REDIS_URL`,
//!   `REDIS_PROVIDER`, `KIQLAB_STORE`)
//! - `secret`: secrets that never print
//! - `shutdown`: the one stop signal every long-running task listens to
//! - `telemetry`: tracing set-up

pub mod apps;
pub mod assets;
pub mod autoscale;
pub mod bench;
pub mod cli;
pub mod config;
pub mod domain;
pub mod engine;
pub mod mailcatcher;
pub mod secret;
pub mod shutdown;
pub mod standalone;
pub mod startup;
pub mod tagger;
pub mod telemetry;
pub mod web;
