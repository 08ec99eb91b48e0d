//! The workers' client for the web node's internal API: bearer token,
//! timeouts, and errors that fail the job so it retries when the web node is
//! down. Each app adds its calls (`impl WebApi`) in its `internal` module.

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::apps::config::JobsConfig;
use crate::secret::Secret;

#[derive(Debug, thiserror::Error)]
pub enum WebApiError {
    #[error("no internal token: set KIQLAB_INTERNAL_TOKEN to the web node's token")]
    NoToken,
    #[error("bad internal API URL: {0}")]
    Url(#[from] url::ParseError),
    #[error("the web node at {url} cannot be reached: {source}")]
    Unreachable {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("{what} was not found on the web node")]
    NotFound { what: String },
    #[error(
        "the web node refused our internal token (401): is KIQLAB_INTERNAL_TOKEN the web node's?"
    )]
    Unauthorized,
    #[error("the web node answered {status} to {url}: {body}")]
    Status {
        url: String,
        status: u16,
        body: String,
    },
}

pub struct WebApi<'a> {
    http: &'a reqwest::Client,
    base: &'a url::Url,
    token: Option<&'a Secret>,
}

impl<'a> WebApi<'a> {
    pub fn new(http: &'a reqwest::Client, config: &'a JobsConfig) -> WebApi<'a> {
        WebApi {
            http,
            base: &config.web_url,
            token: config.internal_token.as_ref(),
        }
    }

    fn request(
        &self,
        method: reqwest::Method,
        path: &str,
    ) -> Result<(String, reqwest::RequestBuilder), WebApiError> {
        let token = self.token.ok_or(WebApiError::NoToken)?;
        let url = self.base.join(path)?;
        let req = self
            .http
            .request(method, url.clone())
            .bearer_auth(token.expose());
        Ok((url.to_string(), req))
    }

    /// GETs `path` (below the web node's URL) as JSON; `what` names it in errors.
    pub(crate) async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        what: &str,
    ) -> Result<T, WebApiError> {
        let (url, req) = self.request(reqwest::Method::GET, path)?;
        let resp = check(&url, what, req.send().await).await?;
        resp.json()
            .await
            .map_err(|source| WebApiError::Unreachable { url, source })
    }

    /// Sends `body` as JSON to `path` with `method`; `what` names it in errors.
    pub(crate) async fn send<B: Serialize>(
        &self,
        method: reqwest::Method,
        path: &str,
        what: &str,
        body: &B,
    ) -> Result<(), WebApiError> {
        let (url, req) = self.request(method, path)?;
        check(&url, what, req.json(body).send().await).await?;
        Ok(())
    }
}

async fn check(
    url: &str,
    what: &str,
    sent: Result<reqwest::Response, reqwest::Error>,
) -> Result<reqwest::Response, WebApiError> {
    let resp = sent.map_err(|source| WebApiError::Unreachable {
        url: url.to_owned(),
        source,
    })?;
    match resp.status().as_u16() {
        200..=299 => Ok(resp),
        404 => Err(WebApiError::NotFound {
            what: what.to_owned(),
        }),
        401 => Err(WebApiError::Unauthorized),
        status => {
            let body = resp.text().await.unwrap_or_default();
            Err(WebApiError::Status {
                url: url.to_owned(),
                status,
                body: body.chars().take(300).collect(),
            })
        }
    }
}
