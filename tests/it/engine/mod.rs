//! The engine conformance suite: every test here runs unchanged against the
//! Redis store (a private redis-server) and the SQLite store (a fresh file).

pub mod fixtures;
mod harness;

mod api;
mod big_numbers;
mod client;
mod dashboard;
mod fetch;
mod lifecycle;
mod outcomes;
mod processes;
mod queues;
mod recovery;
mod redis_only;
mod retries;
mod sets;
mod time_units;
mod usage;

pub use harness::{spec as harness_spec_strict, Harness};

/// A strict queue spec.
pub fn harness_spec(list: &[&str]) -> kiqlab::engine::queue::QueueSpec {
    harness_spec_strict(list, true)
}

/// Declares `mod NAME { redis, sqlite }` tests calling `NAME(harness)`.
macro_rules! store_test {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn redis() {
                if let Some(h) = $crate::engine::Harness::redis().await {
                    super::$name(h).await;
                }
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::engine::Harness::sqlite().await).await;
            }
        }
    )*};
}
pub(crate) use store_test;
