//! Wire compatibility with the real Sidekiq 6.4 (the host's Ruby, Debian 12),
//! 7.3 (a trixie chroot) and 8.1 (a sid chroot, with ActiveJob 7.2): every
//! check runs once per version against a fresh redis-server, and records its
//! result for docs/compatibility.md (`scripts/compat-matrix.sh` regenerates it).
//! Checks that fail today are `#[ignore = "issue 15: …"]`d per version.
//!
//! Layout:
//! - `record`: the `sidekiq_check!` macro and the result files
//! - `sidekiq`: the Ruby environments, tests/ruby scripts, the real `sidekiq` CLI
//! - `kiqlab`: `kiqlab enqueue`/`stats`/`web` and a signed-in dashboard browser
//! - `client`: Ruby's client pushes, `kiqlab worker` runs
//! - `enqueue`: `kiqlab enqueue` pushes, the real `sidekiq` runs
//! - `api`: Sidekiq's API reads what kiqlab wrote
//! - `big_numbers`: Ruby's big integers and floats kept exact through a kiqlab retry
//! - `sidekiq_web`: the real Sidekiq::Web's pages on kiqlab's data
//! - `sidekiq_web_actions`: its buttons, obeyed by a kiqlab worker
//! - `dashboard`: kiqlab's dashboard on a real Sidekiq's data
//! - `fleet`: one Ruby and one kiqlab process on one queue
//! - `activejob`: Rails' ActiveJob through both Sidekiq adapters
//! - `time_fields`: timestamp units kept and read
//! - `processes`: the process-cleanup lock

mod activejob;
mod api;
mod big_numbers;
mod client;
mod dashboard;
mod enqueue;
mod fleet;
mod kiqlab;
mod processes;
pub(crate) mod record;
mod sidekiq;
mod sidekiq_web;
mod sidekiq_web_actions;
mod time_fields;
