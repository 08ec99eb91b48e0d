//! `/static/{file}`: the stylesheet, embedded in the binary.

use actix_web::{web, HttpResponse};

use crate::web::errors;

const FILES: [(&str, &str, &str); 1] = [(
    "style.css",
    "text/css; charset=utf-8",
    include_str!("../../../static/style.css"),
)];

pub async fn serve(path: web::Path<String>) -> HttpResponse {
    match FILES.iter().find(|(name, _, _)| *name == path.as_str()) {
        Some((_, ty, body)) => HttpResponse::Ok()
            .content_type(*ty)
            .insert_header(("Cache-Control", "public, max-age=3600"))
            .body(*body),
        None => errors::not_found().await,
    }
}
