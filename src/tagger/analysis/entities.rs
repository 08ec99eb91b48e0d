//! Simple entity detection: gazetteer names (countries, cities,
//! languages, technologies, companies) found with Aho-Corasick, people
//! and organisations from capitalized names next to cue words ("by Matz",
//! "Dr. Smith", "Acme Corp"), and URLs and e-mail addresses. Each entity
//! has OpenCalais' instances: exact text, prefix, suffix, offset, length
//! (offsets and lengths count characters, not bytes).

use std::collections::BTreeMap;
use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, MatchKind};

use super::gazetteer as g;

/// Characters of context kept on each side of an instance.
const CONTEXT_CHARS: usize = 30;

#[derive(Debug, Clone, PartialEq)]
pub struct Instance {
    pub prefix: String,
    pub exact: String,
    pub suffix: String,
    pub offset: usize,
    pub length: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Entity {
    /// OpenCalais type: `Country`, `Person`, `ProgrammingLanguage`…
    pub kind: &'static str,
    pub name: String,
    /// 0 to 1: more and earlier mentions score higher.
    pub relevance: f64,
    pub instances: Vec<Instance>,
    /// The country a city is in.
    pub country: Option<&'static str>,
}

struct Known {
    kind: &'static str,
    country: Option<&'static str>,
}

struct Gazetteer {
    matcher: AhoCorasick,
    known: Vec<Known>,
}

static GAZETTEER: LazyLock<Option<Gazetteer>> = LazyLock::new(|| {
    let mut names: Vec<&'static str> = Vec::new();
    let mut known = Vec::new();
    let mut add = |list: &[&'static str], kind: &'static str| {
        for n in list {
            names.push(n);
            known.push(Known {
                kind,
                country: None,
            });
        }
    };
    add(g::COUNTRIES, g::COUNTRY);
    add(g::CONTINENTS, g::CONTINENT);
    add(g::US_STATES, g::PROVINCE_OR_STATE);
    add(g::PROGRAMMING_LANGUAGES, g::PROGRAMMING_LANGUAGE);
    add(g::TECHNOLOGIES, g::TECHNOLOGY);
    add(g::COMPANIES, g::COMPANY);
    for (city, country) in g::CITIES {
        names.push(city);
        known.push(Known {
            kind: g::CITY,
            country: Some(country),
        });
    }
    match AhoCorasick::builder()
        .match_kind(MatchKind::LeftmostLongest)
        .build(&names)
    {
        Ok(matcher) => Some(Gazetteer { matcher, known }),
        Err(e) => {
            tracing::error!(error = %e, "the tagger's gazetteer does not build; no named entities");
            None
        }
    }
});

/// A found mention, in bytes, before grouping.
struct Hit {
    start: usize,
    end: usize,
    kind: &'static str,
    country: Option<&'static str>,
}

/// Finds the entities of `text`, most relevant first.
pub fn detect(text: &str) -> Vec<Entity> {
    let addresses = addresses(text);
    let mut hits = Vec::new();
    if let Some(gz) = GAZETTEER.as_ref() {
        // Leftmost-longest matches come in order and never overlap each
        // other; only the (few) addresses need checking.
        for m in gz.matcher.find_iter(text) {
            let (start, end) = (m.start(), m.end());
            if !is_word_boundary(text, start, end) || covered(&addresses, start, end) {
                continue;
            }
            let k = &gz.known[m.pattern().as_usize()];
            hits.push(Hit {
                start,
                end,
                kind: k.kind,
                country: k.country,
            });
        }
    }
    hits.extend(addresses);
    hits.sort_by_key(|h| h.start);
    let names = cued_names(text, &hits);
    hits.extend(names);
    hits.sort_by_key(|h| h.start);
    group(text, hits)
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The match is a whole word: no word character just before or after.
fn is_word_boundary(text: &str, start: usize, end: usize) -> bool {
    let before = text[..start]
        .chars()
        .next_back()
        .is_none_or(|c| !is_word_char(c));
    let after = text[end..].chars().next().is_none_or(|c| !is_word_char(c));
    before && after
}

/// Whether `start..end` overlaps one of `hits`, which are sorted by
/// start and do not overlap each other (so their ends are sorted too).
fn covered(hits: &[Hit], start: usize, end: usize) -> bool {
    let first_ending_after = hits.partition_point(|h| h.end <= start);
    hits.get(first_ending_after).is_some_and(|h| h.start < end)
}

/// URLs and e-mail addresses: whitespace-separated chunks that look like one.
fn addresses(text: &str) -> Vec<Hit> {
    let mut hits = Vec::new();
    let mut offset = 0;
    for chunk in text.split_inclusive(char::is_whitespace) {
        let start = offset;
        offset += chunk.len();
        let word = chunk
            .trim_end()
            .trim_start_matches(['(', '<', '"', '\''])
            .trim_end_matches(['.', ',', ';', ':', '!', '?', ')', '>', '"', '\'']);
        let lead = chunk.len() - chunk.trim_start_matches(['(', '<', '"', '\'']).len();
        let kind = if word.starts_with("http://")
            || word.starts_with("https://")
            || (word.starts_with("www.") && word.len() > 4)
        {
            g::URL
        } else if looks_like_email(word) {
            g::EMAIL_ADDRESS
        } else {
            continue;
        };
        hits.push(Hit {
            start: start + lead,
            end: start + lead + word.len(),
            kind,
            country: None,
        });
    }
    hits
}

fn looks_like_email(word: &str) -> bool {
    match word.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains('@')
        }
        None => false,
    }
}

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
fn cued_names(text: &str, known: &[Hit]) -> Vec<Hit> {
    let toks = tokens(text);
    let mut hits = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        let t = toks[i];
        if !capitalized(t.text) || covered(known, t.start, t.end) {
            i += 1;
            continue;
        }
        let mut j = i;
        while j + 1 < toks.len() {
            let next = toks[j + 1];
            let gap = &text[toks[j].end..next.start];
            let joins = gap == " " && !covered(known, next.start, next.end);
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
        let (first, last) = (toks[i], toks[j]);
        let cue_before = titled(text, &toks, i) || cued(text, &toks, i);
        let cue_after = toks.get(j + 1).is_some_and(|n| {
            text[last.end..n.start].chars().all(char::is_whitespace)
                && in_list(g::PERSON_CUES_AFTER, n.text)
        });
        let kind = if in_list(g::COMPANY_SUFFIXES, last.text) && j > i {
            Some(g::COMPANY)
        } else if in_list(g::ORGANIZATION_SUFFIXES, last.text) && j > i {
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

/// Groups mentions of the same name and type into entities, with
/// character offsets and context.
fn group(text: &str, hits: Vec<Hit>) -> Vec<Entity> {
    let total_chars = text.chars().count().max(1);
    let mut by_name: BTreeMap<(&'static str, &str), Entity> = BTreeMap::new();
    // Hits are sorted by start, so one forward walk converts bytes to chars.
    let (mut byte, mut chars) = (0usize, 0usize);
    for h in hits {
        chars += text[byte..h.start].chars().count();
        byte = h.start;
        let exact = &text[h.start..h.end];
        let length = exact.chars().count();
        let mut prefix: Vec<char> = text[..h.start].chars().rev().take(CONTEXT_CHARS).collect();
        prefix.reverse();
        let prefix: String = prefix.into_iter().collect();
        let suffix: String = text[h.end..].chars().take(CONTEXT_CHARS).collect();
        let entity = by_name.entry((h.kind, exact)).or_insert_with(|| Entity {
            kind: h.kind,
            name: exact.to_owned(),
            relevance: 0.0,
            instances: Vec::new(),
            country: h.country,
        });
        entity.instances.push(Instance {
            prefix,
            exact: exact.to_owned(),
            suffix,
            offset: chars,
            length,
        });
    }
    let mut entities: Vec<Entity> = by_name.into_values().collect();
    for e in &mut entities {
        e.relevance = relevance(e, total_chars);
    }
    entities.sort_by(|a, b| {
        b.relevance
            .total_cmp(&a.relevance)
            .then_with(|| a.name.cmp(&b.name))
    });
    entities
}

/// More mentions and an earlier first mention mean more relevant.
fn relevance(e: &Entity, total_chars: usize) -> f64 {
    // Counts and offsets are far below 2^52: the casts are exact.
    #[allow(clippy::cast_precision_loss)]
    let (mentions, first, total) = (
        e.instances.len().min(5) as f64,
        e.instances.first().map_or(0, |i| i.offset) as f64,
        total_chars as f64,
    );
    let r = 0.2 + 0.5 * mentions / 5.0 + 0.3 * (1.0 - first / total);
    (r.min(1.0) * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn find<'a>(es: &'a [Entity], name: &str) -> &'a Entity {
        es.iter()
            .find(|e| e.name == name)
            .unwrap_or_else(|| panic!("no entity {name} in {es:?}"))
    }

    const TUTORIAL: &str = "Ruby on Rails is a fantastic web framework. It uses MVC, and the Ruby \
programming language invented by Matz in Japan.";

    #[test]
    fn the_tutorial_sentence() {
        let es = detect(TUTORIAL);
        let japan = find(&es, "Japan");
        assert_eq!(japan.kind, "Country");
        let i = &japan.instances[0];
        assert_eq!(i.exact, "Japan");
        assert_eq!(
            TUTORIAL
                .chars()
                .skip(i.offset)
                .take(i.length)
                .collect::<String>(),
            "Japan"
        );
        assert_eq!(i.suffix, ".");
        assert!(i.prefix.ends_with("by Matz in "), "{:?}", i.prefix);
        assert_eq!(find(&es, "Matz").kind, "Person");
        assert_eq!(find(&es, "Ruby on Rails").kind, "Technology");
        assert_eq!(find(&es, "Ruby").kind, "ProgrammingLanguage");
        assert_eq!(find(&es, "MVC").kind, "Technology");
        // "Ruby" inside "Ruby on Rails" is not a separate mention.
        assert_eq!(find(&es, "Ruby").instances.len(), 1);
    }

    #[test]
    fn offsets_count_characters_not_bytes() {
        let text = "Café owners in Zürich met people from Japan.";
        let es = detect(text);
        let japan = find(&es, "Japan");
        assert_eq!(japan.instances[0].offset, 38);
        assert_eq!(text.chars().skip(38).take(5).collect::<String>(), "Japan");
    }

    #[test]
    fn words_inside_other_words_are_not_names() {
        let es = detect("The Japanese garden and Omani dates; Javanese, Rustic, Germanic.");
        assert!(es.is_empty(), "{es:?}");
    }

    #[test]
    fn people_companies_and_addresses() {
        let es = detect(
            "Dr. Ada Lovelace joined Acme Widgets Inc last year, Grace Hopper said. \
             Write to ada@example.com or see https://example.com/about.",
        );
        assert_eq!(find(&es, "Ada Lovelace").kind, "Person");
        assert_eq!(find(&es, "Grace Hopper").kind, "Person");
        assert_eq!(find(&es, "Acme Widgets Inc").kind, "Company");
        assert_eq!(find(&es, "ada@example.com").kind, "EmailAddress");
        assert_eq!(find(&es, "https://example.com/about").kind, "URL");
    }

    #[test]
    fn cities_know_their_country_and_repeats_are_more_relevant() {
        let es = detect("Tokyo is big. Tokyo is busy. Tokyo never sleeps. Paris is lovely.");
        let tokyo = find(&es, "Tokyo");
        assert_eq!(tokyo.kind, "City");
        assert_eq!(tokyo.country, Some("Japan"));
        assert_eq!(tokyo.instances.len(), 3);
        assert!(tokyo.relevance > find(&es, "Paris").relevance);
        assert_eq!(es[0].name, "Tokyo");
    }

    #[test]
    fn covered_finds_overlaps_in_sorted_hits() {
        let hit = |start, end| Hit {
            start,
            end,
            kind: g::URL,
            country: None,
        };
        let hits = [hit(0, 5), hit(10, 20), hit(30, 31)];
        assert!(covered(&hits, 4, 6));
        assert!(!covered(&hits, 5, 10));
        assert!(covered(&hits, 19, 40));
        assert!(covered(&hits, 0, 100));
        assert!(!covered(&hits, 31, 40));
        assert!(!covered(&[], 0, 1));
    }

    #[test]
    fn many_mentions_stay_linear() {
        let text = "Matz in Japan said Ruby on Rails, Tokyo and Dr. Ada Lovelace. ".repeat(1600);
        let started = std::time::Instant::now();
        let es = detect(&text);
        assert_eq!(find(&es, "Japan").instances.len(), 1600);
        assert_eq!(find(&es, "Ada Lovelace").instances.len(), 1600);
        // Quadratic work would take minutes here, even unoptimized.
        assert!(started.elapsed() < std::time::Duration::from_secs(20));
    }
}
