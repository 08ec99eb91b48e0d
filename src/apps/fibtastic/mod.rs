//! FibTastic ("Fibonacci as a Service"): an email address and a length; a
//! worker computes the sequence and mails it, and the thank-you page follows
//! the delivery.
//!
//! - `pages`: `/fibtastic`, `/fibtastic/requests/{id}`
//! - `queries`: the `fib_requests` table
//! - `job`: `SequenceEmailWorker(email, length)`
//! - `fibonacci`, `mail`: the work, the sequence and its mail over SMTP
//! - `internal`: its part of the workers' internal API
//! - `sequence_length`: the form's validated length

pub mod fibonacci;
pub mod internal;
pub mod job;
pub mod mail;
mod pages;
pub mod queries;
pub mod sequence_length;

use actix_web::web;

use crate::web::templates::Part;

pub use job::{SequenceEmailArgs, SequenceEmailWorker};
pub use sequence_length::SequenceLength;

/// The app's templates (`templates/fibtastic/`).
pub const TEMPLATES: Part = Part::folder("fibtastic");

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/fibtastic")
            .route("", web::get().to(pages::new))
            .route("", web::post().to(pages::create))
            .route("/requests/{id}", web::get().to(pages::show)),
    );
}
