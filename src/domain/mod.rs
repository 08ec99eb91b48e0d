//! Validated values parsed at the edge that more than one part uses (an
//! email address, a new password, a worker's source address); one newtype per file. Each app keeps its
//! own (a snippet's language, a sequence length…) in its folder.

mod email_address;
mod password;
mod source_ip;

pub use email_address::EmailAddress;
pub use password::NewPassword;
pub use source_ip::SourceIp;

/// Why a value was rejected, worded for the person who typed it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Invalid(pub String);

impl Invalid {
    pub fn new(msg: impl Into<String>) -> Invalid {
        Invalid(msg.into())
    }
}
