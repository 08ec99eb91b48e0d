//! Tagger integration tests: the OpenCalais-shaped API over real HTTP,
//! its auth, limits and injected faults, and the `kiqlab tagger` binary.

mod api;
mod cli;
mod faults;
mod harness;
