//! kiqlab: background jobs with Sidekiq, reproduced for real.
//!
//! # Layout
//!
//! - `engine`: the Sidekiq-compatible job engine (payload, client, stores,
//!   worker runtime, read-side API)
//! - `jobs`: every job class the binary runs (built-ins and the apps' jobs)
//! - `config`: where the store is, from flags and environment (`REDIS_URL`,
//!   `REDIS_PROVIDER`, `KIQLAB_STORE`)
//! - `bench`: the engine benchmark behind `kiqlab bench`
//! - `cli`: the subcommands of the `kiqlab` binary, one runner each
//! - `telemetry`: tracing set-up
//! - `mailcatcher`: the SMTP mail catcher with its web UI and JSON API
//!   (MailCatcher's shape), mountable by the web node at `/mail`
//! - `tagger`: the tagging API (a local OpenCalais: YAKE keywords, entities,
//!   topics) with injectable latency and failures

pub mod bench;
pub mod cli;
pub mod config;
pub mod engine;
pub mod jobs;
pub mod mailcatcher;
pub mod tagger;
pub mod telemetry;
