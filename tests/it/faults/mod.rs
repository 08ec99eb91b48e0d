//! The fault suite: workers killed, stopped, starved of Redis, sharing a
//! SQLite file, fed poison, panicking. Each test asserts that nothing is lost:
//! every job enqueued ends processed (at least once) or in the dead set with a
//! reason, and the counters agree.

mod corrupt_store;
mod crash;
mod disk_full;
mod poison;
mod shared_sqlite;
