//! Syntax highlighting with syntect: HTML with inline styles (the user's code
//! is escaped by syntect). CPU-bound: call it from `spawn_blocking`.

use std::sync::LazyLock;

use syntect::highlighting::{Theme, ThemeSet};
use syntect::html::highlighted_html_for_string;
use syntect::parsing::SyntaxSet;

use super::language::SnippetLanguage;

static SYNTAXES: LazyLock<SyntaxSet> = LazyLock::new(SyntaxSet::load_defaults_newlines);
static THEME: LazyLock<Theme> = LazyLock::new(|| {
    let mut set = ThemeSet::load_defaults();
    set.themes
        .remove("InspiredGitHub")
        .or_else(|| set.themes.into_values().next())
        .unwrap_or_default()
});

#[derive(Debug, thiserror::Error)]
pub enum HighlightError {
    #[error("syntect failed: {0}")]
    Syntect(#[from] syntect::Error),
}

/// Highlighted HTML (`<pre>…</pre>`) for `code`.
pub fn highlight(language: SnippetLanguage, code: &str) -> Result<String, HighlightError> {
    let ss = &*SYNTAXES;
    let syntax = ss
        .find_syntax_by_extension(language.extension())
        .unwrap_or_else(|| ss.find_syntax_plain_text());
    Ok(highlighted_html_for_string(code, ss, syntax, &THEME)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_has_a_syntax_and_code_is_escaped() {
        for l in SnippetLanguage::ALL {
            assert!(
                SYNTAXES.find_syntax_by_extension(l.extension()).is_some(),
                "{l}"
            );
        }
        let html = highlight(SnippetLanguage::Html, "<script>alert(1)</script>").unwrap();
        assert!(html.starts_with("<pre"));
        assert!(!html.contains("<script>"));
        assert!(html.contains("&lt;"));
        let rb = highlight(SnippetLanguage::Ruby, "def hi\n  puts 1\nend\n").unwrap();
        assert!(rb.contains("<span style="), "{rb}");
    }
}
