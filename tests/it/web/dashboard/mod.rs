//! The dashboard at `/sidekiq` over HTTP, on both stores: sign-in and its
//! refusals, every tab, every action (the store changes as it should).

pub mod harness;

mod auth;
mod big_numbers;
mod cli;
mod pages;
mod sets;
