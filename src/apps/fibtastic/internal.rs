//! FibTastic's part of the internal API: after mailing, the worker reports
//! the delivery (`POST /internal/fib/deliveries`, `DeliveryReport` → 204), so
//! the thank-you page can say who sent it. The record, the web node's
//! handler and the worker's call, together.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use super::queries;
use crate::apps::internal::{InternalError, WebApi, WebApiError};
use crate::apps::stamp::WorkerStamp;
use crate::web::state::AppState;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeliveryReport {
    pub email: String,
    pub length: u32,
    pub by: WorkerStamp,
}

/// Registers the route inside the `/internal` scope.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/fib/deliveries", web::post().to(delivery));
}

async fn delivery(
    state: web::Data<AppState>,
    body: web::Json<DeliveryReport>,
) -> Result<HttpResponse, InternalError> {
    let r = body.into_inner();
    let found = state
        .db
        .call(move |c| queries::mark_delivered(c, &r.by))
        .await?;
    if !found {
        // A job enqueued by another client (a console): nothing to update.
        return Err(InternalError::NotFound("request"));
    }
    Ok(HttpResponse::NoContent().finish())
}

/// The worker's call.
impl WebApi<'_> {
    pub async fn report_delivery(&self, r: &DeliveryReport) -> Result<(), WebApiError> {
        self.send(
            reqwest::Method::POST,
            "internal/fib/deliveries",
            "delivery",
            r,
        )
        .await
    }
}
