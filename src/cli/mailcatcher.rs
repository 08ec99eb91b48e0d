//! `kiqlab mailcatcher`: the SMTP mail catcher and its web UI, alone
//! (like `mailcatcher` the gem: SMTP on 1025, web on 1080).

use std::net::SocketAddr;
use std::num::NonZeroUsize;
use std::time::Duration;

use anyhow::Context;
use clap::Args as ClapArgs;

use super::signals;
use crate::mailcatcher::config::{
    DEFAULT_MAX_MESSAGES, DEFAULT_MAX_MESSAGE_SIZE, DEFAULT_MAX_STORE_BYTES,
};
use crate::mailcatcher::{web, MailCatcher, MailCatcherConfig};

#[derive(Debug, ClapArgs)]
pub struct Args {
    /// Address for the SMTP server; point the app's mailer (lettre, Action Mailer) here
    #[arg(
        long,
        value_name = "ADDR",
        default_value = "127.0.0.1:1025",
        env = "KIQLAB_SMTP_BIND"
    )]
    pub smtp_bind: SocketAddr,

    /// Address for the web UI and JSON API (GET /messages, /messages/ID.json, …)
    #[arg(
        long,
        value_name = "ADDR",
        default_value = "127.0.0.1:1080",
        env = "KIQLAB_MAIL_HTTP_BIND"
    )]
    pub http_bind: SocketAddr,

    /// Wait this long before accepting each message, to act like a slow
    /// third-party mail provider: 500ms, 1s (0 = answer at once)
    #[arg(
        long,
        value_name = "DURATION",
        default_value = "0",
        value_parser = super::jobs_args::parse_duration,
        env = "KIQLAB_SMTP_DELAY"
    )]
    pub smtp_delay: Duration,

    /// Refuse messages larger than this many bytes (552), advertised as SIZE in EHLO
    #[arg(long, value_name = "BYTES", default_value_t = NonZeroUsize::new(DEFAULT_MAX_MESSAGE_SIZE).unwrap_or(NonZeroUsize::MIN))]
    pub max_message_size: NonZeroUsize,

    /// Keep at most this many messages in memory; the oldest are dropped first
    #[arg(long, value_name = "N", default_value_t = NonZeroUsize::new(DEFAULT_MAX_MESSAGES).unwrap_or(NonZeroUsize::MIN))]
    pub max_messages: NonZeroUsize,

    /// Keep at most about this many bytes of mail in memory; the oldest go first
    #[arg(
        long,
        value_name = "BYTES",
        default_value_t = NonZeroUsize::new(DEFAULT_MAX_STORE_BYTES).unwrap_or(NonZeroUsize::MIN)
    )]
    pub max_store_bytes: NonZeroUsize,

    /// Name the server gives itself in its SMTP greeting [default: this host's name]
    #[arg(long, value_name = "NAME")]
    pub hostname: Option<String>,
}

impl Args {
    fn config(&self) -> MailCatcherConfig {
        let hostname = self
            .hostname
            .clone()
            .unwrap_or_else(|| gethostname::gethostname().to_string_lossy().into_owned());
        MailCatcherConfig {
            hostname,
            smtp_delay: self.smtp_delay,
            max_message_size: self.max_message_size,
            max_messages: self.max_messages,
            max_store_bytes: self.max_store_bytes,
            ..MailCatcherConfig::default()
        }
    }
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let smtp = tokio::net::TcpListener::bind(args.smtp_bind)
        .await
        .with_context(|| format!("cannot listen for SMTP on {}", args.smtp_bind))?;
    let http = std::net::TcpListener::bind(args.http_bind)
        .with_context(|| format!("cannot listen for HTTP on {}", args.http_bind))?;
    let catcher = MailCatcher::start(smtp, args.config())?;
    let server = web::serve(http, catcher.web()?).context("cannot start the web UI")?;
    super::banner::print(&format!(
        "kiqlab mail catcher: SMTP on smtp://{}, web UI on http://{}/ (Ctrl-C to stop)",
        catcher.smtp_addr(),
        server.addr()
    ))?;
    signals::shutdown().await?;
    tracing::info!("stopping the mail catcher");
    // The catcher first: that also ends the live streams of open browser
    // tabs, which the web server would otherwise wait for.
    catcher.shutdown().await;
    server.stop().await;
    Ok(())
}
