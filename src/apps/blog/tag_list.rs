//! Tags: a tag name (1-50 characters, lower-cased, no commas) and the
//! comma-separated tag list a person edits (acts-as-taggable-on's `tag_list`).

use std::fmt;

use crate::domain::Invalid;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TagName(String);

impl TagName {
    pub fn parse(s: &str) -> Result<TagName, Invalid> {
        let s = s
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase();
        if s.is_empty() {
            return Err(Invalid::new("A tag cannot be empty."));
        }
        if s.contains(',') {
            return Err(Invalid::new("A tag cannot contain a comma."));
        }
        if s.chars().count() > 50 {
            return Err(Invalid::new(format!(
                "The tag {s:?} is longer than 50 characters."
            )));
        }
        Ok(TagName(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TagName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Distinct tags in the order given.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TagList(Vec<TagName>);

impl TagList {
    pub const MAX_TAGS: usize = 30;

    pub fn parse(s: &str) -> Result<TagList, Invalid> {
        let mut tags: Vec<TagName> = Vec::new();
        for part in s.split(',').filter(|p| !p.trim().is_empty()) {
            let t = TagName::parse(part)?;
            if !tags.contains(&t) {
                tags.push(t);
            }
        }
        if tags.len() > Self::MAX_TAGS {
            return Err(Invalid::new(format!(
                "At most {} tags, please.",
                Self::MAX_TAGS
            )));
        }
        Ok(TagList(tags))
    }

    pub fn tags(&self) -> &[TagName] {
        &self.0
    }
}

impl fmt::Display for TagList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.0.iter().map(TagName::as_str).collect();
        f.write_str(&names.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_trimmed_deduplicated_and_lowercased() {
        let l = TagList::parse(" Ruby, rails ,,RUBY,  web  apps ").unwrap();
        assert_eq!(l.to_string(), "ruby, rails, web apps");
        assert!(TagList::parse("").unwrap().tags().is_empty());
        assert!(TagList::parse(&"x".repeat(51)).is_err());
    }
}
