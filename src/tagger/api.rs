//! `POST /enrich`: check the token, read the text, apply the injected
//! latency and failures, analyze off the runtime, answer OpenCalais JSON.

use actix_web::{web, HttpRequest, HttpResponse};

use super::analysis::analyze;
use super::calais::{self, RequestInfo};
use super::config::TaggerConfig;
use super::error::EnrichError;
use super::input;

/// The header OpenCalais reads the API key from.
pub const TOKEN_HEADER: &str = "X-AG-Access-Token";

pub(super) async fn enrich(
    req: HttpRequest,
    payload: web::Payload,
    config: web::Data<TaggerConfig>,
) -> Result<HttpResponse, EnrichError> {
    authorize(&req, &config)?;
    let input = input::read(&req, payload, config.max_body).await?;
    if !config.latency.is_zero() {
        tokio::time::sleep(config.latency).await;
    }
    if config.fail_rate.fails(rand::random::<f64>()) {
        return Err(EnrichError::Injected(config.fail_rate));
    }
    let info = RequestInfo::new(&input.content_type);
    let chars = input.text.chars().count();
    let body = tokio::task::spawn_blocking(move || {
        let analysis = analyze(&input.text);
        calais::response(&input.text, &analysis, &info)
    })
    .await
    .map_err(|e| {
        tracing::error!(error = %e, "tagger analysis task failed");
        EnrichError::Internal
    })?;
    tracing::debug!(chars, "text enriched");
    Ok(HttpResponse::Ok().json(body))
}

fn authorize(req: &HttpRequest, config: &TaggerConfig) -> Result<(), EnrichError> {
    let Some(key) = &config.api_key else {
        return Ok(());
    };
    match req.headers().get(TOKEN_HEADER) {
        None => Err(EnrichError::MissingToken),
        Some(token) if key.matches(token.as_bytes()) => Ok(()),
        Some(_) => Err(EnrichError::BadToken),
    }
}
