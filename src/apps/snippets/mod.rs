//! Snippets (Railscast #366, "Sidekiq on separate servers"): paste code, pick
//! a language; a worker highlights it and the page says which worker did.
//!
//! - `pages`: `/snippets`, `/snippets/new`, `/snippets/{id}`
//! - `queries`: the `snippets` table
//! - `job`: `HighlightWorker(snippet_id)`
//! - `highlighter`: the work, syntect HTML
//! - `internal`: its part of the workers' internal API
//! - `language`, `code`: the form's validated values

pub mod code;
pub mod highlighter;
pub mod internal;
pub mod job;
pub mod language;
mod pages;
pub mod queries;

use actix_web::web;

use crate::web::templates::Part;

pub use code::SnippetCode;
pub use job::{HighlightArgs, HighlightWorker};
pub use language::SnippetLanguage;

/// The app's templates (`templates/snippets/`).
pub const TEMPLATES: Part = Part::folder("snippets");

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/snippets")
            .route("", web::get().to(pages::index))
            .route("", web::post().to(pages::create))
            .route("/new", web::get().to(pages::new))
            .route("/{id}", web::get().to(pages::show)),
    );
}
