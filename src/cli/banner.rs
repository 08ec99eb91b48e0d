//! The banner a long-running command prints once it is ready.

use std::io::Write;

/// Writes `text` and a newline to stdout, and flushes it. A server keeps serving when
/// nobody reads its stdout any more (`kiqlab demo | head -3`, a script that
/// read the port and went away): the banner is for people, and the log goes
/// to stderr. Other write errors are returned.
pub fn print(text: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    match writeln!(out, "{text}").and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
            tracing::debug!("stdout is closed: the banner was not shown");
            Ok(())
        }
        r => r,
    }
}
