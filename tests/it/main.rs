//! The one integration-test binary: every module talks to real parts
//! (a `redis-server` per test, SQLite files, TCP servers on port 0).

mod support;
mod mailcatcher;
mod tagger;
