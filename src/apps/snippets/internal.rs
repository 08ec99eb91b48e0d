//! Snippets' part of the internal API: the worker loads a snippet
//! (`GET /internal/snippets/{id}` → `SnippetRecord`) and stores its
//! highlighted HTML (`PUT /internal/snippets/{id}/highlight`,
//! `HighlightResult` → 204). The records, the web node's handlers and the
//! worker's calls, together.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use super::language::SnippetLanguage;
use super::queries;
use crate::apps::internal::{id, InternalError, WebApi, WebApiError};
use crate::apps::stamp::WorkerStamp;
use crate::web::state::AppState;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SnippetRecord {
    pub id: i64,
    pub language: SnippetLanguage,
    pub code: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HighlightResult {
    pub html: String,
    pub by: WorkerStamp,
}

/// Registers the routes inside the `/internal` scope.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/snippets/{id}", web::get().to(snippet))
        .route("/snippets/{id}/highlight", web::put().to(store_highlight));
}

async fn snippet(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<web::Json<SnippetRecord>, InternalError> {
    let id = id(&path, "snippet")?;
    let s = state
        .db
        .call(move |c| queries::get(c, id))
        .await?
        .ok_or(InternalError::NotFound("snippet"))?;
    Ok(web::Json(SnippetRecord {
        id: s.id,
        language: s.language,
        code: s.plain_code,
    }))
}

async fn store_highlight(
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Json<HighlightResult>,
) -> Result<HttpResponse, InternalError> {
    let id = id(&path, "snippet")?;
    let r = body.into_inner();
    super::highlighter::check_highlighted_html(&r.html).map_err(InternalError::Invalid)?;
    let found = state
        .db
        .call(move |c| queries::store_highlight(c, id, &r.html, &r.by))
        .await?;
    if !found {
        return Err(InternalError::NotFound("snippet"));
    }
    Ok(HttpResponse::NoContent().finish())
}

/// The worker's calls.
impl WebApi<'_> {
    pub async fn snippet(&self, id: i64) -> Result<SnippetRecord, WebApiError> {
        self.get(&format!("internal/snippets/{id}"), &format!("snippet {id}"))
            .await
    }

    pub async fn store_highlight(&self, id: i64, r: &HighlightResult) -> Result<(), WebApiError> {
        let path = format!("internal/snippets/{id}/highlight");
        self.send(reqwest::Method::PUT, &path, &format!("snippet {id}"), r)
            .await
    }
}
