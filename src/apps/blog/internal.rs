//! The blog's part of the internal API: the worker loads a post
//! (`GET /internal/posts/{id}` → `PostRecord`) and stores the tagger's tags
//! (`PUT /internal/posts/{id}/auto_tags`, `AutoTagResult` → 204). The
//! records, the web node's handlers and the worker's calls, together.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use super::queries;
use super::tag_list::TagName;
use super::tagger_client::SuggestedTag;
use crate::apps::internal::{id, InternalError, WebApi, WebApiError};
use crate::apps::stamp::WorkerStamp;
use crate::web::state::AppState;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PostRecord {
    pub id: i64,
    pub title: String,
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AutoTagResult {
    pub tags: Vec<SuggestedTag>,
    pub by: WorkerStamp,
}

/// Registers the routes inside the `/internal` scope.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/posts/{id}", web::get().to(post))
        .route("/posts/{id}/auto_tags", web::put().to(store_auto_tags));
}

async fn post(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<web::Json<PostRecord>, InternalError> {
    let id = id(&path, "post")?;
    let p = state
        .db
        .call(move |c| queries::get(c, id))
        .await?
        .ok_or(InternalError::NotFound("post"))?;
    Ok(web::Json(PostRecord {
        id: p.id,
        title: p.title,
        body: p.body,
    }))
}

async fn store_auto_tags(
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Json<AutoTagResult>,
) -> Result<HttpResponse, InternalError> {
    let id = id(&path, "post")?;
    let r = body.into_inner();
    // Tags are parsed here too: the tagger is outside our control.
    let tags: Vec<(TagName, f64)> = r
        .tags
        .iter()
        .filter_map(|t| TagName::parse(&t.name).ok().map(|n| (n, t.score)))
        .collect();
    let found = state
        .db
        .call(move |c| queries::store_auto_tags(c, id, &tags, &r.by))
        .await?;
    if !found {
        return Err(InternalError::NotFound("post"));
    }
    Ok(HttpResponse::NoContent().finish())
}

/// The worker's calls.
impl WebApi<'_> {
    pub async fn post(&self, id: i64) -> Result<PostRecord, WebApiError> {
        self.get(&format!("internal/posts/{id}"), &format!("post {id}"))
            .await
    }

    pub async fn store_auto_tags(&self, id: i64, r: &AutoTagResult) -> Result<(), WebApiError> {
        let path = format!("internal/posts/{id}/auto_tags");
        self.send(reqwest::Method::PUT, &path, &format!("post {id}"), r)
            .await
    }
}
