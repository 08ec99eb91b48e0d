//! CSRF tokens: each session has a random secret; every form carries it
//! masked with a fresh one-time pad (`base64(pad ‖ pad⊕secret)`, as Rails
//! and Sidekiq::Web do, so the token differs on every page and compressed
//! responses leak nothing about it). A state-changing request must send one
//! back in the `authenticity_token` field or the `X-CSRF-Token` header.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use subtle::ConstantTimeEq;

use crate::secret::Secret;

/// The form field holding the token.
pub const FIELD: &str = "authenticity_token";
/// The header that may hold it instead (scripts).
pub const HEADER: &str = "x-csrf-token";

/// A masked token for a page.
pub fn mask(secret: &Secret) -> String {
    let raw = secret.expose().as_bytes();
    let mut pad = vec![0u8; raw.len()];
    rand::rng().fill_bytes(&mut pad);
    let mut out = pad.clone();
    out.extend(raw.iter().zip(&pad).map(|(a, b)| a ^ b));
    URL_SAFE_NO_PAD.encode(out)
}

/// True when `token` is a masking of `secret`.
pub fn verify(secret: &Secret, token: &str) -> bool {
    let Ok(bytes) = URL_SAFE_NO_PAD.decode(token.trim()) else {
        return false;
    };
    let raw = secret.expose().as_bytes();
    if raw.is_empty() || bytes.len() != raw.len() * 2 {
        return false;
    }
    let (pad, masked) = bytes.split_at(raw.len());
    let unmasked: Vec<u8> = masked.iter().zip(pad).map(|(a, b)| a ^ b).collect();
    unmasked.ct_eq(raw).into()
}

/// The token in a URL-encoded form body, if any.
pub fn from_form(body: &[u8]) -> Option<String> {
    url::form_urlencoded::parse(body)
        .find(|(k, _)| k == FIELD)
        .map(|(_, v)| v.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masked_tokens_verify_and_differ() {
        let s = Secret::generate();
        let (a, b) = (mask(&s), mask(&s));
        assert_ne!(a, b);
        assert!(verify(&s, &a) && verify(&s, &b));
        assert!(!verify(&Secret::generate(), &a));
        assert!(!verify(&s, ""));
        assert!(!verify(&s, "not base64 !"));
        assert!(!verify(&s, &a[..a.len() - 2]));
        let body = format!("x=1&{FIELD}={a}");
        assert_eq!(from_form(body.as_bytes()), Some(a));
    }
}
