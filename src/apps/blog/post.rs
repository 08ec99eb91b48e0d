//! A blog post's title (1-200 characters) and body (1 to 100,000 bytes).

use crate::domain::Invalid;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostTitle(String);

impl PostTitle {
    pub fn parse(s: &str) -> Result<PostTitle, Invalid> {
        let s = s.trim();
        if s.is_empty() {
            return Err(Invalid::new("Give the post a title."));
        }
        if s.chars().count() > 200 {
            return Err(Invalid::new("Keep the title under 200 characters."));
        }
        Ok(PostTitle(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostBody(String);

impl PostBody {
    pub const MAX_BYTES: usize = 100_000;

    pub fn parse(s: &str) -> Result<PostBody, Invalid> {
        if s.trim().is_empty() {
            return Err(Invalid::new("Write something in the body."));
        }
        if s.len() > Self::MAX_BYTES {
            return Err(Invalid::new("Keep the body under 100,000 bytes."));
        }
        Ok(PostBody(s.replace("\r\n", "\n")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_and_bodies() {
        assert_eq!(PostTitle::parse(" Hi ").unwrap().as_str(), "Hi");
        assert!(PostTitle::parse("  ").is_err());
        assert!(PostTitle::parse(&"x".repeat(201)).is_err());
        assert!(PostBody::parse("").is_err());
        assert_eq!(PostBody::parse("a\r\nb").unwrap().as_str(), "a\nb");
    }
}
