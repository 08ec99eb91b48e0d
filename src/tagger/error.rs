//! Why an enrich request failed, as an HTTP status and an Apigee-style
//! fault body (`{"fault":{"faultstring":…,"detail":{"errorcode":…}}}`),
//! the way the real OpenCalais gateway reports errors.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde_json::json;

use super::config::FailRate;

#[derive(Debug, thiserror::Error)]
pub enum EnrichError {
    #[error("missing X-AG-Access-Token header: this tagger requires an API key")]
    MissingToken,
    #[error("invalid X-AG-Access-Token")]
    BadToken,
    #[error("request body is larger than the {limit}-byte limit")]
    TooLarge { limit: usize },
    #[error("malformed JSON body (expected {{\"text\": \"...\"}}): {0}")]
    MalformedJson(String),
    #[error("the body is not UTF-8 text (invalid byte at offset {0})")]
    NotUtf8(usize),
    #[error("cannot read the request body: {0}")]
    Body(String),
    #[error("service temporarily unavailable (failure injected, --fail-rate {0})")]
    Injected(FailRate),
    #[error("the analysis failed")]
    Internal,
}

impl EnrichError {
    fn code(&self) -> &'static str {
        match self {
            EnrichError::MissingToken => "MissingAccessToken",
            EnrichError::BadToken => "InvalidAccessToken",
            EnrichError::TooLarge { .. } => "RequestTooLarge",
            EnrichError::MalformedJson(_) => "MalformedJson",
            EnrichError::NotUtf8(_) => "InvalidEncoding",
            EnrichError::Body(_) => "BadRequestBody",
            EnrichError::Injected(_) => "ServiceUnavailable",
            EnrichError::Internal => "InternalError",
        }
    }
}

impl ResponseError for EnrichError {
    fn status_code(&self) -> StatusCode {
        match self {
            EnrichError::MissingToken | EnrichError::BadToken => StatusCode::UNAUTHORIZED,
            EnrichError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            EnrichError::MalformedJson(_) | EnrichError::NotUtf8(_) | EnrichError::Body(_) => {
                StatusCode::BAD_REQUEST
            }
            EnrichError::Injected(_) => StatusCode::SERVICE_UNAVAILABLE,
            EnrichError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        if status.is_server_error() && !matches!(self, EnrichError::Injected(_)) {
            tracing::error!(error = %self, "tagger request failed");
        } else {
            tracing::debug!(error = %self, status = status.as_u16(), "tagger request refused");
        }
        let mut res = HttpResponse::build(status);
        if let EnrichError::Injected(_) = self {
            res.insert_header(("Retry-After", "1"));
        }
        res.json(json!({
            "fault": {
                "faultstring": self.to_string(),
                "detail": {"errorcode": self.code()},
            }
        }))
    }
}
