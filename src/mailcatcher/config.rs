//! The mail catcher's settings, validated once where they come in (the CLI
//! or the web node) so the SMTP and web code never re-check them.

use std::num::NonZeroUsize;
use std::time::Duration;

/// Largest message the catcher accepts unless told otherwise: 40 MiB (FibTastic's
/// longest mail, 10,000 numbers, is about 22 MB),
/// advertised as `SIZE` in the EHLO reply.
pub const DEFAULT_MAX_MESSAGE_SIZE: usize = 40 * 1024 * 1024;

/// How many messages are kept unless told otherwise; the oldest go first.
pub const DEFAULT_MAX_MESSAGES: usize = 5_000;

/// How much memory the kept messages may take unless told otherwise: 512 MiB.
pub const DEFAULT_MAX_STORE_BYTES: usize = 512 * 1024 * 1024;

#[derive(Debug, Clone)]
pub struct MailCatcherConfig {
    /// The name the server gives itself in its greeting and EHLO reply.
    pub hostname: String,
    /// Wait this long before accepting a message (a slow provider).
    pub smtp_delay: Duration,
    /// Messages larger than this are refused with 552.
    pub max_message_size: NonZeroUsize,
    /// At most this many messages are kept; the oldest are dropped.
    pub max_messages: NonZeroUsize,
    /// The kept messages take at most about this many bytes; the oldest
    /// are dropped.
    pub max_store_bytes: NonZeroUsize,
    /// A client silent for this long is told 421 and disconnected.
    pub idle_timeout: Duration,
}

impl Default for MailCatcherConfig {
    fn default() -> Self {
        MailCatcherConfig {
            hostname: "kiqlab.mailcatcher".to_owned(),
            smtp_delay: Duration::ZERO,
            max_message_size: NonZeroUsize::new(DEFAULT_MAX_MESSAGE_SIZE)
                .unwrap_or(NonZeroUsize::MIN),
            max_messages: NonZeroUsize::new(DEFAULT_MAX_MESSAGES).unwrap_or(NonZeroUsize::MIN),
            max_store_bytes: NonZeroUsize::new(DEFAULT_MAX_STORE_BYTES)
                .unwrap_or(NonZeroUsize::MIN),
            // RFC 5321 §4.5.3.2.7: a server should wait at least 5 minutes.
            idle_timeout: Duration::from_secs(300),
        }
    }
}
