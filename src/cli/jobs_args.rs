//! Flags (and environment) for what the apps' jobs reach: `JobsArgs` (SMTP,
//! tagger, timeouts, highlight delay; shared by `worker`, `web` and `demo`)
//! and `WebApiArgs` (the web node's URL and internal token; workers only).

use std::time::Duration;

use clap::Args;

use crate::apps::config::{SmtpAddress, DEFAULT_SMTP, DEFAULT_TAGGER_URL, DEFAULT_WEB_URL};
use crate::apps::JobsConfig;
use crate::secret::Secret;

#[derive(Debug, Clone, Args)]
pub struct JobsArgs {
    /// SMTP server FibTastic mails go through (the mail catcher)
    #[arg(long, env = "KIQLAB_SMTP", value_name = "HOST:PORT", default_value = DEFAULT_SMTP)]
    pub smtp: SmtpAddress,

    /// Tagging API endpoint (OpenCalais-shaped) the blog's AutoTagWorker calls
    #[arg(long, env = "KIQLAB_TAGGER_URL", value_name = "URL", default_value = DEFAULT_TAGGER_URL)]
    pub tagger_url: url::Url,

    /// API key sent to the tagger as X-AG-Access-Token
    #[arg(
        long,
        env = "KIQLAB_TAGGER_KEY",
        value_name = "KEY",
        hide_env_values = true
    )]
    pub tagger_key: Option<Secret>,

    /// Timeout of HTTP calls (web node, tagger): 10s, 500ms…
    #[arg(long, env = "KIQLAB_HTTP_TIMEOUT", value_name = "DURATION", default_value = "10s", value_parser = parse_duration)]
    pub http_timeout: Duration,

    /// Timeout of SMTP delivery
    #[arg(long, env = "KIQLAB_SMTP_TIMEOUT", value_name = "DURATION", default_value = "30s", value_parser = parse_duration)]
    pub smtp_timeout: Duration,

    /// Sleep before highlighting a snippet (the tutorial's `sleep 10`): 2s, 10s…
    #[arg(long, env = "KIQLAB_HIGHLIGHT_DELAY", value_name = "DURATION", default_value = "0s", value_parser = parse_duration)]
    pub highlight_delay: Duration,
}

#[derive(Debug, Clone, Args)]
pub struct WebApiArgs {
    /// The web node whose internal API jobs load records from and store results to
    #[arg(long, env = "KIQLAB_WEB_URL", value_name = "URL", default_value = DEFAULT_WEB_URL)]
    pub web_url: url::Url,

    /// The web node's internal API token (required for the apps' jobs)
    #[arg(
        long,
        env = "KIQLAB_INTERNAL_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    pub internal_token: Option<Secret>,
}

/// Every delay, latency, timeout and interval flag of every command takes
/// a number with its unit: `500ms`, `2s`, `1m`, `1h30m`. A bare number is
/// refused with a hint (it was milliseconds for some flags and seconds for
/// others), except `0`, which is zero in any unit.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let t = s.trim();
    if let Ok(n) = t.parse::<f64>() {
        if n == 0.0 {
            return Ok(Duration::ZERO);
        }
        return Err(format!(
            "{t:?} has no unit: write it with one, as {t}s or {t}ms (500ms, 2s, 1m; a bare number is refused, except 0)"
        ));
    }
    humantime::parse_duration(t)
        .map_err(|e| format!("{t:?}: {e} (write a number and a unit: 500ms, 2s, 1m)"))
}

/// `parse_duration` as seconds, for the flags kept as `f64`.
pub fn parse_secs(s: &str) -> Result<f64, String> {
    parse_duration(s).map(|d| d.as_secs_f64())
}

/// A duration written so `parse_duration` reads it back exactly: `25s`,
/// `200ms`, `1500us` (for the flags a parent passes its children).
pub fn format_duration(d: Duration) -> String {
    if d.is_zero() {
        "0".to_owned()
    } else if d.subsec_nanos() == 0 {
        format!("{}s", d.as_secs())
    } else if d.subsec_nanos().is_multiple_of(1_000_000) {
        format!("{}ms", d.as_millis())
    } else {
        format!("{}us", d.as_micros().max(1))
    }
}

/// `format_duration` of a number of seconds.
pub fn format_secs(secs: f64) -> String {
    format_duration(Duration::from_secs_f64(secs.max(0.0)))
}

impl JobsArgs {
    /// The configuration, with the web node's address and token from `api`
    /// (or the defaults, for processes that only enqueue or run inline).
    pub fn config(&self, api: Option<&WebApiArgs>) -> JobsConfig {
        let mut c = JobsConfig {
            smtp: self.smtp.clone(),
            tagger_url: self.tagger_url.clone(),
            tagger_key: self.tagger_key.clone(),
            http_timeout: self.http_timeout,
            smtp_timeout: self.smtp_timeout,
            highlight_delay: self.highlight_delay,
            ..JobsConfig::default()
        };
        if let Some(api) = api {
            c.web_url = api.web_url.clone();
            c.internal_token = api.internal_token.clone();
        }
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct T {
        #[command(flatten)]
        jobs: JobsArgs,
        #[command(flatten)]
        api: WebApiArgs,
    }

    #[test]
    fn flags_build_the_config_and_hide_secrets() {
        let t = T::try_parse_from([
            "x",
            "--smtp",
            "mail:2525",
            "--highlight-delay",
            "2s",
            "--internal-token",
            "s3cret",
            "--web-url",
            "http://web:3000",
        ])
        .unwrap();
        let c = t.jobs.config(Some(&t.api));
        assert_eq!(c.smtp.to_string(), "mail:2525");
        assert_eq!(c.highlight_delay, Duration::from_secs(2));
        assert_eq!(c.web_url.as_str(), "http://web:3000/");
        assert!(c.internal_token.as_ref().unwrap().matches("s3cret"));
        assert!(!format!("{c:?}").contains("s3cret"));
        assert!(T::try_parse_from(["x", "--smtp", "nope"]).is_err());
        assert!(parse_duration("-1").is_err());
    }

    #[test]
    fn durations_need_a_unit_except_zero() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("1m"), Ok(Duration::from_secs(60)));
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        let e = parse_duration("100").unwrap_err();
        assert!(
            e.contains("no unit") && e.contains("100s") && e.contains("100ms"),
            "{e}"
        );
        assert!(parse_duration("1.5").unwrap_err().contains("no unit"));
        assert!(parse_duration("soon")
            .unwrap_err()
            .contains("500ms, 2s, 1m"));
        for d in [
            Duration::ZERO,
            Duration::from_secs(25),
            Duration::from_millis(200),
            Duration::from_millis(1500),
            Duration::from_micros(1250),
        ] {
            assert_eq!(parse_duration(&format_duration(d)), Ok(d), "{d:?}");
        }
        assert_eq!(format_secs(0.2), "200ms");
    }
}
