//! The code of a snippet: not blank, at most 64 KiB.

use crate::domain::Invalid;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnippetCode(String);

/// The tutorial app's limit on pasted code.
pub const MAX_CODE_BYTES: usize = 64 * 1024;

impl SnippetCode {
    pub fn parse(s: String) -> Result<SnippetCode, Invalid> {
        if s.trim().is_empty() {
            return Err(Invalid::new("Paste some code to highlight."));
        }
        if s.len() > MAX_CODE_BYTES {
            return Err(Invalid::new(format!(
                "The code is {} KiB; the limit is 64 KiB.",
                s.len().div_ceil(1024)
            )));
        }
        // Browsers send CRLF; store what a person typed.
        Ok(SnippetCode(s.replace("\r\n", "\n")))
    }

    pub fn is_too_long(s: &str) -> bool {
        s.len() > MAX_CODE_BYTES
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_and_huge_are_rejected() {
        assert!(SnippetCode::parse("  \n".into()).is_err());
        assert!(SnippetCode::parse("x".repeat(MAX_CODE_BYTES + 1)).is_err());
        assert_eq!(
            SnippetCode::parse("a\r\nb".into()).unwrap().as_str(),
            "a\nb"
        );
        assert!(SnippetCode::parse("x".repeat(MAX_CODE_BYTES)).is_ok());
    }
}
