//! `/internal/…`: the workers' JSON API (see `crate::internal_api`), behind a
//! bearer token compared in constant time. Answers are JSON, errors too.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{web, HttpResponse, ResponseError};

use crate::domain::TagName;
use crate::internal_api::{
    AutoTagResult, DeliveryReport, HighlightResult, PostRecord, SnippetRecord,
};
use crate::web::db::{fib, posts, snippets, DbError};
use crate::web::errors::{chain, parse_id};
use crate::web::state::AppState;

#[derive(Debug, thiserror::Error)]
pub enum InternalError {
    #[error("a valid bearer token is required")]
    Unauthorized,
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl ResponseError for InternalError {
    fn status_code(&self) -> StatusCode {
        match self {
            InternalError::Unauthorized => StatusCode::UNAUTHORIZED,
            InternalError::NotFound(_) => StatusCode::NOT_FOUND,
            InternalError::Db(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        if status.is_server_error() {
            tracing::error!(error = %chain(self), "internal API request failed");
        }
        let mut b = HttpResponse::build(status);
        if status == StatusCode::UNAUTHORIZED {
            b.insert_header(("WWW-Authenticate", "Bearer realm=\"kiqlab-internal\""));
        }
        b.json(serde_json::json!({ "error": self.to_string() }))
    }
}

/// Lets the request through only with `Authorization: Bearer <token>`.
pub async fn require_token(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let ok = match (
        req.app_data::<web::Data<AppState>>(),
        req.headers()
            .get("Authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer ")),
    ) {
        (Some(state), Some(token)) => state.internal_token.matches(token.trim()),
        _ => false,
    };
    if !ok {
        let resp = InternalError::Unauthorized.error_response();
        return Ok(req.into_response(resp));
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}

fn id(path: &str, what: &'static str) -> Result<i64, InternalError> {
    parse_id(path).ok_or(InternalError::NotFound(what))
}

pub async fn snippet(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<web::Json<SnippetRecord>, InternalError> {
    let id = id(&path, "snippet")?;
    let s = state
        .db
        .call(move |c| snippets::get(c, id))
        .await?
        .ok_or(InternalError::NotFound("snippet"))?;
    Ok(web::Json(SnippetRecord {
        id: s.id,
        language: s.language,
        code: s.plain_code,
    }))
}

pub async fn store_highlight(
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Json<HighlightResult>,
) -> Result<HttpResponse, InternalError> {
    let id = id(&path, "snippet")?;
    let r = body.into_inner();
    let found = state
        .db
        .call(move |c| snippets::store_highlight(c, id, &r.html, &r.by))
        .await?;
    if !found {
        return Err(InternalError::NotFound("snippet"));
    }
    Ok(HttpResponse::NoContent().finish())
}

pub async fn post(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<web::Json<PostRecord>, InternalError> {
    let id = id(&path, "post")?;
    let p = state
        .db
        .call(move |c| posts::get(c, id))
        .await?
        .ok_or(InternalError::NotFound("post"))?;
    Ok(web::Json(PostRecord {
        id: p.id,
        title: p.title,
        body: p.body,
    }))
}

pub async fn store_auto_tags(
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
        .call(move |c| posts::store_auto_tags(c, id, &tags, &r.by))
        .await?;
    if !found {
        return Err(InternalError::NotFound("post"));
    }
    Ok(HttpResponse::NoContent().finish())
}

pub async fn delivery(
    state: web::Data<AppState>,
    body: web::Json<DeliveryReport>,
) -> Result<HttpResponse, InternalError> {
    let r = body.into_inner();
    let found = state
        .db
        .call(move |c| fib::mark_delivered(c, &r.by))
        .await?;
    if !found {
        // A job enqueued by another client (a console): nothing to update.
        return Err(InternalError::NotFound("request"));
    }
    Ok(HttpResponse::NoContent().finish())
}
