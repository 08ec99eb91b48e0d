//! Text analysis for the tagger: what a text is about, in the parts an
//! OpenCalais response has. Pure functions, no I/O; callers on the async
//! runtime run [`analyze`] on a blocking thread (YAKE on 100 KB takes a
//! while).
//!
//! Layout: `keywords` (social tags, YAKE), `entities` (named entities),
//! `names` (people and organisations by cue words), `spans` (mentions as
//! byte spans, shared by both),
//! `gazetteer` (the names entities are found by), `topics` (topic codes).

pub mod entities;
pub mod gazetteer;
pub mod keywords;
mod names;
mod spans;
pub mod topics;

pub use entities::{Entity, Instance};
pub use keywords::SocialTag;
pub use topics::Topic;

/// Texts with fewer words than this are "too short", as OpenCalais says.
pub const MIN_WORDS: usize = 3;

/// How many social tags a response carries at most.
pub const MAX_TAGS: usize = 12;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    English,
    /// OpenCalais' answer for a text it cannot say anything about.
    InputTextTooShort,
}

impl Language {
    pub fn as_str(self) -> &'static str {
        match self {
            Language::English => "English",
            Language::InputTextTooShort => "InputTextTooShort",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Analysis {
    pub language: Language,
    pub tags: Vec<SocialTag>,
    pub topics: Vec<Topic>,
    pub entities: Vec<Entity>,
}

/// Analyzes `text` (English is assumed).
pub fn analyze(text: &str) -> Analysis {
    let words = words(text);
    if words.len() < MIN_WORDS {
        return Analysis {
            language: Language::InputTextTooShort,
            tags: Vec::new(),
            topics: Vec::new(),
            entities: Vec::new(),
        };
    }
    let entities = entities::detect(text);
    let tags = keywords::social_tags(text, &entities, MAX_TAGS);
    let topics = topics::classify(&words, &entities);
    Analysis {
        language: Language::English,
        tags,
        topics,
        entities,
    }
}

/// The lowercased words of a text (letters and digits; inner `'` and `-` kept).
pub fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '-'))
        .map(|w| w.trim_matches(['\'', '-']))
        .filter(|w| w.chars().any(char::is_alphabetic))
        .map(str::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiny_texts_are_too_short() {
        for t in ["", "   ", "Hi", "Ruby rocks", "1 2 3 4 5", "!!! ???"] {
            assert_eq!(analyze(t).language, Language::InputTextTooShort, "{t:?}");
        }
        assert_eq!(analyze("Ruby rocks hard").language, Language::English);
    }

    #[test]
    fn words_are_lowercased_letters() {
        assert_eq!(
            words("Don't stop -- it's Ruby-on-Rails, 2024!"),
            ["don't", "stop", "it's", "ruby-on-rails"]
        );
    }
}
