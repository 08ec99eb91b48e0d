//! The dashboard's one error enum: bad input becomes a readable 4xx page,
//! store and template failures a 500 page (the cause chain goes to the log).

use actix_web::http::StatusCode;

use crate::engine::api::StoreError;
use crate::web::errors::page_error;
use crate::web::templates::RenderError;

#[derive(Debug, thiserror::Error)]
pub enum DashError {
    #[error("{0}")]
    BadInput(String),
    #[error("{0}")]
    NotFound(String),
    #[error("the job store failed: {0}")]
    Store(#[from] StoreError),
    #[error("the web node's database failed: {0}")]
    Database(#[from] crate::web::db::DbError),
    #[error(transparent)]
    Render(#[from] RenderError),
    #[error("cannot encode the answer: {0}")]
    Json(#[from] serde_json::Error),
}

impl DashError {
    pub fn bad(msg: impl Into<String>) -> DashError {
        DashError::BadInput(msg.into())
    }

    pub fn not_found(msg: impl Into<String>) -> DashError {
        DashError::NotFound(msg.into())
    }

    fn status(&self) -> StatusCode {
        match self {
            DashError::BadInput(_) => StatusCode::BAD_REQUEST,
            DashError::NotFound(_) => StatusCode::NOT_FOUND,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}
page_error!(DashError);

pub type DashResult<T> = Result<T, DashError>;
