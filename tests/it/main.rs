//! The one integration-test binary: every module talks to real parts
//! (a `redis-server` per test, SQLite files, TCP servers on port 0).

// Test code may unwrap: a panic is a test failure with its message.
#![allow(clippy::unwrap_used)]

mod architecture;
mod busy_live;
mod cli_input;
mod engine;
mod enqueue_stream;
mod faults;
mod fuzz_payload;
mod interop;
mod lab;
mod logs;
mod mailcatcher;
mod redis_tls;
mod sqlite_store;
mod support;
mod tagger;
mod web;
mod worker_identity;
