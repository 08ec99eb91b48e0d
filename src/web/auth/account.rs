//! Who is signed in, on every page: `provide_account` (an app middleware)
//! reads the request's session once and hands it to the layout's header
//! ("signed in as … · sign out", or "sign in"); `/account` tells a signed-in
//! user what they may open, and a new non-admin how an admin grants access
//! (`kiqlab admin grant EMAIL`), instead of a bare 403.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{web, HttpRequest, HttpResponse};

use super::{csrf, session};
use crate::web::state::AppState;
use crate::web::templates::{self, Account};

pub async fn provide_account(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let account = match req.app_data::<web::Data<AppState>>() {
        Some(state) if !req.path().starts_with("/static/") => {
            match session::load(req.request(), &state.db).await {
                Ok(Some(s)) => s.user.map(|u| Account {
                    name: u.username,
                    admin: u.is_admin,
                    csrf_token: csrf::mask(&s.csrf),
                }),
                Ok(None) => None,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot read the session for the header");
                    None
                }
            }
        }
        _ => None,
    };
    templates::with_account(account, async move {
        Ok(next.call(req).await?.map_into_boxed_body())
    })
    .await
}

/// `/account`: who you are and what you may open.
pub async fn page(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let user = match session::load(&req, &state.db).await {
        Ok(s) => s.and_then(|s| s.user),
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the session");
            None
        }
    };
    let mut ctx = templates::context("auth", "Your account");
    ctx.insert("user", &user.as_ref().map(|u| u.username.as_str()));
    ctx.insert("is_admin", &user.as_ref().is_some_and(|u| u.is_admin));
    match templates::render("auth/account.html", &ctx) {
        Ok(html) => HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .insert_header(("Cache-Control", "private, no-store"))
            .body(html),
        Err(e) => {
            tracing::error!(error = %e, "cannot render the account page");
            crate::web::errors::render(
                StatusCode::INTERNAL_SERVER_ERROR,
                "The page could not be shown.",
            )
        }
    }
}
