//! Social tags: key phrases from YAKE (`yake-rust`), cleaned up (no
//! phrase spanning a stop word unless it is a known name, no phrase
//! inside a better one), then the detected entities' names, each with
//! OpenCalais' importance (1 most important, 3 least).

use std::collections::HashSet;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::LazyLock;

use yake_rust::{Config, StopWords};

use super::entities::Entity;
use super::gazetteer as g;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SocialTag {
    pub name: String,
    /// 1 (most important) to 3.
    pub importance: u8,
}

static STOP_WORDS: LazyLock<StopWords> =
    LazyLock::new(|| StopWords::predefined("en").unwrap_or_default());

/// Entity types that make good tags (not URLs or e-mail addresses).
const TAGGABLE: &[&str] = &[
    g::PERSON,
    g::COMPANY,
    g::ORGANIZATION,
    g::COUNTRY,
    g::CITY,
    g::CONTINENT,
    g::PROVINCE_OR_STATE,
    g::TECHNOLOGY,
    g::PROGRAMMING_LANGUAGE,
];

/// At most `max` tags for `text`, best first: the detected entities' names
/// (people, companies, languages, places…) first, as OpenCalais ranks them,
/// then YAKE's key phrases that read as noun phrases.
pub fn social_tags(text: &str, entities: &[Entity], max: usize) -> Vec<SocialTag> {
    let known: HashSet<String> = entities.iter().map(|e| e.name.to_lowercase()).collect();
    let mut kept: Vec<String> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    for e in entities.iter().filter(|e| TAGGABLE.contains(&e.kind)) {
        if kept.len() >= max {
            break;
        }
        if seen.insert(e.name.to_lowercase()) {
            kept.push(e.name.clone());
        }
    }
    for phrase in key_phrases(text, max * 3) {
        if kept.len() >= max {
            break;
        }
        let lower = phrase.to_lowercase();
        if known.contains(&lower) || seen.contains(&lower) {
            continue;
        }
        let words: Vec<&str> = lower.split(' ').collect();
        let inner_stop_word = words.len() > 2
            && words[1..words.len() - 1]
                .iter()
                .any(|w| STOP_WORDS.contains(*w));
        if inner_stop_word || !reads_as_noun_phrase(&words) {
            continue;
        }
        let inside_better = kept
            .iter()
            .any(|k| contains_words(&k.to_lowercase(), &lower));
        if !inside_better {
            seen.insert(lower);
            kept.push(phrase);
        }
    }
    let n = kept.len();
    kept.into_iter()
        .enumerate()
        .map(|(i, name)| SocialTag {
            name,
            importance: if i * 3 < n {
                1
            } else if i * 3 < 2 * n {
                2
            } else {
                3
            },
        })
        .collect()
}

/// Verbs common in posts about software, and irregular past forms: a
/// phrase ending in one ("Mike Perham wrote") is a sentence fragment.
const VERBS: &[&str] = &[
    "is", "are", "was", "were", "be", "been", "has", "have", "had", "do", "does", "did", "can",
    "could", "will", "would", "should", "may", "might", "must", "wrote", "written", "write",
    "writes", "made", "make", "makes", "built", "build", "builds", "ran", "run", "runs", "uses",
    "use", "take", "takes", "took", "gave", "give", "gives", "got", "get", "gets", "keep", "keeps",
    "kept", "went", "go", "goes", "says", "said", "know", "knows", "knew", "began", "begins",
    "came", "comes", "became", "becomes", "let", "lets", "put", "puts", "sent", "send", "sends",
    "need", "needs", "want", "wants", "work", "works", "try", "tries",
];

/// Words ending in "ed" that are nouns or adjectives a tag may end with.
const ED_NOUNS: &[&str] = &[
    "speed", "feed", "seed", "need", "bed", "red", "shed", "embed",
];

/// No POS tagger here: a phrase reads as a noun phrase when it does not end
/// in a common verb or a past participle ("language invented"), and a
/// single word is not one either.
fn reads_as_noun_phrase(words: &[&str]) -> bool {
    let Some(last) = words.last() else {
        return false;
    };
    let past = last.len() > 4 && last.ends_with("ed") && !ED_NOUNS.contains(last);
    !(VERBS.contains(last) || past || VERBS.contains(&words[0]))
}

