//! The tagger's settings, parsed once at the edge: the API key (never
//! printed), the injected latency and the injected failure rate.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// Bodies larger than this get 413: 100 KiB, about OpenCalais' own
/// 100,000-character limit.
pub const DEFAULT_MAX_BODY: usize = 100 * 1024;

/// The token clients must send in `X-AG-Access-Token`.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("the API key must not be empty or contain whitespace or control characters")]
    BadApiKey,
    #[error("the failure rate must be a number from 0 to 1, not {0:?}")]
    BadFailRate(String),
}

impl ApiKey {
    pub fn parse(s: &str) -> Result<ApiKey, ConfigError> {
        if s.is_empty() || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(ConfigError::BadApiKey);
        }
        Ok(ApiKey(s.to_owned()))
    }

    /// Compares in time independent of where the first difference is.
    pub fn matches(&self, presented: &[u8]) -> bool {
        let expected = self.0.as_bytes();
        if presented.len() != expected.len() {
            return false;
        }
        expected
            .iter()
            .zip(presented)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

impl FromStr for ApiKey {
    type Err = ConfigError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ApiKey::parse(s)
    }
}

/// The share of requests answered 503, from 0 (never) to 1 (always).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct FailRate(f64);

impl FailRate {
    pub const NEVER: FailRate = FailRate(0.0);
    pub const ALWAYS: FailRate = FailRate(1.0);

    pub fn new(rate: f64) -> Result<FailRate, ConfigError> {
        if (0.0..=1.0).contains(&rate) {
            Ok(FailRate(rate))
        } else {
            Err(ConfigError::BadFailRate(rate.to_string()))
        }
    }

    pub fn get(self) -> f64 {
        self.0
    }

    /// Whether this request fails, given a uniform draw from [0, 1):
    /// 0 never fails and 1 always does.
    pub fn fails(self, draw: f64) -> bool {
        draw < self.0
    }
}

impl FromStr for FailRate {
    type Err = ConfigError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let rate: f64 = s
            .trim()
            .parse()
            .map_err(|_| ConfigError::BadFailRate(s.to_owned()))?;
        FailRate::new(rate).map_err(|_| ConfigError::BadFailRate(s.to_owned()))
    }
}

impl fmt::Display for FailRate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[derive(Debug, Clone)]
pub struct TaggerConfig {
    /// When set, requests without this token in `X-AG-Access-Token` get 401.
    pub api_key: Option<ApiKey>,
    /// Every accepted request waits this long first (a slow service).
    pub latency: Duration,
    /// This share of accepted requests gets 503 (a flaky service).
    pub fail_rate: FailRate,
    /// Larger bodies get 413.
    pub max_body: usize,
}

impl Default for TaggerConfig {
    fn default() -> Self {
        TaggerConfig {
            api_key: None,
            latency: Duration::ZERO,
            fail_rate: FailRate::NEVER,
            max_body: DEFAULT_MAX_BODY,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fail_rate_bounds() {
        assert!("0".parse::<FailRate>().is_ok());
        assert!("1".parse::<FailRate>().is_ok());
        assert!("0.25".parse::<FailRate>().is_ok());
        for bad in ["-0.1", "1.01", "NaN", "x", ""] {
            assert!(bad.parse::<FailRate>().is_err(), "{bad}");
        }
        assert!(!FailRate::NEVER.fails(0.0));
        assert!(FailRate::ALWAYS.fails(0.999_999));
        let half = FailRate::new(0.5).unwrap();
        assert!(half.fails(0.49) && !half.fails(0.5));
    }

    #[test]
    fn api_keys_are_checked_and_never_printed() {
        let k = ApiKey::parse("s3cret").unwrap();
        assert!(k.matches(b"s3cret"));
        assert!(!k.matches(b"s3creT"));
        assert!(!k.matches(b"s3cret "));
        assert!(!format!("{k:?}").contains("s3cret"));
        assert!(ApiKey::parse("").is_err());
        assert!(ApiKey::parse("a b").is_err());
    }
}
