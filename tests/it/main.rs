//! The one integration-test binary: every module talks to real parts
//! (a `redis-server` per test, SQLite files, TCP servers on port 0).

// Test helpers may unwrap: a failure there is a failed test.
#![allow(clippy::unwrap_used)]

mod support;

mod sqlite_store;
