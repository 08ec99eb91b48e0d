//! The Redis side of `kiqlab worker --source-ip`. redis-rs cannot bind the
//! local address of its connections, so a worker with its own address
//! connects to this relay, a listener on 127.0.0.1 in its own process, and
//! the relay carries each connection on to the server over a socket bound
//! to the source address. Redis sees the worker's address (`CLIENT LIST`
//! shows `addr=127.0.0.11:…`), as it would from a separate machine. The
//! bytes pass through untouched (AUTH, RESP); it lives as long as the store.

use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::task::{JoinHandle, JoinSet};
use tracing::Instrument;

#[derive(Debug)]
pub struct SourceRelay {
    listen: SocketAddr,
    accept: JoinHandle<()>,
}

impl SourceRelay {
    /// Listens on 127.0.0.1 (a free port) and relays to `host:port` from `source`.
    pub async fn start(source: IpAddr, host: String, port: u16) -> io::Result<SourceRelay> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let listen = listener.local_addr()?;
        let span =
            tracing::debug_span!("redis_relay", %source, upstream = %format!("{host}:{port}"));
        let accept = tokio::spawn(accept_loop(listener, source, host, port).instrument(span));
        Ok(SourceRelay { listen, accept })
    }

    /// Where the store's client connects instead of the server.
    pub fn listen_addr(&self) -> SocketAddr {
        self.listen
    }
}

impl Drop for SourceRelay {
    /// The relay ends with the store: its connections (in the accept task's
    /// set) end with it.
    fn drop(&mut self) {
        self.accept.abort();
    }
}

async fn accept_loop(listener: TcpListener, source: IpAddr, host: String, port: u16) {
    let mut conns = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((client, _)) => {
                    let host = host.clone();
                    conns.spawn(
                        async move {
                            if let Err(e) = relay(client, source, &host, port).await {
                                tracing::debug!(error = %e, "relayed Redis connection ended");
                            }
                        }
                        .in_current_span(),
                    );
                }
                Err(e) => {
                    tracing::warn!(error = %e, "the Redis relay cannot accept; retrying");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
            },
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
}

/// Opens a connection to the server from `source` and copies both ways.
async fn relay(mut client: TcpStream, source: IpAddr, host: &str, port: u16) -> io::Result<()> {
    let mut upstream = connect_from(source, host, port).await?;
    client.set_nodelay(true)?;
    upstream.set_nodelay(true)?;
    tokio::io::copy_bidirectional(&mut client, &mut upstream).await?;
    Ok(())
}

/// Why the server will not take connections from `source`, if it will not:
/// Redis in protected mode (no password set) accepts only 127.0.0.1 and
/// ::1, and answers anything else with `-DENIED …`. `PING` is harmless
/// before AUTH (`-NOAUTH` means the address is accepted).
pub async fn refusal(source: IpAddr, host: &str, port: u16) -> io::Result<Option<String>> {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let probe = async {
        let mut s = connect_from(source, host, port).await?;
        s.write_all(b"PING\r\n").await?;
        let mut line = String::new();
        BufReader::new(s).read_line(&mut line).await?;
        Ok::<_, io::Error>(line)
    };
    let line = tokio::time::timeout(std::time::Duration::from_secs(3), probe)
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "no answer to PING in 3s"))??;
    Ok(line.strip_prefix("-DENIED").map(|_| {
        "protected mode: no password is set, so only 127.0.0.1 and ::1 may connect".to_owned()
    }))
}

/// A TCP connection to `host:port` whose local address is `source`.
pub async fn connect_from(source: IpAddr, host: &str, port: u16) -> io::Result<TcpStream> {
    let mut last = io::Error::new(
        io::ErrorKind::AddrNotAvailable,
        format!("{host} has no address of the same family as {source}"),
    );
    for addr in tokio::net::lookup_host((host, port)).await? {
        if addr.is_ipv4() != source.is_ipv4() {
            continue;
        }
        let socket = if source.is_ipv4() {
            TcpSocket::new_v4()?
        } else {
            TcpSocket::new_v6()?
        };
        socket.bind(SocketAddr::new(source, 0))?;
        match socket.connect(addr).await {
            Ok(s) => return Ok(s),
            Err(e) => last = e,
        }
    }
    Err(last)
}
