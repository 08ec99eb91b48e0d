//! A small actix-web server on a listener the caller bound, for the services
//! that also run on their own (`kiqlab mailcatcher`, `kiqlab tagger`); in the
//! web node they are mounted instead.

use std::io;
use std::net::SocketAddr;

use actix_web::dev::ServerHandle;
use actix_web::{web, App, HttpServer};
use tokio::task::JoinHandle;

/// A running standalone server; [`Standalone::stop`] stops it.
pub struct Standalone {
    name: &'static str,
    addr: SocketAddr,
    handle: ServerHandle,
    task: JoinHandle<io::Result<()>>,
}

/// Serves what `configure` registers at the root of `listener`.
pub fn serve<F>(
    name: &'static str,
    listener: std::net::TcpListener,
    configure: F,
) -> io::Result<Standalone>
where
    F: Fn(&mut web::ServiceConfig) + Clone + Send + 'static,
{
    let addr = listener.local_addr()?;
    let server = HttpServer::new(move || App::new().configure(configure.clone()))
        .workers(2)
        .disable_signals()
        .shutdown_timeout(5)
        .listen(listener)?
        .run();
    let handle = server.handle();
    let task = tokio::spawn(server);
    tracing::info!(%addr, "{name} listening");
    Ok(Standalone {
        name,
        addr,
        handle,
        task,
    })
}

impl Standalone {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops gracefully (open requests get up to 5 seconds).
    pub async fn stop(self) {
        self.handle.stop(true).await;
        match self.task.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::error!(error = %e, "{} server failed", self.name),
            Err(e) => tracing::error!(error = %e, "{} server task failed", self.name),
        }
    }
}
