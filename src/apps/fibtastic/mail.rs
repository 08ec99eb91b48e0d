//! FibTastic's mail: from fibmaster@example.com, subject "Your Fib Sequence!",
//! HTML and plain-text parts, sent with lettre over plain SMTP (the mail catcher).

use std::net::IpAddr;
use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::client::AsyncSmtpConnection;
use lettre::transport::smtp::extension::ClientId;
use lettre::Message;

use super::fibonacci;
use super::sequence_length::SequenceLength;
use crate::apps::config::SmtpAddress;
use crate::domain::EmailAddress;

pub const FROM: &str = "fibmaster@example.com";
pub const SUBJECT: &str = "Your Fib Sequence!";

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("cannot build the mail: {0}")]
    Build(#[from] lettre::error::Error),
    #[error("bad address: {0}")]
    Address(#[from] lettre::address::AddressError),
    #[error("building the mail stopped: {0}")]
    Task(#[from] tokio::task::JoinError),
    #[error("SMTP delivery to {server} failed: {source}")]
    Smtp {
        server: String,
        #[source]
        source: lettre::transport::smtp::Error,
    },
}

/// The message for `to`, with the first `len` numbers.
pub fn build(to: &EmailAddress, len: SequenceLength) -> Result<Message, MailError> {
    let numbers = fibonacci::joined(&fibonacci::sequence_with_work(len));
    let html = format!(
        "<!DOCTYPE html><html><body><h1>Here's those Fibonacci Numbers you requested:</h1>\
         <p>{numbers}</p></body></html>"
    );
    let plain = format!("Here's those Fibonacci Numbers you requested:\n\n{numbers}\n");
    let from: Mailbox = Mailbox::new(Some("FibTastic".into()), FROM.parse()?);
    Ok(Message::builder()
        .from(from)
        .to(Mailbox::new(None, to.to_lettre()?))
        .subject(SUBJECT)
        .multipart(MultiPart::alternative_plain_html(plain, html))?)
}

/// Builds (off the async runtime: 10,000 big numbers are real CPU work) and
/// sends the mail through the SMTP server at `smtp`, from `source` when the
/// worker has its own address (the transport builder cannot bind one, so the
/// connection is made as it would make it, plus the bind).
pub async fn send(
    smtp: &SmtpAddress,
    timeout: Duration,
    source: Option<IpAddr>,
    to: &EmailAddress,
    len: SequenceLength,
) -> Result<(), MailError> {
    let to_owned = to.clone();
    let message = tokio::task::spawn_blocking(move || build(&to_owned, len)).await??;
    let smtp_error = |source| MailError::Smtp {
        server: smtp.to_string(),
        source,
    };
    let mut conn = AsyncSmtpConnection::connect_tokio1(
        (smtp.host(), smtp.port()),
        Some(timeout),
        &ClientId::default(),
        None,
        source,
    )
    .await
    .map_err(smtp_error)?;
    let sent = conn.send(message.envelope(), &message.formatted()).await;
    // As lettre's own transport does after each mail (no pool).
    conn.abort().await;
    sent.map_err(smtp_error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multipart_with_both_parts() {
        let to = EmailAddress::parse("ada@example.com").unwrap();
        let m = build(&to, SequenceLength::new(10).unwrap()).unwrap();
        let raw = String::from_utf8(m.formatted()).unwrap();
        assert!(raw.contains("Subject: Your Fib Sequence!"));
        assert!(raw.contains("multipart/alternative"));
        assert!(raw.contains("text/plain"));
        assert!(raw.contains("text/html"));
        assert!(raw.contains("0, 1, 1, 2, 3, 5, 8, 13, 21, 34"));
    }
}
