//! Validated values parsed at the edge (forms, job arguments, API bodies);
//! core code takes these, never raw strings. One newtype per file.

mod email_address;
mod password;
mod post;
mod sequence_length;
mod snippet_code;
mod snippet_language;
mod tag_list;

pub use email_address::EmailAddress;
pub use password::NewPassword;
pub use post::{PostBody, PostTitle};
pub use sequence_length::SequenceLength;
pub use snippet_code::SnippetCode;
pub use snippet_language::SnippetLanguage;
pub use tag_list::{TagList, TagName};

/// Why a value was rejected, worded for the person who typed it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Invalid(pub String);

impl Invalid {
    pub fn new(msg: impl Into<String>) -> Invalid {
        Invalid(msg.into())
    }
}
