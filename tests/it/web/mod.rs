//! The web node end to end, on both stores: an `Application` on port 0 over
//! a private redis-server or a fresh SQLite file, real workers (launchers in
//! this process, or `kiqlab demo`'s child processes), a real SMTP sink and a
//! real tagging API.

pub mod helpers;

mod blog;
mod commands;
mod dashboard;
mod embedded;
mod fibtastic;
mod flow;
mod healing;
mod internal_api;
mod job_state;
mod load;
mod outbox;
mod pages;
mod permanent;
mod playground;
mod pool;
mod sign_in_flood;
mod slow_body;
mod snippets;
mod submit_time;
