//! Why a mail catcher request failed, and the status code each cause gets.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};

use crate::mailcatcher::store::{BadMessageId, MessageId};

#[derive(Debug, thiserror::Error)]
pub(super) enum WebError {
    #[error(transparent)]
    BadId(#[from] BadMessageId),
    #[error("there is no message {0}")]
    NoMessage(MessageId),
    #[error("message {id} has no {format} part")]
    NoFormat { id: MessageId, format: &'static str },
    #[error("unknown format {0:?}: use .json, .html, .plain, .source or .eml")]
    UnknownFormat(String),
    #[error("message {id} has no part {cid:?}")]
    NoPart { id: MessageId, cid: String },
    #[error("unknown file {0:?}")]
    NoStaticFile(String),
    #[error("cannot render the page")]
    Template(#[from] tera::Error),
    #[error("cannot encode the response")]
    Json(#[from] serde_json::Error),
}

impl ResponseError for WebError {
    fn status_code(&self) -> StatusCode {
        match self {
            WebError::BadId(_) => StatusCode::BAD_REQUEST,
            WebError::NoMessage(_)
            | WebError::NoFormat { .. }
            | WebError::UnknownFormat(_)
            | WebError::NoPart { .. }
            | WebError::NoStaticFile(_) => StatusCode::NOT_FOUND,
            WebError::Template(_) | WebError::Json(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        if status.is_server_error() {
            tracing::error!(error = ?self, "mail catcher request failed");
        }
        HttpResponse::build(status)
            .content_type("text/plain; charset=utf-8")
            .body(format!("{status}: {self}\n"))
    }
}
