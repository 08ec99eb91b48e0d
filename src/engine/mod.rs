//! The job engine, split the way Sidekiq splits itself:
//!
//! - `job`: the payload (Sidekiq's JSON hash), parsing and validation
//! - `queue`: queue names, `-q NAME[,WEIGHT]`, fetch order
//! - `clock`: time as float epoch seconds, controllable in tests
//! - `client`: `perform_async`, `perform_in`, `perform_at`, `push_bulk`
//! - `store`: narrow traits per consumer, and their Redis and SQLite implementations
//! - `registry`: job classes by name, with their options and handlers
//! - `job_class`: a class's name, options and typed `Args`, shared by enqueue and handler
//! - `number_args`: integer and float arguments read exactly from the number's text
//! - `retry`: Sidekiq 6.4's retry policy and backoff
//! - `processor`: runs one job and decides its outcome
//! - `manager`: fetches, runs `concurrency` processors, acknowledges in batches
//! - `scheduler`: moves due scheduled and retry jobs to their queues
//! - `heartbeat`: process identity, heartbeats, signals, orphan recovery
//! - `launcher`: the worker's lifecycle: start, quiet, stop with a deadline
//! - `api`: the read and admin side the web node and `kiqlab stats` use
//! - `builtin`: the job classes every worker knows (DemoWorker, UrgentWorker, NoopWorker)
//! - `activejob`: Rails' ActiveJob wrappers: shown and run as the wrapped class, Rails' envelope

pub mod activejob;
pub mod api;
pub mod builtin;
pub mod client;
pub mod clock;
pub mod heartbeat;
pub mod job;
pub mod job_class;
pub mod launcher;
pub mod manager;
pub mod number_args;
pub mod processor;
pub mod queue;
pub mod registry;
pub mod retry;
pub mod scheduler;
pub mod store;
