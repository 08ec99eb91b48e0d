//! Simple entity detection: gazetteer names (countries, cities,
//! languages, technologies, companies) found with Aho-Corasick, URLs and
//! e-mail addresses, and the people and organisations `names` finds. Each entity
//! has OpenCalais' instances: exact text, prefix, suffix, offset, length
//! (offsets and lengths count characters, not bytes).

use std::collections::BTreeMap;
use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, MatchKind};

use super::gazetteer as g;
use super::names;
use super::spans::{covered, Hit};

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
    let names = names::cued_names(text, &hits);
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
