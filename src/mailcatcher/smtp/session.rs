//! One SMTP dialogue, from greeting to QUIT: the command state machine
//! (HELO/EHLO, MAIL, RCPT, DATA, RSET, NOOP, VRFY, HELP, QUIT), the DATA
//! phase with dot-unstuffing and the size limit, and hand-off of each
//! finished message to the store. Command parsing is `smtp-proto`'s.

use std::net::SocketAddr;
use std::sync::Arc;

use crate::shutdown::Shutdown;
use smtp_proto::request::receiver::{DataReceiver, RequestReceiver};
use smtp_proto::Request;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::reply::{self, Reply};
use crate::mailcatcher::config::MailCatcherConfig;
use crate::mailcatcher::mime;
use crate::mailcatcher::store::{Envelope, MessageStore};

/// More recipients than this in one transaction get 452 (RFC 5321 asks
/// servers to take at least 100).
const MAX_RECIPIENTS: usize = 1_000;

/// After this many refused commands the client is told 421 and dropped,
/// so a client speaking another protocol cannot hold a session forever.
const MAX_ERRORS: u32 = 20;

/// What every session needs from the server.
pub(crate) struct SessionContext {
    pub store: MessageStore,
    pub config: Arc<MailCatcherConfig>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flow {
    Continue,
    Close,
}

enum Mode {
    Command,
    Data(DataReceiver),
}

struct Session {
    ctx: Arc<SessionContext>,
    peer: SocketAddr,
    receiver: RequestReceiver,
    mode: Mode,
    helo: Option<String>,
    sender: Option<String>,
    recipients: Vec<String>,
    data: Vec<u8>,
    /// Set when DATA ran past the size limit: the rest is read and dropped.
    oversized: bool,
    errors: u32,
}

/// Runs one dialogue on `stream` until QUIT, the client hangs up, the
/// idle timeout, too many errors, or `shutdown` (which answers 421).
pub(crate) async fn run<S>(
    mut stream: S,
    peer: SocketAddr,
    ctx: Arc<SessionContext>,
    shutdown: Shutdown,
) -> std::io::Result<()>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let idle = ctx.config.idle_timeout;
    let mut session = Session::new(ctx, peer);
    let mut out = Vec::new();
    Reply::greeting(&session.ctx.config.hostname).write_to(&mut out);
    stream.write_all(&out).await?;
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let read = tokio::select! {
            _ = shutdown.wait() => {
                return say_and_close(&mut stream, &reply::SHUTTING_DOWN).await;
            }
            read = tokio::time::timeout(idle, stream.read(&mut buf)) => read,
        };
        let n = match read {
            Err(_elapsed) => return say_and_close(&mut stream, &reply::IDLE).await,
            Ok(n) => n?,
        };
        if n == 0 {
            tracing::debug!(%peer, "smtp client hung up");
            return Ok(());
        }
        out.clear();
        let flow = session.feed(&buf[..n], &mut out).await;
        if !out.is_empty() {
            stream.write_all(&out).await?;
        }
        if flow == Flow::Close {
            let _ = stream.shutdown().await;
            return Ok(());
        }
    }
}

async fn say_and_close<S: AsyncWrite + Unpin>(stream: &mut S, r: &Reply) -> std::io::Result<()> {
    let mut out = Vec::new();
    r.write_to(&mut out);
    stream.write_all(&out).await?;
    let _ = stream.shutdown().await;
    Ok(())
}

impl Session {
    fn new(ctx: Arc<SessionContext>, peer: SocketAddr) -> Session {
        Session {
            ctx,
            peer,
            receiver: RequestReceiver::default(),
            mode: Mode::Command,
            helo: None,
            sender: None,
            recipients: Vec::new(),
            data: Vec::new(),
            oversized: false,
            errors: 0,
        }
    }

    fn max_size(&self) -> usize {
        self.ctx.config.max_message_size.get()
    }

