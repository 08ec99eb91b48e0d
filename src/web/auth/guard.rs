//! The dashboard's gate, as middleware on `/sidekiq`: anonymous visitors are
//! sent to sign in, signed-in non-admins get a 403 page, and every request
//! that is not GET/HEAD/OPTIONS must carry the session's CSRF token (403
//! without). Admitted requests carry an `Admin` in their extensions.

use std::pin::Pin;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage, HttpResponse, ResponseError};
use bytes::Bytes;

use super::{csrf, session};
use crate::secret::Secret;
use crate::web::db::users::User;
use crate::web::db::DbError;
use crate::web::errors::{self, page_error};
use crate::web::state::AppState;

/// The signed-in admin of an admitted request, and its CSRF secret.
#[derive(Debug, Clone)]
pub struct Admin {
    pub user: User,
    csrf: Secret,
}

impl Admin {
    /// A fresh masked token for a form on this page.
    pub fn csrf_token(&self) -> String {
        csrf::mask(&self.csrf)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum GateError {
    #[error("Your account ({0}) is not an admin, so the dashboard is closed to it. An admin can open it with `kiqlab admin grant {0}`.")]
    NotAdmin(String),
    #[error("This form has expired or did not come from this site (missing or wrong CSRF token). Reload the page and try again.")]
    Csrf,
    #[error("the request body could not be read")]
    Body,
    #[error("cannot read the session: {0}")]
    Db(#[from] DbError),
    #[error("the application state is missing")]
    NoState,
}

impl GateError {
    fn status(&self) -> StatusCode {
        match self {
            GateError::NotAdmin(_) | GateError::Csrf => StatusCode::FORBIDDEN,
            GateError::Body => StatusCode::BAD_REQUEST,
            GateError::Db(_) | GateError::NoState => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}
page_error!(GateError);

fn is_safe(m: &Method) -> bool {
    matches!(
        *m,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    )
}

/// Where to send an anonymous visitor: sign in, then back here.
fn sign_in_redirect(req: &ServiceRequest) -> HttpResponse {
    let back = if is_safe(req.method()) {
        req.uri()
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/sidekiq")
            .to_owned()
    } else {
        "/sidekiq".to_owned()
    };
    let next: String = url::form_urlencoded::byte_serialize(back.as_bytes()).collect();
    HttpResponse::SeeOther()
        .insert_header(("Location", format!("/sign_in?next={next}")))
        .insert_header(("Cache-Control", "private, no-store"))
        .finish()
}

pub async fn require_admin(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let refuse = |req: ServiceRequest, e: GateError| Ok(req.into_response(e.error_response()));
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return refuse(req, GateError::NoState);
    };
    let session = match session::load(req.request(), &state.db).await {
        Ok(s) => s,
        Err(e) => return refuse(req, e.into()),
    };
    let Some((user, secret)) = session.and_then(|s| s.user.map(|u| (u, s.csrf))) else {
        let resp = sign_in_redirect(&req);
        return Ok(req.into_response(resp));
    };
    if !user.is_admin {
        // A browser opening a page is shown how access is granted, not a 403.
        let wants_page = is_safe(req.method())
            && req
                .headers()
                .get(actix_web::http::header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|a| a.contains("text/html"));
        if wants_page {
            let resp = HttpResponse::SeeOther()
                .insert_header(("Location", "/account"))
                .insert_header(("Cache-Control", "private, no-store"))
                .finish();
            return Ok(req.into_response(resp));
        }
        return refuse(req, GateError::NotAdmin(user.username));
    }
    if !is_safe(req.method()) {
        let header = req
            .headers()
            .get(csrf::HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let token = match header {
            Some(t) => Some(t),
            None => {
                let body = match req.extract::<Bytes>().await {
                    Ok(b) => b,
                    Err(_) => return refuse(req, GateError::Body),
                };
                let token = csrf::from_form(&body);
                req.set_payload(replay(body));
                token
            }
        };
        if !token.is_some_and(|t| csrf::verify(&secret, &t)) {
            tracing::warn!(user = %user.username, path = %req.path(), "refused a request without a valid CSRF token");
            return refuse(req, GateError::Csrf);
        }
    }
    req.extensions_mut().insert(Admin { user, csrf: secret });
    let mut resp = next.call(req).await?.map_into_boxed_body();
    let h = resp.headers_mut();
    for (k, v) in [
        ("cache-control", "private, no-store"),
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        (
            "content-security-policy",
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'",
        ),
    ] {
        if let (Ok(k), Ok(v)) = (
            actix_web::http::header::HeaderName::try_from(k),
            actix_web::http::header::HeaderValue::from_str(v),
        ) {
            h.insert(k, v);
        }
    }
    Ok(resp)
}

/// A payload that yields `body` again, for the handler after the check.
fn replay(body: Bytes) -> Payload {
    type Stream = Pin<
        Box<dyn futures::Stream<Item = Result<Bytes, actix_web::error::PayloadError>> + 'static>,
    >;
    let s: Stream = Box::pin(futures::stream::once(async move { Ok(body) }));
    Payload::from(s)
}

/// The admin of a request the gate let through (a 500 if a route outside
/// the gate asks for one: a wiring mistake, not a visitor's).
impl actix_web::FromRequest for Admin {
    type Error = actix_web::Error;
    type Future = std::future::Ready<Result<Admin, actix_web::Error>>;

    fn from_request(req: &actix_web::HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(req.extensions().get::<Admin>().cloned().ok_or_else(|| {
            actix_web::error::InternalError::from_response(
                "no admin",
                errors::render(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "This page is not behind the sign-in gate.",
                ),
            )
            .into()
        }))
    }
}
