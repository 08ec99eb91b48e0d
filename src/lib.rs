//! kiqlab: background jobs with Sidekiq, reproduced for real.
//!
//! # Layout
//!
//! - `engine`: the Sidekiq-compatible job engine (payload, client, stores,
//!   worker runtime, read-side API)
//! - `autoscale`: the autoscaler (start a worker when jobs wait, let it go
//!   when idle) and the worker-seconds meter
//! - `jobs`: every job class the binary runs (built-ins and the apps' jobs)
//! - `work`: what the apps' jobs do (highlight, Fibonacci mail, tagging),
//!   shared by workers and the web node's inline path
//! - `domain`: validated values parsed at the edge (language, email, length…)
//! - `internal_api`: the contract between workers and the web node
//! - `web`: the web node (apps, playground, timings, internal API)
//! - `secret`: secrets that never print
//! - `shutdown`: the one stop signal every long-running task listens to
//! - `config`: where the store is, from flags and environment (`REDIS_URL`,
//!   `REDIS_PROVIDER`, `KIQLAB_STORE`)
//! - `bench`: the engine benchmark behind `kiqlab bench`
//! - `cli`: the subcommands of the `kiqlab` binary, one runner each
//! - `standalone`: the actix-web server the mail catcher and tagger use when run alone
//! - `telemetry`: tracing set-up
//! - `mailcatcher`: the SMTP mail catcher with its web UI and JSON API
//!   (MailCatcher's shape), mountable by the web node at `/mail`
//! - `tagger`: the tagging API (a local OpenCalais: YAKE keywords, entities,
//!   topics) with injectable latency and failures

pub mod autoscale;
pub mod bench;
pub mod cli;
pub mod config;
pub mod domain;
pub mod engine;
pub mod internal_api;
pub mod jobs;
pub mod mailcatcher;
pub mod secret;
pub mod shutdown;
pub mod standalone;
pub mod tagger;
pub mod telemetry;
pub mod web;
pub mod work;