    /// Handles every complete command (or the DATA bytes) in `chunk`,
    /// appending the replies to `out`. Pipelined commands are answered in
    /// one write.
    async fn feed(&mut self, chunk: &[u8], out: &mut Vec<u8>) -> Flow {
        let mut bytes = chunk.iter();
        loop {
            if let Mode::Data(rx) = &mut self.mode {
                let done = rx.ingest(&mut bytes, &mut self.data);
                if self.data.len() > self.max_size() {
                    self.oversized = true;
                }
                if self.oversized {
                    self.data.clear();
                }
                if !done {
                    return Flow::Continue;
                }
                self.mode = Mode::Command;
                self.finish_data(out).await;
                continue;
            }
            if bytes.as_slice().is_empty() {
                return Flow::Continue;
            }
            let reply = match self.receiver.ingest(&mut bytes).map(Request::into_owned) {
                Ok(request) => match self.command(request, out) {
                    Some(r) => r,
                    None => continue,
                },
                Err(smtp_proto::Error::NeedsMoreData { .. }) => return Flow::Continue,
                Err(e) => {
                    tracing::debug!(peer = %self.peer, error = ?e, "smtp syntax error");
                    Reply::from_parse_error(&e)
                }
            };
            reply.write_to(out);
            if reply == reply::BYE {
                return Flow::Close;
            }
            if reply.is_error() {
                self.errors += 1;
                if self.errors >= MAX_ERRORS {
                    reply::TOO_MANY_ERRORS.write_to(out);
                    return Flow::Close;
                }
            }
        }
    }

    /// The reply to one command, or `None` when it was written already.
    fn command(&mut self, request: Request<String>, out: &mut Vec<u8>) -> Option<Reply> {
        let config = Arc::clone(&self.ctx.config);
        Some(match request {
            Request::Ehlo { host } => {
                self.reset();
                self.helo = Some(host);
                reply::ehlo(&config.hostname, config.max_message_size.get(), out);
                return None;
            }
            Request::Helo { host } => {
                self.reset();
                let r = Reply::helo(&config.hostname, &host);
                self.helo = Some(host);
                r
            }
            Request::Mail { from } => {
                if self.helo.is_none() {
                    reply::HELO_FIRST
                } else if self.sender.is_some() {
                    reply::NESTED_MAIL
                } else if from.size > config.max_message_size.get() {
                    reply::TOO_BIG
                } else if from.flags & smtp_proto::MAIL_BODY_BINARYMIME != 0 {
                    reply::BINARY_MIME
                } else {
                    self.sender = Some(from.address);
                    reply::SENDER_OK
                }
            }
            Request::Rcpt { to } => {
                if self.sender.is_none() {
                    reply::NEED_MAIL
                } else if self.recipients.len() >= MAX_RECIPIENTS {
                    reply::TOO_MANY_RECIPIENTS
                } else {
                    self.recipients.push(to.address);
                    reply::RECIPIENT_OK
                }
            }
            Request::Data => {
                if self.sender.is_none() {
                    reply::NEED_MAIL
                } else if self.recipients.is_empty() {
                    reply::NEED_RCPT
                } else {
                    self.mode = Mode::Data(primed_data_receiver());
                    self.data.clear();
                    self.oversized = false;
                    reply::START_DATA
                }
            }
            Request::Rset => {
                self.reset();
                reply::OK
            }
            Request::Noop { .. } => reply::OK,
            Request::Vrfy { .. } => reply::CANNOT_VRFY,
            Request::Help { .. } => reply::HELP,
            Request::Quit => reply::BYE,
            other @ (Request::Lhlo { .. }
            | Request::Bdat { .. }
            | Request::Auth { .. }
            | Request::Expn { .. }
            | Request::Etrn { .. }
            | Request::Atrn { .. }
            | Request::Burl { .. }
            | Request::StartTls) => Reply::not_implemented(other.name()),
        })
    }

