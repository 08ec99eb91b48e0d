//! How request bodies are read: the size limits, the time a body may take,
//! and what a body that cannot be read gets back (a readable error page for
//! forms, JSON for the internal API).

use std::cell::Cell;
use std::pin::Pin;
use std::rc::Rc;
use std::time::Duration;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::{JsonPayloadError, PayloadError, UrlencodedError};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::web;
use actix_web::HttpMessage;
use futures::StreamExt;

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

/// How long a request body may take to arrive, from the moment its head was
/// read (the head itself has the server's `client_request_timeout`). A body
/// sent a byte at a time would otherwise hold a connection and a request
/// thread for as long as the sender likes.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(10);

/// Middleware: a body that is not all there within `BODY_TIMEOUT` ends the
/// request with 408 Request Timeout (a page, or JSON for the internal API)
/// and the connection is closed, whoever was reading it.
pub async fn body_deadline(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let timed_out = Rc::new(Cell::new(false));
    let flag = timed_out.clone();
    let deadline = tokio::time::Instant::now() + BODY_TIMEOUT;
    let inner = req.take_payload();
    type Stream = Pin<Box<dyn futures::Stream<Item = Result<web::Bytes, PayloadError>>>>;
    let stream: Stream = Box::pin(futures::stream::unfold(Some(inner), move |payload| {
        let flag = flag.clone();
        async move {
            let mut payload = payload?;
            match tokio::time::timeout_at(deadline, payload.next()).await {
                Ok(Some(item)) => Some((item, Some(payload))),
                Ok(None) => None,
                Err(_) => {
                    flag.set(true);
                    let e = std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        "the request body did not arrive in time",
                    );
                    Some((Err(PayloadError::Io(e)), None))
                }
            }
        }
    }));
    req.set_payload(Payload::from(stream));
    let internal = req.path().starts_with("/internal/");
    let resp = next.call(req).await?.map_into_boxed_body();
    if !timed_out.get() {
        return Ok(resp);
    }
    let secs = BODY_TIMEOUT.as_secs();
    tracing::warn!(path = %resp.request().path(), "a request body did not arrive within {secs} s; answered 408");
    let mut page = if internal {
        actix_web::HttpResponse::build(StatusCode::REQUEST_TIMEOUT).json(serde_json::json!({
            "error": format!("the request body did not arrive within {secs} s")
        }))
    } else {
        errors::render(
            StatusCode::REQUEST_TIMEOUT,
            &format!("The request's body did not arrive within {secs} seconds, so nothing was saved. Please send it again."),
        )
    };
    page.head_mut()
        .set_connection_type(actix_web::http::ConnectionType::Close);
    let (req, _) = resp.into_parts();
    Ok(ServiceResponse::new(req, page))
}
