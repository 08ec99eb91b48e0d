//! Reading an enrich request: the body (at most the size limit, refused
//! with 413 beyond it, even while streaming), as raw text or as JSON
//! `{"text": …}` when the Content-Type says JSON.

use actix_web::http::header;
use actix_web::{web, HttpRequest};
use futures::StreamExt;
use serde::Deserialize;

use super::error::EnrichError;

/// The text to analyze and the content type it came as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrichInput {
    pub text: String,
    pub content_type: String,
}

#[derive(Debug, Deserialize)]
struct JsonBody {
    text: String,
}

/// Reads and checks the body of `req`.
pub async fn read(
    req: &HttpRequest,
    mut payload: web::Payload,
    limit: usize,
) -> Result<EnrichInput, EnrichError> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(EnrichError::TooLarge { limit });
    }
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| EnrichError::Body(e.to_string()))?;
        if body.len() + chunk.len() > limit {
            return Err(EnrichError::TooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("text/raw");
    parse(content_type, &body)
}

/// Interprets a body of the given Content-Type.
pub fn parse(content_type: &str, body: &[u8]) -> Result<EnrichInput, EnrichError> {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let is_json = essence == "application/json" || essence.ends_with("+json");
    let text = if is_json {
        serde_json::from_slice::<JsonBody>(body)
            .map_err(|e| EnrichError::MalformedJson(e.to_string()))?
            .text
    } else {
        String::from_utf8(body.to_vec())
            .map_err(|e| EnrichError::NotUtf8(e.utf8_error().valid_up_to()))?
    };
    Ok(EnrichInput {
        text,
        content_type: if essence.is_empty() {
            "text/raw".to_owned()
        } else {
            essence
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_text_and_json() {
        let i = parse("text/raw", b"hello world").unwrap();
        assert_eq!(i.text, "hello world");
        assert_eq!(i.content_type, "text/raw");
        let i = parse("application/json; charset=utf-8", br#"{"text":"hi there"}"#).unwrap();
        assert_eq!(i.text, "hi there");
    }

    #[test]
    fn bad_bodies_say_why() {
        let e = parse("application/json", b"{\"text\": ").unwrap_err();
        assert!(
            matches!(e, EnrichError::MalformedJson(ref m) if m.contains("EOF")),
            "{e}"
        );
        let e = parse("application/json", br#"{"body":"x"}"#).unwrap_err();
        assert!(e.to_string().contains("missing field `text`"), "{e}");
        let e = parse("application/json", br#"{"text":5}"#).unwrap_err();
        assert!(e.to_string().contains("invalid type"), "{e}");
        assert!(matches!(
            parse("text/plain", b"ok \xff").unwrap_err(),
            EnrichError::NotUtf8(3)
        ));
    }
}