    /// The message is complete: wait the configured delay, parse it off
    /// the runtime, keep it, and answer.
    async fn finish_data(&mut self, out: &mut Vec<u8>) {
        let raw = std::mem::take(&mut self.data);
        let oversized = std::mem::replace(&mut self.oversized, false);
        let envelope = Envelope {
            helo: self.helo.clone().unwrap_or_default(),
            sender: self.sender.take().unwrap_or_default(),
            recipients: std::mem::take(&mut self.recipients),
        };
        if oversized {
            tracing::info!(peer = %self.peer, "smtp message over the size limit refused");
            reply::TOO_BIG.write_to(out);
            return;
        }
        let delay = self.ctx.config.smtp_delay;
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        match tokio::task::spawn_blocking(move || {
            let mail = mime::parse(&raw);
            (raw, mail)
        })
        .await
        {
            Ok((raw, mail)) => {
                let stored = self.ctx.store.insert(envelope, raw, mail);
                tracing::info!(
                    peer = %self.peer,
                    id = %stored.id,
                    sender = %stored.envelope.sender,
                    recipients = stored.envelope.recipients.len(),
                    size = stored.size(),
                    "mail caught"
                );
                Reply::queued(stored.id).write_to(out);
            }
            Err(e) => {
                tracing::error!(peer = %self.peer, error = %e, "parsing a message failed");
                reply::LOCAL_ERROR.write_to(out);
            }
        }
    }

    /// Forgets the transaction (not the HELO), as RSET and a new EHLO do.
    fn reset(&mut self) {
        self.sender = None;
        self.recipients.clear();
        self.data.clear();
        self.oversized = false;
    }
}

