//! Error pages: every handler's error enum maps its causes to a status code
//! and calls `page` here, which logs server-side causes with their chain and
//! renders a page a person can read (never the internals).

use actix_web::http::StatusCode;
use actix_web::HttpResponse;

use super::db::DbError;
use super::state::DispatchError;
use super::templates::{self, RenderError};
use crate::engine::api::StoreError;

/// The response for `err` with `status`.
pub fn page(status: StatusCode, err: &(dyn std::error::Error + 'static)) -> HttpResponse {
    if !status.is_server_error() {
        return render(status, &err.to_string());
    }
    tracing::error!(status = status.as_u16(), error = %chain(err), "request failed");
    let Some(down) = what_is_down(err) else {
        return render(
            status,
            "The server could not finish this request. The details are in its log.",
        );
    };
    // Out of reach for now: 503, and when to try again.
    let message = match down {
        Down::JobStore => {
            "The job store (Redis, or the embedded SQLite store) cannot be reached right now, \
             so this could not be done. Nothing saved is lost: the apps' records are in the web \
             node's own database, and the jobs saved with them wait in its outbox until the \
             store is back. Try again in a few seconds."
        }
        Down::Database => {
            "The web node's own database (web.db) is busy or cannot be written right now, so \
             this request was not saved. Nothing saved before is lost. Try again in a few \
             seconds."
        }
    };
    let mut resp = render(StatusCode::SERVICE_UNAVAILABLE, message);
    resp.headers_mut().insert(
        actix_web::http::header::RETRY_AFTER,
        actix_web::http::header::HeaderValue::from_static("5"),
    );
    resp
}

/// What an error says is out of reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Down {
    JobStore,
    Database,
}

/// Walks `err`'s causes for a store or database that is out of reach (the
/// apps' error enums wrap `DbError` transparently, so they are asked too).
fn what_is_down(err: &(dyn std::error::Error + 'static)) -> Option<Down> {
    let mut next = Some(err);
    while let Some(e) = next {
        if e.downcast_ref::<StoreError>()
            .is_some_and(StoreError::is_outage)
            || matches!(e.downcast_ref::<DispatchError>(),
                Some(DispatchError::Enqueue { error, .. }) if error.is_outage())
        {
            return Some(Down::JobStore);
        }
        let db = e
            .downcast_ref::<DbError>()
            .or(match e.downcast_ref::<SubmitError>() {
                Some(SubmitError::Db(d) | SubmitError::Page(PageError::Db(d))) => Some(d),
                _ => e.downcast_ref::<PageError>().and_then(|p| match p {
                    PageError::Db(d) => Some(d),
                    _ => None,
                }),
            });
        if db.is_some_and(DbError::is_outage) {
            return Some(Down::Database);
        }
        next = e.source();
    }
    None
}

/// A page for `status` with a message.
pub fn render(status: StatusCode, message: &str) -> HttpResponse {
    let title = match status.as_u16() {
        404 => "Not found",
        408 => "Too slow",
        413 => "Too large",
        401 | 403 => "Not allowed",
        422 => "Please check the form",
        400..=499 => "Bad request",
        _ => "Something went wrong",
    };
    let mut ctx = templates::context("", title);
    ctx.insert("status", &status.as_u16());
    ctx.insert("message", message);
    match templates::render("error.html", &ctx) {
        Ok(html) => HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .body(html),
        Err(e) => {
            tracing::error!(error = %e, "cannot render the error page");
            HttpResponse::build(status)
                .content_type("text/plain; charset=utf-8")
                .body(format!("{title}: {message}"))
        }
    }
}

/// "outer: inner: innermost".
pub fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut s = err.to_string();
    let mut source = err.source();
    while let Some(e) = source {
        s.push_str(": ");
        s.push_str(&e.to_string());
        source = e.source();
    }
    s
}

/// Implements `ResponseError` for a handler's error enum from a
/// `fn status(&self) -> StatusCode`.
macro_rules! page_error {
    ($t:ty) => {
        impl actix_web::ResponseError for $t {
            fn status_code(&self) -> actix_web::http::StatusCode {
                self.status()
            }
            fn error_response(&self) -> actix_web::HttpResponse {
                $crate::web::errors::page(self.status(), self)
            }
        }
    };
}
pub(crate) use page_error;

/// Why an app page could not be shown: a record that is not there (404, "no
/// such post"), the app database, or a template.
#[derive(Debug, thiserror::Error)]
pub enum PageError {
    #[error("no such {0}")]
    NotFound(&'static str),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Render(#[from] RenderError),
}

impl PageError {
    pub fn status(&self) -> StatusCode {
        match self {
            PageError::NotFound(_) => StatusCode::NOT_FOUND,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}
page_error!(PageError);

/// Why a form's work could not be done (invalid input re-renders the form
/// instead): too large (413), a record that is not there (404), the job
/// failing inline (502, the service behind it), or the server.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    #[error("{0}")]
    TooLarge(&'static str),
    #[error("no such {0}")]
    NotFound(&'static str),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Dispatch(#[from] DispatchError),
    #[error(transparent)]
    Page(#[from] PageError),
}

impl SubmitError {
    pub fn status(&self) -> StatusCode {
        match self {
            SubmitError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            SubmitError::NotFound(_) => StatusCode::NOT_FOUND,
            SubmitError::Dispatch(DispatchError::Inline { .. }) => StatusCode::BAD_GATEWAY,
            SubmitError::Page(p) => p.status(),
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}
page_error!(SubmitError);

/// The 404 page for URLs no route matches.
pub async fn not_found() -> HttpResponse {
    render(
        StatusCode::NOT_FOUND,
        "There is nothing at this address. The links at the top lead to every app.",
    )
}

/// Parses a path id; anything but a positive integer is "not found".
pub fn parse_id(s: &str) -> Option<i64> {
    s.parse::<i64>().ok().filter(|&i| i > 0)
}
