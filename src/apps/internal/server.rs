//! The web node's side of `/internal/…`: the bearer-token gate (compared in
//! constant time) and the error enum every internal route answers with, as
//! JSON.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{web, HttpResponse, ResponseError};

use crate::web::db::DbError;
use crate::web::errors::{chain, parse_id};
use crate::web::state::AppState;

#[derive(Debug, thiserror::Error)]
pub enum InternalError {
    #[error("a valid bearer token is required")]
    Unauthorized,
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("refused: {0}")]
    Invalid(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl ResponseError for InternalError {
    fn status_code(&self) -> StatusCode {
        match self {
            InternalError::Unauthorized => StatusCode::UNAUTHORIZED,
            InternalError::NotFound(_) => StatusCode::NOT_FOUND,
            InternalError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
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

/// A record id from the path; anything else is "{what} not found".
pub fn id(path: &str, what: &'static str) -> Result<i64, InternalError> {
    parse_id(path).ok_or(InternalError::NotFound(what))
}
