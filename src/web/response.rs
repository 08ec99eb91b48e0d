//! What handlers answer with: an HTML page, a 303 whose time `/timings`
//! records, and a file embedded from `static/` (`/static/{file}` here; the
//! dashboard's `/sidekiq/assets/{file}` uses the same responder).

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};

use super::errors;
use super::timing::{Mode, Timed};

/// The policy every page of the web node gets unless it sets its own (the
/// dashboard's is stricter; a mail's HTML part is sandboxed): scripts only
/// from files of this origin, never inline, so a `<script>` that slipped
/// into a record could not run; forms post only here; framed only by this
/// origin (the mail UI frames a message's HTML part).
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
img-src 'self' data:; object-src 'none'; base-uri 'self'; frame-ancestors 'self'; form-action 'self'";

/// `CSP` and its companions, on every response that has none of its own.
pub fn security_headers() -> actix_web::middleware::DefaultHeaders {
    actix_web::middleware::DefaultHeaders::new()
        .add(("Content-Security-Policy", CSP))
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("X-Frame-Options", "SAMEORIGIN"))
        .add(("Referrer-Policy", "same-origin"))
}

/// An HTML response with `status`.
pub fn html(status: StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(body)
}

/// A 303 to `to`, its time recorded for `/timings` under `app`/`mode`.
pub fn redirect_timed(to: &str, app: &'static str, mode: Mode) -> HttpResponse {
    let mut resp = HttpResponse::SeeOther()
        .insert_header(("Location", to))
        .finish();
    resp.extensions_mut().insert(Timed { app, mode });
    resp
}

/// `/static/{file}`: the files directly in `static/` (the stylesheet).
pub async fn static_file(path: web::Path<String>) -> HttpResponse {
    embedded_file(&[""], &path).await
}

/// The file `name` from the first of `folders` (below `static/`) that has
/// it, cacheable for an hour; else the 404 page. A folder's README says where
/// its files come from and is not served; nor is anything in a subfolder.
pub async fn embedded_file(folders: &[&str], name: &str) -> HttpResponse {
    let found = (!name.contains('/') && name != "README")
        .then(|| {
            folders.iter().find_map(|folder| {
                let path = if folder.is_empty() {
                    name.to_owned()
                } else {
                    format!("{folder}/{name}")
                };
                crate::assets::static_file(&path).map(|body| (path, body))
            })
        })
        .flatten();
    match found {
        Some((path, body)) => HttpResponse::Ok()
            .content_type(crate::assets::content_type(&path))
            .insert_header(("Cache-Control", "public, max-age=3600"))
            .insert_header(("X-Content-Type-Options", "nosniff"))
            .body(body),
        None => errors::not_found().await,
    }
}
