//! The languages a snippet can be written in, with the syntect syntax that
//! highlights each.

use std::fmt;

use crate::domain::Invalid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum SnippetLanguage {
    Ruby,
    Python,
    JavaScript,
    Css,
    Html,
    Rust,
    Go,
    Sql,
    Shell,
}

impl SnippetLanguage {
    pub const ALL: [SnippetLanguage; 9] = [
        SnippetLanguage::Ruby,
        SnippetLanguage::Python,
        SnippetLanguage::JavaScript,
        SnippetLanguage::Css,
        SnippetLanguage::Html,
        SnippetLanguage::Rust,
        SnippetLanguage::Go,
        SnippetLanguage::Sql,
        SnippetLanguage::Shell,
    ];

    /// The form and database value.
    pub fn code(self) -> &'static str {
        match self {
            SnippetLanguage::Ruby => "ruby",
            SnippetLanguage::Python => "python",
            SnippetLanguage::JavaScript => "javascript",
            SnippetLanguage::Css => "css",
            SnippetLanguage::Html => "html",
            SnippetLanguage::Rust => "rust",
            SnippetLanguage::Go => "go",
            SnippetLanguage::Sql => "sql",
            SnippetLanguage::Shell => "shell",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SnippetLanguage::Ruby => "Ruby",
            SnippetLanguage::Python => "Python",
            SnippetLanguage::JavaScript => "JavaScript",
            SnippetLanguage::Css => "CSS",
            SnippetLanguage::Html => "HTML",
            SnippetLanguage::Rust => "Rust",
            SnippetLanguage::Go => "Go",
            SnippetLanguage::Sql => "SQL",
            SnippetLanguage::Shell => "Shell",
        }
    }

    /// The file extension syntect finds the syntax by.
    pub fn extension(self) -> &'static str {
        match self {
            SnippetLanguage::Ruby => "rb",
            SnippetLanguage::Python => "py",
            SnippetLanguage::JavaScript => "js",
            SnippetLanguage::Css => "css",
            SnippetLanguage::Html => "html",
            SnippetLanguage::Rust => "rs",
            SnippetLanguage::Go => "go",
            SnippetLanguage::Sql => "sql",
            SnippetLanguage::Shell => "sh",
        }
    }

    pub fn parse(s: &str) -> Result<SnippetLanguage, Invalid> {
        let s = s.trim();
        SnippetLanguage::ALL
            .into_iter()
            .find(|l| l.code().eq_ignore_ascii_case(s) || l.label().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                if s.is_empty() {
                    Invalid::new("Pick a language.")
                } else {
                    Invalid::new(format!("{s:?} is not a language we can highlight."))
                }
            })
    }
}

impl fmt::Display for SnippetLanguage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

impl TryFrom<String> for SnippetLanguage {
    type Error = Invalid;
    fn try_from(s: String) -> Result<Self, Invalid> {
        SnippetLanguage::parse(&s)
    }
}

impl From<SnippetLanguage> for String {
    fn from(l: SnippetLanguage) -> String {
        l.code().to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_codes_and_labels() {
        assert_eq!(SnippetLanguage::parse("ruby"), Ok(SnippetLanguage::Ruby));
        assert_eq!(SnippetLanguage::parse("CSS"), Ok(SnippetLanguage::Css));
        assert_eq!(SnippetLanguage::parse(" Rust "), Ok(SnippetLanguage::Rust));
        assert!(SnippetLanguage::parse("cobol").is_err());
        assert!(SnippetLanguage::parse("").is_err());
        for l in SnippetLanguage::ALL {
            assert_eq!(SnippetLanguage::parse(l.code()), Ok(l));
        }
    }
}
