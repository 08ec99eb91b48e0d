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

/// "2s", "500ms", "1m" or a number of seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    if let Ok(n) = s.trim().parse::<f64>() {
        return if n.is_finite() && n >= 0.0 {
            Ok(Duration::from_secs_f64(n))
        } else {
            Err("a duration must be zero or more seconds".into())
        };
    }
    humantime::parse_duration(s.trim()).map_err(|e| format!("{e} (try 2s, 500ms or 1m)"))
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
        assert_eq!(parse_duration("1.5"), Ok(Duration::from_millis(1500)));
        assert!(parse_duration("-1").is_err());
    }
}
