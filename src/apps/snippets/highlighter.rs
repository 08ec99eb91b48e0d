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

/// Whether `html` is what `highlight` makes, and nothing more: text without
/// `<`, and only `<pre style="…">`, `<span style="…">` and their closing
/// tags, with plain style values (letters, digits, `#:;-.%,` and spaces; no
/// quotes, parentheses or `url(`). The page shows a highlight as HTML, so
/// the internal API refuses anything else (issue 14: a token holder could
/// store a `<script>`).
pub fn check_highlighted_html(html: &str) -> Result<(), String> {
    const MAX: usize = 4 * 1024 * 1024;
    if html.len() > MAX {
        return Err(format!("highlighted HTML is larger than {MAX} bytes"));
    }
    let mut rest = html;
    let mut open: Vec<&str> = Vec::new();
    while let Some(lt) = rest.find('<') {
        let after = &rest[lt..];
        let end = after
            .find('>')
            .ok_or_else(|| "an unclosed tag".to_owned())?;
        let tag = &after[1..end];
        if let Some(name) = tag.strip_prefix('/') {
            if open.pop() != Some(name) {
                return Err(format!("a stray </{name}>"));
            }
        } else {
            let (name, attrs) = tag.split_once(' ').unwrap_or((tag, ""));
            if !matches!(name, "pre" | "span") {
                return Err(format!("<{name}> is not allowed (only pre and span)"));
            }
            if !attrs.is_empty() {
                let style = attrs
                    .strip_prefix("style=\"")
                    .and_then(|a| a.strip_suffix('"'))
                    .ok_or_else(|| format!("<{name}> may carry only a style attribute"))?;
                let plain = |c: char| c.is_ascii_alphanumeric() || " #:;-.%,".contains(c);
                if !style.chars().all(plain) {
                    return Err(format!("the style {style:?} is not a plain colour style"));
                }
            }
            open.push(name);
        }
        rest = &after[end + 1..];
    }
    if let Some(name) = open.pop() {
        return Err(format!("<{name}> is never closed"));
    }
    Ok(())
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

    #[test]
    fn only_what_highlight_makes_passes_the_check() {
        let nasty = "<script>alert(1)</script> \"quotes\" 'and' & < > url(x) </span></pre>";
        for l in SnippetLanguage::ALL {
            let html = highlight(l, nasty).unwrap();
            assert_eq!(check_highlighted_html(&html), Ok(()), "{l}: {html}");
        }
        for bad in [
            "<pre><script>alert(1)</script></pre>",
            "<pre><span onclick=\"x()\">a</span></pre>",
            "<pre><span style=\"color:red\" onmouseover=\"x()\">a</span></pre>",
            "<pre><span style=\"background:url(javascript:x)\">a</span></pre>",
            "<pre><img src=x onerror=alert(1)></pre>",
            "<pre>unclosed",
            "<pre>a</span>",
            "<pre <script>",
        ] {
            assert!(check_highlighted_html(bad).is_err(), "{bad}");
        }
    }
}
