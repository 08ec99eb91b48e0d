//! What the apps' jobs need to reach: the web node's internal API (URL and
//! token), the SMTP server, the tagger (URL and key), timeouts, and the
//! tutorial's artificial highlight delay. Built from flags and environment
//! by the command line's `JobsArgs`.

use std::fmt;
use std::time::Duration;

use crate::domain::SourceIp;
use crate::secret::Secret;

/// `HOST:PORT` of an SMTP server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpAddress {
    host: String,
    port: u16,
}

impl SmtpAddress {
    pub fn new(host: impl Into<String>, port: u16) -> SmtpAddress {
        SmtpAddress {
            host: host.into(),
            port,
        }
    }

    pub fn host(&self) -> &str {
        &self.host
    }

    pub fn port(&self) -> u16 {
        self.port
    }
}

impl std::str::FromStr for SmtpAddress {
    type Err = String;
    fn from_str(s: &str) -> Result<SmtpAddress, String> {
        let (host, port) = s
            .trim()
            .rsplit_once(':')
            .ok_or_else(|| format!("{s:?}: expected HOST:PORT, e.g. 127.0.0.1:1025"))?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() {
            return Err(format!("{s:?}: the host is missing"));
        }
        let port = port
            .parse::<u16>()
            .map_err(|_| format!("{s:?}: {port:?} is not a port number"))?;
        Ok(SmtpAddress::new(host, port))
    }
}

impl fmt::Display for SmtpAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct JobsConfig {
    /// Base URL of the web node, e.g. http://127.0.0.1:3000.
    pub web_url: url::Url,
    pub internal_token: Option<Secret>,
    pub smtp: SmtpAddress,
    /// The tagging endpoint, e.g. http://127.0.0.1:3001/enrich.
    pub tagger_url: url::Url,
    pub tagger_key: Option<Secret>,
    pub http_timeout: Duration,
    pub smtp_timeout: Duration,
    /// Sleep before highlighting (the tutorial's `sleep 10`).
    pub highlight_delay: Duration,
    /// Where the jobs' connections (web node, tagger, SMTP) start from: the
    /// worker's `--source-ip`; `None` lets the system pick.
    pub source_ip: Option<SourceIp>,
}

pub const DEFAULT_WEB_URL: &str = "http://127.0.0.1:3000";
pub const DEFAULT_SMTP: &str = "127.0.0.1:1025";
pub const DEFAULT_TAGGER_URL: &str = "http://127.0.0.1:3001/enrich";

impl Default for JobsConfig {
    fn default() -> Self {
        JobsConfig {
            web_url: parse_const_url(DEFAULT_WEB_URL),
            internal_token: None,
            smtp: SmtpAddress::new("127.0.0.1", 1025),
            tagger_url: parse_const_url(DEFAULT_TAGGER_URL),
            tagger_key: None,
            http_timeout: Duration::from_secs(10),
            smtp_timeout: Duration::from_secs(30),
            highlight_delay: Duration::ZERO,
            source_ip: None,
        }
    }
}

fn parse_const_url(s: &str) -> url::Url {
    // Only called on the constants above, which the test below parses.
    url::Url::parse(s).expect("a valid constant URL")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_smtp_addresses() {
        let c = JobsConfig::default();
        assert_eq!(c.web_url.as_str(), "http://127.0.0.1:3000/");
        assert_eq!(c.tagger_url.as_str(), DEFAULT_TAGGER_URL);
        assert_eq!(c.smtp.to_string(), DEFAULT_SMTP);
        let a: SmtpAddress = "mail.local:2525".parse().unwrap();
        assert_eq!((a.host(), a.port()), ("mail.local", 2525));
        let a: SmtpAddress = "[::1]:25".parse().unwrap();
        assert_eq!(a.to_string(), "[::1]:25");
        assert!("nohost".parse::<SmtpAddress>().is_err());
        assert!(":25".parse::<SmtpAddress>().is_err());
        assert!("h:x".parse::<SmtpAddress>().is_err());
    }
}