/// A DATA receiver that knows the DATA line ended with CRLF, so a lone
/// "." on the very first line ends an empty message.
fn primed_data_receiver() -> DataReceiver {
    let mut rx = DataReceiver::new();
    let mut scratch = Vec::new();
    rx.ingest(&mut b"\r\n".iter(), &mut scratch);
    rx
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::num::NonZeroUsize;
    use std::time::Duration;
    use tokio::io::{AsyncBufReadExt, BufReader};

    fn ctx(max_size: usize) -> Arc<SessionContext> {
        Arc::new(SessionContext {
            store: MessageStore::new(
                NonZeroUsize::new(100).unwrap(),
                NonZeroUsize::new(1 << 30).unwrap(),
            ),
            config: Arc::new(MailCatcherConfig {
                max_message_size: NonZeroUsize::new(max_size).unwrap(),
                idle_timeout: Duration::from_secs(5),
                ..MailCatcherConfig::default()
            }),
        })
    }

    /// Runs a session over an in-memory pipe, sends `input` in one go and
    /// returns every reply line.
    async fn dialogue(ctx: Arc<SessionContext>, input: &str) -> Vec<String> {
        let (client, server) = tokio::io::duplex(1 << 16);
        let peer: SocketAddr = "127.0.0.1:9".parse().unwrap();
        let task = tokio::spawn(run(server, peer, ctx, Shutdown::new()));
        let (rd, mut wr) = tokio::io::split(client);
        wr.write_all(input.as_bytes()).await.unwrap();
        let mut lines = BufReader::new(rd).lines();
        let mut replies = Vec::new();
        while let Some(line) = lines.next_line().await.unwrap() {
            replies.push(line);
        }
        task.await.unwrap().unwrap();
        replies
    }

    fn codes(replies: &[String]) -> Vec<&str> {
        replies
            .iter()
            .filter(|l| l.as_bytes().get(3) == Some(&b' '))
            .map(|l| &l[..3])
            .collect()
    }

    #[tokio::test]
    async fn a_whole_transaction_with_dot_unstuffing() {
        let ctx = ctx(1 << 20);
        let replies = dialogue(
            Arc::clone(&ctx),
            "EHLO me\r\nMAIL FROM:<a@x.org> BODY=8BITMIME\r\nRCPT TO:<b@y.org>\r\nDATA\r\n\
             Subject: t\r\n\r\n..leading dot\r\nlast\r\n.\r\nQUIT\r\n",
        )
        .await;
        assert_eq!(
            codes(&replies),
            ["220", "250", "250", "250", "354", "250", "221"]
        );
        let m = &ctx.store.list()[0];
        assert_eq!(m.raw, b"Subject: t\r\n\r\n.leading dot\r\nlast\r\n");
        assert_eq!(m.envelope.sender, "a@x.org");
        assert_eq!(m.envelope.recipients, ["b@y.org"]);
        assert_eq!(m.envelope.helo, "me");
        assert_eq!(m.mail.subject, "t");
    }

    #[tokio::test]
    async fn bad_sequences_get_503() {
        let replies = dialogue(
            ctx(1 << 20),
            "MAIL FROM:<a@x.org>\r\nHELO me\r\nRCPT TO:<b@y.org>\r\nDATA\r\n\
             MAIL FROM:<a@x.org>\r\nMAIL FROM:<a@x.org>\r\nDATA\r\nQUIT\r\n",
        )
        .await;
        assert_eq!(
            codes(&replies),
            ["220", "503", "250", "503", "503", "250", "503", "503", "221"]
        );
    }

    #[tokio::test]
    async fn syntax_errors_get_50x_and_the_session_goes_on() {
        let replies = dialogue(
            ctx(1 << 20),
            "FOO bar\r\nEHLO\r\nHELO me\r\nMAIL FROM:nobrackets\r\nMAIL TO:<a@b>\r\nNOOP\r\nRSET\r\nQUIT\r\n",
        )
        .await;
        assert_eq!(
            codes(&replies),
            ["220", "500", "501", "250", "501", "501", "250", "250", "221"]
        );
    }

    #[tokio::test]
    async fn size_limit_on_mail_from_and_on_data() {
        let ctx = ctx(64);
        let body = "x".repeat(100);
        let replies = dialogue(
            Arc::clone(&ctx),
            &format!(
                "EHLO me\r\nMAIL FROM:<a@x.org> SIZE=65\r\nMAIL FROM:<a@x.org>\r\nRCPT TO:<b@y.org>\r\n\
                 DATA\r\n{body}\r\n.\r\nMAIL FROM:<a@x.org>\r\nRCPT TO:<b@y.org>\r\nDATA\r\nsmall\r\n.\r\nQUIT\r\n"
            ),
        )
        .await;
        assert!(
            replies.iter().any(|l| l.starts_with("250-SIZE 64")),
            "{replies:?}"
        );
        assert_eq!(
            codes(&replies),
            ["220", "250", "552", "250", "250", "354", "552", "250", "250", "354", "250", "221"]
        );
        assert_eq!(ctx.store.len(), 1);
    }

    #[tokio::test]
    async fn empty_message_and_unimplemented_commands() {
        let ctx = ctx(1 << 20);
        let replies = dialogue(
            Arc::clone(&ctx),
            "HELO me\r\nSTARTTLS\r\nVRFY bob\r\nMAIL FROM:<>\r\nRCPT TO:<b@y.org>\r\nDATA\r\n.\r\nQUIT\r\n",
        )
        .await;
        assert_eq!(
            codes(&replies),
            ["220", "250", "502", "252", "250", "250", "354", "250", "221"]
        );
        assert_eq!(ctx.store.list()[0].raw, b"");
    }

    #[tokio::test]
    async fn too_many_errors_close_the_session() {
        let input = "garbage\r\n".repeat(MAX_ERRORS as usize + 5);
        let replies = dialogue(ctx(1 << 20), &input).await;
        assert_eq!(
            replies.last().unwrap(),
            "421 4.7.0 Too many errors, closing connection"
        );
        assert_eq!(replies.len(), 1 + MAX_ERRORS as usize + 1);
    }
}
