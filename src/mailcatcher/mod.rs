//! The mail catcher (MailCatcher/Mailpit for the tutorials): an SMTP
//! server that keeps every message it is sent, and a web UI plus JSON API
//! in MailCatcher's shape to read them.
//!
//! # Layout
//!
//! - `config`: settings (`MailCatcherConfig`): delay, size limit, caps
//! - `smtp`: the accept loop; `smtp::session` is one SMTP dialogue
//! - `mime`: what a received message shows (subject, bodies, parts)
//! - `store`: the caught messages (in memory, capped by count and bytes)
//!   and their events
//! - `web`: the web UI, the JSON API and the live event stream, as an
//!   actix-web `configure` function the web node mounts at `/mail`
//!
//! # Use
//!
//! Every server takes a listener its caller has bound, so tests and the
//! web node can bind port 0:
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use kiqlab::mailcatcher::{web, MailCatcher, MailCatcherConfig};
//!
//! let smtp = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let catcher = MailCatcher::start(smtp, MailCatcherConfig::default())?;
//! println!("SMTP on {}", catcher.smtp_addr());
//!
//! // In the web node: mount the UI and API under /mail.
//! let mail_web = catcher.web()?;
//! let app = actix_web::App::new().service(
//!     actix_web::web::scope("/mail").configure(|cfg| mail_web.configure(cfg)),
//! );
//! # drop(app);
//!
//! // Or serve it alone (what `kiqlab mailcatcher` does):
//! let http = std::net::TcpListener::bind("127.0.0.1:0")?;
//! let server = web::serve(http, catcher.web()?)?;
//!
//! // Shutting the catcher down also ends the web UI's live streams.
//! catcher.shutdown().await;
//! server.stop().await;
//! # Ok(()) }
//! ```

pub mod config;
pub mod mime;
mod smtp;
pub mod store;
pub mod web;

use std::net::SocketAddr;
use std::sync::Arc;

use crate::shutdown::Shutdown;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tracing::Instrument;

pub use config::MailCatcherConfig;
pub use store::{MailEvent, MessageId, MessageStore, StoredMessage};
pub use web::MailWeb;

#[derive(Debug, thiserror::Error)]
pub enum MailCatcherError {
    #[error("cannot read the SMTP listener's address")]
    Listener(#[source] std::io::Error),
    #[error("the mail catcher's page templates do not compile")]
    Templates(#[source] tera::Error),
}

/// A running SMTP catcher. Dropping it without [`MailCatcher::shutdown`]
/// leaves the SMTP task running until the runtime ends.
pub struct MailCatcher {
    store: MessageStore,
    smtp_addr: SocketAddr,
    shutdown: Shutdown,
    smtp_task: JoinHandle<()>,
}

impl MailCatcher {
    /// Starts the SMTP server on `smtp_listener` with a new, empty store.
    pub fn start(
        smtp_listener: TcpListener,
        config: MailCatcherConfig,
    ) -> Result<MailCatcher, MailCatcherError> {
        let store = MessageStore::new(config.max_messages, config.max_store_bytes);
        MailCatcher::start_with_store(smtp_listener, config, store)
    }

    /// Starts the SMTP server on `smtp_listener`, keeping messages in `store`.
    pub fn start_with_store(
        smtp_listener: TcpListener,
        config: MailCatcherConfig,
        store: MessageStore,
    ) -> Result<MailCatcher, MailCatcherError> {
        let smtp_addr = smtp_listener
            .local_addr()
            .map_err(MailCatcherError::Listener)?;
        let shutdown = Shutdown::new();
        let ctx = Arc::new(smtp::session::SessionContext {
            store: store.clone(),
            config: Arc::new(config),
        });
        let smtp_task = tokio::spawn(
            smtp::accept_loop(smtp_listener, ctx, shutdown.clone())
                .instrument(tracing::info_span!("smtp_accept", addr = %smtp_addr)),
        );
        tracing::info!(addr = %smtp_addr, "mail catcher SMTP listening");
        Ok(MailCatcher {
            store,
            smtp_addr,
            shutdown,
            smtp_task,
        })
    }

    pub fn smtp_addr(&self) -> SocketAddr {
        self.smtp_addr
    }

    pub fn store(&self) -> &MessageStore {
        &self.store
    }

    /// The web UI and API over this catcher's store. Its live streams end
    /// when the catcher shuts down.
    pub fn web(&self) -> Result<MailWeb, MailCatcherError> {
        MailWeb::new(self.store.clone(), self.shutdown.child()).map_err(MailCatcherError::Templates)
    }

    /// Stops accepting, tells connected clients 421, and waits for them.
    pub async fn shutdown(self) {
        self.shutdown.trigger();
        if let Err(e) = self.smtp_task.await {
            tracing::error!(error = %e, "mail catcher SMTP task failed");
        }
    }
}
