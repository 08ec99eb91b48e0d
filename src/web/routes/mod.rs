//! The routes, mirroring the URLs: `/` (`index`), `/snippets`, `/fibtastic`,
//! `/blog` (`blog/`), `/playground`, `/timings`, `/internal` (the workers'
//! API) and `/static` (`assets`). `/mail` and `/tagger` are the embedded
//! services (`web::embedded`); `/sidekiq` belongs to the dashboard.

pub(crate) mod assets;
mod blog;
mod fibtastic;
mod index;
mod internal;
mod playground;
mod snippets;
mod timings;

use actix_web::{middleware, web, HttpResponse};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.configure(super::auth::configure)
        .configure(super::dashboard::configure);
    cfg.route("/", web::get().to(index::page))
        .route("/static/{file}", web::get().to(assets::serve))
        .route("/timings", web::get().to(timings::page))
        .service(
            web::scope("/snippets")
                .route("", web::get().to(snippets::index))
                .route("", web::post().to(snippets::create))
                .route("/new", web::get().to(snippets::new))
                .route("/{id}", web::get().to(snippets::show)),
        )
        .service(
            web::scope("/fibtastic")
                .route("", web::get().to(fibtastic::new))
                .route("", web::post().to(fibtastic::create))
                .route("/requests/{id}", web::get().to(fibtastic::show)),
        )
        .service(
            web::scope("/blog")
                .route("", web::get().to(blog::posts::index))
                .route("/posts", web::post().to(blog::posts::create))
                .route("/posts/new", web::get().to(blog::posts::new))
                .route("/posts/{id}", web::get().to(blog::posts::show))
                .route("/posts/{id}", web::post().to(blog::posts::update))
                .route("/posts/{id}/edit", web::get().to(blog::posts::edit))
                .route("/posts/{id}/delete", web::post().to(blog::posts::delete))
                .route("/tags/{name}", web::get().to(blog::tags::show)),
        )
        .service(
            web::scope("/playground")
                .route("", web::get().to(playground::page))
                .route("/{action}", web::post().to(playground::run)),
        )
        .service(
            web::scope("/internal")
                .wrap(middleware::from_fn(internal::require_token))
                .route("/snippets/{id}", web::get().to(internal::snippet))
                .route(
                    "/snippets/{id}/highlight",
                    web::put().to(internal::store_highlight),
                )
                .route("/posts/{id}", web::get().to(internal::post))
                .route(
                    "/posts/{id}/auto_tags",
                    web::put().to(internal::store_auto_tags),
                )
                .route("/fib/deliveries", web::post().to(internal::delivery)),
        );
}

/// A 303 to `to`, its time recorded for `/timings` under `app`/`mode`.
pub(crate) fn redirect_timed(
    to: &str,
    app: &'static str,
    mode: super::timing::Mode,
) -> HttpResponse {
    let mut resp = HttpResponse::SeeOther()
        .insert_header(("Location", to))
        .finish();
    resp.extensions_mut()
        .insert(super::timing::Timed { app, mode });
    resp
}

/// An HTML response with `status`.
pub(crate) fn html(status: actix_web::http::StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(body)
}
