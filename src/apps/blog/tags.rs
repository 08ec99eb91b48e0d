//! `/blog/tags/{name}`: the posts carrying a tag, manual or automatic.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};

use super::queries as posts;
use super::tag_list::TagName;
use crate::web::db::DbError;
use crate::web::errors::page_error;
use crate::web::response::html;
use crate::web::state::AppState;
use crate::web::templates::{self, RenderError};

#[derive(Debug, thiserror::Error)]
pub enum TagError {
    #[error("{0}")]
    BadName(crate::domain::Invalid),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Render(#[from] RenderError),
}

impl TagError {
    fn status(&self) -> StatusCode {
        match self {
            TagError::BadName(_) => StatusCode::NOT_FOUND,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}
page_error!(TagError);

pub async fn show(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, TagError> {
    let tag = TagName::parse(&path).map_err(TagError::BadName)?;
    let t = tag.clone();
    let list = state.db.call(move |c| posts::with_tag(c, &t)).await?;
    let mut ctx = templates::context("blog", &format!("Posts tagged {tag}"));
    ctx.insert("tag", tag.as_str());
    ctx.insert("posts", &list);
    Ok(html(
        StatusCode::OK,
        templates::render("blog/tag.html", &ctx)?,
    ))
}
