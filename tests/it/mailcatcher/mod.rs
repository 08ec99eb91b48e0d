//! Mail catcher integration tests: real SMTP clients (lettre, Python's
//! smtplib, raw TCP) against a catcher on port 0, and the web UI, JSON
//! API and event stream over real HTTP.

mod api;
mod cli;
mod clients;
mod dialogue;
mod events;
mod harness;
mod ui;