/// YAKE's best phrases (1 to 3 words) in their first-seen spelling.
fn key_phrases(text: &str, n: usize) -> Vec<String> {
    let config = Config {
        ngrams: 3,
        ..Config::default()
    };
    // yake-rust sorts scores with `partial_cmp().unwrap()`: a NaN score on
    // odd input would panic. No tags is the better answer then.
    match catch_unwind(AssertUnwindSafe(|| {
        yake_rust::get_n_best(n, text, &STOP_WORDS, &config)
    })) {
        Ok(items) => items.into_iter().map(|i| i.raw).collect(),
        Err(_) => {
            tracing::warn!("keyword extraction failed on this text; no key phrases");
            Vec::new()
        }
    }
}

/// Whether `inner` appears in `outer` as whole words.
fn contains_words(outer: &str, inner: &str) -> bool {
    let o: Vec<&str> = outer.split(' ').collect();
    let i: Vec<&str> = inner.split(' ').collect();
    i.len() <= o.len() && o.windows(i.len()).any(|w| w == i.as_slice())
}

#[cfg(test)]
mod tests {
    use super::super::entities;
    use super::*;

    #[test]
    fn tutorial_sentence_tags() {
        let text = "Ruby on Rails is a fantastic web framework. It uses MVC, and the Ruby \
                    programming language invented by Matz in Japan.";
        let tags = social_tags(text, &entities::detect(text), 12);
        let names: Vec<&str> = tags.iter().map(|t| t.name.as_str()).collect();
        assert!(names.contains(&"Ruby on Rails"), "{names:?}");
        assert!(names.contains(&"Ruby"), "{names:?}");
        assert!(names.contains(&"Japan"), "{names:?}");
        assert!(!names.iter().any(|n| n.contains(" in ")), "{names:?}");
        assert_eq!(tags[0].importance, 1);
        assert_eq!(tags.last().unwrap().importance, 3);
    }

    #[test]
    fn entities_come_first_and_verb_fragments_are_not_tags() {
        let text = "Sidekiq is a background job framework Mike Perham wrote for Ruby. \
                    The Ruby programming language invented by Matz in Japan runs Rails.";
        let entities = entities::detect(text);
        let tags = social_tags(text, &entities, 12);
        let names: Vec<String> = tags.iter().map(|t| t.name.to_lowercase()).collect();
        for bad in [
            "mike perham wrote",
            "language invented",
            "wrote",
            "invented",
        ] {
            assert!(!names.iter().any(|n| n == bad), "{bad} in {names:?}");
        }
        assert!(
            !names
                .iter()
                .any(|n| n.ends_with(" wrote") || n.ends_with(" invented")),
            "{names:?}"
        );
        let taggable: Vec<String> = entities
            .iter()
            .filter(|e| TAGGABLE.contains(&e.kind))
            .map(|e| e.name.to_lowercase())
            .collect();
        assert!(!taggable.is_empty(), "entities detected: {entities:?}");
        assert_eq!(
            names[..taggable.len().min(names.len())],
            taggable[..taggable.len().min(names.len())],
            "entities first: {names:?}"
        );
        assert!(
            names.iter().any(|n| n.contains("background job")),
            "{names:?}"
        );
    }

    #[test]
    fn noun_phrases_and_fragments() {
        assert!(reads_as_noun_phrase(&["background", "job", "framework"]));
        assert!(reads_as_noun_phrase(&["processing", "speed"]));
        assert!(!reads_as_noun_phrase(&["mike", "perham", "wrote"]));
        assert!(!reads_as_noun_phrase(&["language", "invented"]));
        assert!(!reads_as_noun_phrase(&["uses", "redis"]));
        assert!(!reads_as_noun_phrase(&[]));
    }

    #[test]
    fn whole_word_containment() {
        assert!(contains_words("fantastic web framework", "web framework"));
        assert!(!contains_words("fantastic web framework", "web frame"));
        assert!(!contains_words("web", "web framework"));
    }

    #[test]
    fn odd_text_does_not_panic() {
        for text in [
            "",
            "...",
            "a a a a",
            "123 456 789",
            "\u{0}\u{1} x y z",
            "ÄÖÜ ß ẞ 😀 😀 😀",
        ] {
            let _ = social_tags(text, &[], 10);
        }
    }
}
