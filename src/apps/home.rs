//! `/`: an index of everything, with the latest activity of each app.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};

use super::blog::queries as posts;
use super::fibtastic::queries as fib;
use super::snippets::queries as snippets;
use crate::web::errors::PageError;
use crate::web::response::html;
use crate::web::state::AppState;
use crate::web::templates::{self, Part};

/// The home page's template (`templates/home/`).
pub const TEMPLATES: Part = Part::folder("home");

pub async fn page(state: web::Data<AppState>) -> Result<HttpResponse, PageError> {
    let (snips, reqs, posts) = state
        .db
        .call(|c| Ok((snippets::list(c, 5)?, fib::list(c, 5)?, posts::list(c, 5)?)))
        .await?;
    let mut ctx = templates::context("index", "Background jobs with Sidekiq");
    ctx.insert("snippets", &snips);
    ctx.insert("fib_requests", &reqs);
    ctx.insert("posts", &posts);
    ctx.insert("hostname", &state.hostname);
    ctx.insert("ip", &state.ip);
    Ok(html(
        StatusCode::OK,
        templates::render("home/index.html", &ctx)?,
    ))
}
