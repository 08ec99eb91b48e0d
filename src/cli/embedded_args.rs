//! Flags for the services `kiqlab web` runs in-process unless told not to:
//! the mail catcher (SMTP listener, UI at `/mail`) and the tagger (at
//! `/tagger/enrich`), as the web node's settings.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use clap::Args;

use super::jobs_args::parse_duration;
use crate::mailcatcher::MailCatcherConfig;
use crate::secret::Secret;
use crate::startup::MailCatcherSettings;
use crate::tagger::config::{ApiKey, FailRate};
use crate::tagger::TaggerConfig;

#[derive(Debug, Clone, Args)]
pub struct EmbeddedArgs {
    /// Where the embedded mail catcher takes SMTP (workers' KIQLAB_SMTP points here)
    #[arg(
        long,
        value_name = "ADDR",
        default_value = "127.0.0.1:1025",
        env = "KIQLAB_SMTP_BIND"
    )]
    pub smtp_bind: SocketAddr,

    /// How long the mail catcher takes to accept a message (a slow provider): 0, 500ms, 1s…
    #[arg(long, value_name = "DELAY", default_value = "0s", value_parser = parse_duration, env = "KIQLAB_SMTP_DELAY")]
    pub smtp_delay: Duration,

    /// Do not run the mail catcher here (/mail then leads to --mail-ui-url)
    #[arg(long)]
    pub no_mailcatcher: bool,

    /// How long the embedded tagger takes to answer (a slow remote API)
    #[arg(long, value_name = "DELAY", default_value = "0s", value_parser = parse_duration, env = "KIQLAB_TAGGER_LATENCY")]
    pub tagger_latency: Duration,

    /// Share of tagger requests answered 503, from 0 to 1 (to watch retries)
    #[arg(
        long,
        value_name = "RATE",
        default_value = "0",
        env = "KIQLAB_TAGGER_FAIL_RATE"
    )]
    pub tagger_fail_rate: FailRate,

    /// Do not run the tagger here (workers use KIQLAB_TAGGER_URL)
    #[arg(long)]
    pub no_tagger: bool,
}

impl EmbeddedArgs {
    /// The mail catcher to run, unless `--no-mailcatcher`.
    pub fn mailcatcher(&self) -> Option<MailCatcherSettings> {
        (!self.no_mailcatcher).then(|| MailCatcherSettings {
            smtp_bind: self.smtp_bind,
            config: MailCatcherConfig {
                hostname: gethostname::gethostname().to_string_lossy().into_owned(),
                smtp_delay: self.smtp_delay,
                ..MailCatcherConfig::default()
            },
        })
    }

    /// The tagger to run, unless `--no-tagger`. It checks `tagger_key` when
    /// given (the key workers send as KIQLAB_TAGGER_KEY).
    pub fn tagger(&self, tagger_key: Option<&Secret>) -> anyhow::Result<Option<TaggerConfig>> {
        if self.no_tagger {
            return Ok(None);
        }
        let api_key = tagger_key
            .map(|k| ApiKey::parse(k.expose()))
            .transpose()
            .context("the tagger key is not usable as an API key")?;
        Ok(Some(TaggerConfig {
            api_key,
            latency: self.tagger_latency,
            fail_rate: self.tagger_fail_rate,
            ..TaggerConfig::default()
        }))
    }
}
