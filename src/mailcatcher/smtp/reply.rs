//! The SMTP replies the catcher sends: code, enhanced status code
//! (RFC 3463) and text, written with `smtp-proto`'s response writer.

use std::borrow::Cow;

use smtp_proto::{EhloResponse, Response};

/// One reply line. `esc` is `None` for the replies RFC 2034 leaves
/// without an enhanced code (the greeting, HELO, 354).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Reply {
    pub code: u16,
    pub esc: Option<[u8; 3]>,
    pub text: Cow<'static, str>,
}

const fn r(code: u16, esc: [u8; 3], text: &'static str) -> Reply {
    Reply {
        code,
        esc: Some(esc),
        text: Cow::Borrowed(text),
    }
}

pub(super) const OK: Reply = r(250, [2, 0, 0], "OK");
pub(super) const SENDER_OK: Reply = r(250, [2, 1, 0], "Sender OK");
pub(super) const RECIPIENT_OK: Reply = r(250, [2, 1, 5], "Recipient OK");
pub(super) const BYE: Reply = r(221, [2, 0, 0], "Bye");
pub(super) const HELP: Reply = r(
    214,
    [2, 0, 0],
    "Commands: EHLO HELO MAIL RCPT DATA RSET NOOP VRFY HELP QUIT",
);
pub(super) const CANNOT_VRFY: Reply =
    r(252, [2, 1, 5], "Cannot VRFY user, but will accept message");
pub(super) const START_DATA: Reply = Reply {
    code: 354,
    esc: None,
    text: Cow::Borrowed("Start mail input; end with <CRLF>.<CRLF>"),
};
pub(super) const HELO_FIRST: Reply = r(503, [5, 5, 1], "Send HELO or EHLO first");
pub(super) const NESTED_MAIL: Reply = r(503, [5, 5, 1], "Sender already specified");
pub(super) const NEED_MAIL: Reply = r(503, [5, 5, 1], "Need MAIL command first");
pub(super) const NEED_RCPT: Reply = r(503, [5, 5, 1], "Need RCPT command first");
pub(super) const TOO_MANY_RECIPIENTS: Reply = r(452, [4, 5, 3], "Too many recipients");
pub(super) const TOO_BIG: Reply = r(
    552,
    [5, 3, 4],
    "Message size exceeds fixed maximum message size",
);
pub(super) const BINARY_MIME: Reply = r(
    555,
    [5, 5, 4],
    "BODY=BINARYMIME is not supported (no CHUNKING)",
);
pub(super) const LOCAL_ERROR: Reply = r(451, [4, 3, 0], "Local error in processing");
pub(super) const TOO_MANY_ERRORS: Reply = r(421, [4, 7, 0], "Too many errors, closing connection");
pub(super) const IDLE: Reply = r(421, [4, 4, 2], "Idle timeout, closing connection");
pub(super) const SHUTTING_DOWN: Reply = r(421, [4, 3, 2], "Service shutting down");

impl Reply {
    pub fn queued(id: impl std::fmt::Display) -> Reply {
        Reply {
            code: 250,
            esc: Some([2, 0, 0]),
            text: Cow::Owned(format!("OK: queued as {id}")),
        }
    }

    pub fn greeting(hostname: &str) -> Reply {
        Reply {
            code: 220,
            esc: None,
            text: Cow::Owned(format!("{hostname} ESMTP kiqlab mail catcher")),
        }
    }

    pub fn helo(hostname: &str, client: &str) -> Reply {
        Reply {
            code: 250,
            esc: None,
            text: Cow::Owned(format!("{hostname} greets {client}")),
        }
    }

    pub fn not_implemented(command: &str) -> Reply {
        Reply {
            code: 502,
            esc: Some([5, 5, 1]),
            text: Cow::Owned(format!("{command} not implemented")),
        }
    }

    /// The reply to a line the parser refused.
    pub fn from_parse_error(e: &smtp_proto::Error) -> Reply {
        use smtp_proto::Error as E;
        let (code, esc, text): (u16, [u8; 3], Cow<'static, str>) = match e {
            E::UnknownCommand => (500, [5, 5, 2], "Syntax error, command unrecognized".into()),
            E::InvalidSenderAddress => (501, [5, 1, 7], "Bad sender address syntax".into()),
            E::InvalidRecipientAddress => (501, [5, 1, 3], "Bad recipient address syntax".into()),
            E::SyntaxError { syntax } => (501, [5, 5, 4], format!("Syntax: {syntax}").into()),
            E::InvalidParameter { param } => (
                501,
                [5, 5, 4],
                format!("Invalid parameter {param:?}").into(),
            ),
            E::UnsupportedParameter { param } => (
                555,
                [5, 5, 4],
                format!("Unsupported parameter {param:?}").into(),
            ),
            E::ResponseTooLong => (500, [5, 5, 6], "Line too long".into()),
            E::NeedsMoreData { .. } | E::InvalidResponse { .. } => {
                (500, [5, 5, 2], "Syntax error".into())
            }
        };
        Reply {
            code,
            esc: Some(esc),
            text,
        }
    }

    pub fn is_error(&self) -> bool {
        self.code >= 500
    }

    pub fn write_to(&self, out: &mut Vec<u8>) {
        // Writing to a Vec cannot fail.
        let _ = match self.esc {
            Some([a, b, c]) => Response::new(self.code, a, b, c, &self.text).write(&mut *out),
            None => {
                out.extend_from_slice(format!("{} {}\r\n", self.code, self.text).as_bytes());
                Ok(())
            }
        };
    }
}

/// The EHLO reply: the extensions the catcher supports.
pub(super) fn ehlo(hostname: &str, max_size: usize, out: &mut Vec<u8>) {
    let mut response = EhloResponse::new(hostname);
    response.capabilities = smtp_proto::EXT_8BIT_MIME
        | smtp_proto::EXT_SIZE
        | smtp_proto::EXT_PIPELINING
        | smtp_proto::EXT_ENHANCED_STATUS_CODES
        | smtp_proto::EXT_SMTP_UTF8
        | smtp_proto::EXT_HELP;
    response.size = max_size;
    let _ = response.write(&mut *out);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(r: &Reply) -> String {
        let mut out = Vec::new();
        r.write_to(&mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn replies_carry_enhanced_codes_where_due() {
        assert_eq!(text(&OK), "250 2.0.0 OK\r\n");
        assert_eq!(
            text(&START_DATA),
            "354 Start mail input; end with <CRLF>.<CRLF>\r\n"
        );
        assert_eq!(
            text(&Reply::greeting("h")),
            "220 h ESMTP kiqlab mail catcher\r\n"
        );
        assert!(
            text(&Reply::from_parse_error(&smtp_proto::Error::UnknownCommand))
                .starts_with("500 5.5.2 ")
        );
    }

    #[test]
    fn ehlo_lists_size_and_8bitmime() {
        let mut out = Vec::new();
        ehlo("h", 1000, &mut out);
        let s = String::from_utf8(out).unwrap();
        assert!(s.starts_with("250-h "), "{s}");
        assert!(s.contains("SIZE 1000\r\n"), "{s}");
        assert!(s.contains("8BITMIME\r\n"), "{s}");
        assert!(s.contains("PIPELINING\r\n"), "{s}");
        let last = s.trim_end().lines().last().unwrap();
        assert!(last.starts_with("250 "), "{s}");
    }
}
