//! `/static/{file}`: the stylesheet, embedded in the binary.

use actix_web::{web, HttpResponse};

use crate::web::errors;

/// A file embedded in the binary: name, content type, body.
pub type EmbeddedFile = (&'static str, &'static str, &'static str);

const FILES: [EmbeddedFile; 1] = [(
    "style.css",
    "text/css; charset=utf-8",
    include_str!("../../../static/style.css"),
)];

pub async fn serve(path: web::Path<String>) -> HttpResponse {
    respond(&FILES, &path).await
}

/// The file called `name` in `files` (cacheable for an hour), or the 404 page.
pub async fn respond(files: &[EmbeddedFile], name: &str) -> HttpResponse {
    match files.iter().find(|(n, _, _)| *n == name) {
        Some((_, ty, body)) => HttpResponse::Ok()
            .content_type(*ty)
            .insert_header(("Cache-Control", "public, max-age=3600"))
            .insert_header(("X-Content-Type-Options", "nosniff"))
            .body(*body),
        None => errors::not_found().await,
    }
}
