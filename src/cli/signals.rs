//! Waiting for Ctrl-C (SIGINT) or SIGTERM, for the long-running commands.

/// Completes on the first SIGINT or SIGTERM.
pub async fn shutdown() -> std::io::Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
    Ok(())
}
