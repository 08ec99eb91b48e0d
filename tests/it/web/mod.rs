//! The web node end to end: an `Application` on port 0 with a private
//! redis-server, real workers (launchers in this process, or `kiqlab demo`'s
//! child processes), a real SMTP sink and a real tagging API.

mod helpers;

mod blog;
mod commands;
mod dashboard;
mod embedded;
mod fibtastic;
mod internal_api;
mod pages;
mod playground;
mod snippets;

pub use helpers::spawn_app;
