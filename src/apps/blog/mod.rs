//! The blog with auto-tagging: posts with hand-edited tags; a worker asks the
//! tagger (OpenCalais-shaped) for more and stores them on the post.
//!
//! - `posts`: `/blog` and `/blog/posts/…` (list, create, show, edit, delete)
//! - `tags`: `/blog/tags/{name}`
//! - `queries`: the `posts` and `post_tags` tables
//! - `job`: `AutoTagWorker(post_id)`, retry 3
//! - `tagger_client`: the work, asking the tagger for tags
//! - `internal`: its part of the workers' internal API
//! - `post`, `tag_list`: the form's validated values

pub mod internal;
pub mod job;
pub mod post;
mod posts;
pub mod queries;
pub mod tag_list;
pub mod tagger_client;
mod tags;

use actix_web::web;

use crate::web::templates::Part;

pub use job::{AutoTagArgs, AutoTagWorker};
pub use post::{PostBody, PostTitle};
pub use tag_list::{TagList, TagName};

/// The app's templates (`templates/blog/`).
pub const TEMPLATES: Part = Part::folder("blog");

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/blog")
            .route("", web::get().to(posts::index))
            .route("/posts", web::post().to(posts::create))
            .route("/posts/new", web::get().to(posts::new))
            .route("/posts/{id}", web::get().to(posts::show))
            .route("/posts/{id}", web::post().to(posts::update))
            .route("/posts/{id}/edit", web::get().to(posts::edit))
            .route("/posts/{id}/delete", web::post().to(posts::delete))
            .route("/tags/{name}", web::get().to(tags::show)),
    );
}
