//! Waiting for the operator to stop a long-running subcommand: Ctrl-C
//! (SIGINT) or SIGTERM (systemd, `kill`, a supervisor).

/// Resolves on the first SIGINT or SIGTERM.
pub async fn stop_requested() -> anyhow::Result<()> {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        r = tokio::signal::ctrl_c() => r?,
        _ = term.recv() => {}
    }
    Ok(())
}
