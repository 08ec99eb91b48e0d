//! People and organisations by cue words: runs of capitalized words
//! (joined by single spaces, "of" allowed inside) that a title ("Dr."),
//! a cue before ("invented by", "according to") or after ("said"), or a
//! suffix ("Inc", "Foundation") marks as a name.

use super::gazetteer as g;
use super::spans::{covered, Hit};

/// Articles that may open a name's run of capitals but are not part of it.
const ARTICLES: &[&str] = &["The", "A", "An"];

/// A word of the text with its byte span.
#[derive(Debug, Clone, Copy)]
struct Token<'a> {
    text: &'a str,
    start: usize,
    end: usize,
}

fn tokens(text: &str) -> Vec<Token<'_>> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        let inside = c.is_alphanumeric() || c == '\'' || c == '-';
        match (inside, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push(Token {
                    text: &text[s..i],
                    start: s,
                    end: i,
                });
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push(Token {
            text: &text[s..],
            start: s,
            end: text.len(),
        });
    }
    out
}

fn capitalized(word: &str) -> bool {
    word.chars().next().is_some_and(char::is_uppercase)
}

fn in_list(list: &[&str], word: &str) -> bool {
    list.iter()
        .any(|w| w.trim_end_matches('.').eq_ignore_ascii_case(word))
}

/// People and organisations: runs of capitalized words (joined by single
/// spaces, "of" allowed inside) that a cue word marks.
pub(super) fn cued_names(text: &str, known: &[Hit]) -> Vec<Hit> {
    let toks = tokens(text);
    let mut hits = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        let t = toks[i];
        // A title is a cue for the name after it, never part of a name.
        if !capitalized(t.text)
            || covered(known, t.start, t.end)
            || in_list(g::PERSON_TITLES, t.text)
        {
            i += 1;
            continue;
        }
        let mut j = i;
        while j + 1 < toks.len() {
            let next = toks[j + 1];
            let gap = &text[toks[j].end..next.start];
            let joins = gap == " "
                && !covered(known, next.start, next.end)
                && !in_list(g::PERSON_TITLES, next.text);
            if joins && capitalized(next.text) {
                j += 1;
            } else if joins
                && next.text == "of"
                && toks
                    .get(j + 2)
                    .is_some_and(|n| capitalized(n.text) && &text[next.end..n.start] == " ")
            {
                j += 2;
            } else {
                break;
            }
        }
        // "The Apache Software Foundation": the article is not the name.
        let i0 = if j > i && in_list(ARTICLES, toks[i].text) {
            i + 1
        } else {
            i
        };
        let (first, last) = (toks[i0], toks[j]);
        let several = j > i0;
        let of_form = toks[i0..=j].iter().any(|t| t.text == "of");
        let cue_before = titled(text, &toks, i) || cued(text, &toks, i);
        let cue_after = toks.get(j + 1).is_some_and(|n| {
            text[last.end..n.start].chars().all(char::is_whitespace)
                && in_list(g::PERSON_CUES_AFTER, n.text)
        });
        let kind = if several && in_list(g::COMPANY_SUFFIXES, last.text) {
            Some(g::COMPANY)
        } else if several
            && (in_list(g::ORGANIZATION_SUFFIXES, last.text)
                || of_form && in_list(g::ORGANIZATION_SUFFIXES, first.text))
        {
            // "Python Software Foundation", "University of Tokyo".
            Some(g::ORGANIZATION)
        } else if cue_before || cue_after {
            Some(g::PERSON)
        } else {
            None
        };
        if let Some(kind) = kind {
            hits.push(Hit {
                start: first.start,
                end: last.end,
                kind,
                country: None,
            });
        }
        i = j + 1;
    }
    hits
}

/// "Dr. Ada": a title just before the name, with or without its dot.
fn titled(text: &str, toks: &[Token<'_>], i: usize) -> bool {
    let Some(prev) = i.checked_sub(1).map(|p| toks[p]) else {
        return false;
    };
    let gap = &text[prev.end..toks[i].start];
    let gap = gap.strip_prefix('.').unwrap_or(gap);
    !gap.is_empty() && gap.chars().all(char::is_whitespace) && in_list(g::PERSON_TITLES, prev.text)
}

/// "invented by Matz", "according to Matz": cue words just before the
/// name, in the same sentence (only spaces between).
fn cued(text: &str, toks: &[Token<'_>], i: usize) -> bool {
    g::PERSON_CUES_BEFORE.iter().any(|cue| {
        let words: Vec<&str> = cue.split(' ').collect();
        if words.len() > i {
            return false;
        }
        let start = i - words.len();
        words.iter().enumerate().all(|(k, w)| {
            let t = toks[start + k];
            let next = toks[start + k + 1];
            t.text.eq_ignore_ascii_case(w)
                && !text[t.end..next.start].is_empty()
                && text[t.end..next.start].chars().all(char::is_whitespace)
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(text: &str) -> Vec<(&str, &'static str)> {
        cued_names(text, &[])
            .iter()
            .map(|h| (&text[h.start..h.end], h.kind))
            .collect()
    }

    #[test]
    fn cues_mark_names() {
        assert_eq!(
            names("It was invented by Yukihiro Matsumoto in 1995."),
            [("Yukihiro Matsumoto", "Person")]
        );
        assert_eq!(
            names("Then Mr Smith and Dr. Jones met; Ada Lovelace wrote it down."),
            [
                ("Smith", "Person"),
                ("Jones", "Person"),
                ("Ada Lovelace", "Person")
            ]
        );
        assert_eq!(
            names(
                "The University of Tokyo and Acme Corp agreed with the Python Software Foundation."
            ),
            [
                ("University of Tokyo", "Organization"),
                ("Acme Corp", "Company"),
                ("Python Software Foundation", "Organization")
            ]
        );
    }

    #[test]
    fn no_cue_no_name() {
        assert!(names("That is what he said. Write it down.").is_empty());
        assert!(names("Nothing Here Matters much, by the way.").is_empty());
        assert!(names("").is_empty());
    }
}
