//! The SMTP listener: accepts connections on an already-bound listener
//! and runs one session task per client until shutdown, then waits for
//! the sessions (which answer 421) to end.
//!
//! Layout: `session` (one dialogue), `reply` (the reply texts and codes).

mod reply;
pub(crate) mod session;

use std::sync::Arc;
use std::time::Duration;

use crate::shutdown::Shutdown;
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tracing::Instrument;

use session::SessionContext;

/// Accepts clients until `shutdown`, then joins every session.
pub(crate) async fn accept_loop(
    listener: TcpListener,
    ctx: Arc<SessionContext>,
    shutdown: Shutdown,
) {
    let mut sessions = JoinSet::new();
    loop {
        tokio::select! {
            _ = shutdown.wait() => break,
            Some(_) = sessions.join_next(), if !sessions.is_empty() => {}
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let _ = stream.set_nodelay(true);
                    let span = tracing::info_span!("smtp_session", %peer);
                    let (ctx, stop) = (Arc::clone(&ctx), shutdown.clone());
                    sessions.spawn(
                        async move {
                            if let Err(e) = session::run(stream, peer, ctx, stop).await {
                                tracing::debug!(error = %e, "smtp session ended with an I/O error");
                            }
                        }
                        .instrument(span),
                    );
                }
                Err(e) => {
                    // Out of file descriptors and the like: back off a
                    // little instead of spinning on the error.
                    tracing::warn!(error = %e, "smtp accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
        }
    }
    drop(listener);
    while sessions.join_next().await.is_some() {}
}
