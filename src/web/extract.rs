//! How request bodies are read: the size limits, and what a body that cannot
//! be read gets back (a readable error page for forms, JSON for the internal
//! API).

use actix_web::error::{JsonPayloadError, UrlencodedError};
use actix_web::http::StatusCode;
use actix_web::web;

use super::errors;

/// Largest form body accepted (the snippet's 64 KiB of code, URL-encoded).
pub const MAX_FORM_BYTES: usize = 1024 * 1024;
/// Largest internal API body (highlighted HTML is several times the code).
pub const MAX_INTERNAL_BYTES: usize = 16 * 1024 * 1024;

pub fn form_config() -> web::FormConfig {
    web::FormConfig::default()
        .limit(MAX_FORM_BYTES)
        .error_handler(|err, _req| {
            let (status, message) = match &err {
                UrlencodedError::Overflow { .. } => (
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "The form is larger than 1 MiB; snippets are limited to 64 KiB of code.",
                ),
                UrlencodedError::ContentType => (
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "Send the form as application/x-www-form-urlencoded.",
                ),
                _ => (StatusCode::BAD_REQUEST, "The form could not be read."),
            };
            let resp = errors::render(status, message);
            actix_web::error::InternalError::from_response(err, resp).into()
        })
}

pub fn json_config() -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(MAX_INTERNAL_BYTES)
        .error_handler(|err, _req| {
            let status = match &err {
                JsonPayloadError::Overflow { .. }
                | JsonPayloadError::OverflowKnownLength { .. } => StatusCode::PAYLOAD_TOO_LARGE,
                _ => StatusCode::BAD_REQUEST,
            };
            let resp = actix_web::HttpResponse::build(status)
                .json(serde_json::json!({ "error": err.to_string() }));
            actix_web::error::InternalError::from_response(err, resp).into()
        })
}
