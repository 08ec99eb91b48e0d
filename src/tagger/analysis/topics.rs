//! Topics: which of OpenCalais' 18 topic codes a text is about, from
//! small word lists per topic plus the entities found (a programming
//! language counts for Technology_Internet). A score is the topic's share
//! of all topic evidence.

use super::entities::Entity;
use super::gazetteer as g;

#[derive(Debug, Clone, PartialEq)]
pub struct Topic {
    /// OpenCalais' code, like `Technology_Internet`.
    pub name: &'static str,
    pub score: f64,
}

/// Topics below this share of the evidence are left out.
const MIN_SHARE: f64 = 0.2;
/// A topic needs at least this much evidence.
const MIN_HITS: usize = 2;
/// Entity mentions count this much more than a word.
const ENTITY_WEIGHT: usize = 2;

#[rustfmt::skip]
const LEXICON: &[(&str, &[&str])] = &[
    ("Technology_Internet", &["software", "hardware", "computer", "internet", "web", "website",
        "online", "app", "application", "framework", "programming", "programmer", "developer",
        "code", "coding", "server", "database", "network", "cloud", "digital", "algorithm", "api",
        "browser", "email", "smartphone", "mobile", "tech", "technology", "startup", "linux",
        "mvc", "queue", "backend", "frontend", "library", "compiler", "open-source"]),
    ("Business_Finance", &["business", "company", "market", "stock", "share", "investor",
        "revenue", "profit", "bank", "banking", "finance", "financial", "economy", "economic",
        "price", "sale", "customer", "ceo", "acquisition", "merger", "earnings", "dollar",
        "funding", "billion", "million"]),
    ("Disaster_Accident", &["earthquake", "flood", "fire", "crash", "accident", "disaster",
        "hurricane", "tsunami", "explosion", "victim", "injured", "collapse", "rescue"]),
    ("Education", &["school", "student", "teacher", "university", "college", "education",
        "learning", "course", "classroom", "tutorial", "lesson", "curriculum", "exam"]),
    ("Entertainment_Culture", &["movie", "film", "music", "song", "album", "band", "actor",
        "actress", "celebrity", "concert", "art", "museum", "festival", "novel", "television",
        "tv", "show"]),
    ("Environment", &["climate", "environment", "environmental", "pollution", "emission",
        "carbon", "renewable", "solar", "wildlife", "forest", "recycling", "sustainability"]),
    ("Health_Medical_Pharma", &["health", "medical", "medicine", "doctor", "hospital", "patient",
        "disease", "drug", "vaccine", "cancer", "treatment", "pharmaceutical", "virus",
        "clinical"]),
    ("Hospitality_Recreation", &["travel", "hotel", "restaurant", "food", "vacation", "tourism",
        "tourist", "recipe", "cooking", "wine", "beer", "holiday", "trip"]),
    ("Human Interest", &["family", "love", "wedding", "birthday", "pet", "dog", "cat", "child",
        "children", "community"]),
    ("Labor", &["employment", "unemployment", "union", "strike", "wage", "salary", "employee",
        "hiring", "labor", "labour", "layoff", "pension"]),
    ("Law_Crime", &["court", "judge", "law", "lawyer", "police", "crime", "criminal", "arrest",
        "trial", "lawsuit", "prison", "murder", "theft", "legal", "fraud"]),
    ("Politics", &["government", "election", "president", "minister", "parliament", "congress",
        "senate", "vote", "voter", "policy", "political", "campaign", "democracy"]),
    ("Religion_Belief", &["church", "god", "religion", "religious", "faith", "pope", "mosque",
        "temple", "prayer", "bible"]),
    ("Social Issues", &["poverty", "immigration", "equality", "rights", "discrimination",
        "homeless", "welfare", "gender", "racism", "protest"]),
    ("Sports", &["football", "soccer", "basketball", "baseball", "tennis", "golf", "olympics",
        "match", "team", "league", "player", "coach", "championship", "tournament", "goal"]),
    ("Weather", &["weather", "rain", "snow", "temperature", "forecast", "sunny", "wind", "heat",
        "storm"]),
    ("War_Conflict", &["war", "military", "army", "troops", "soldier", "attack", "bombing",
        "conflict", "terrorism", "weapon", "missile", "invasion"]),
];

/// The text's topics, strongest first.
pub fn classify(words: &[String], entities: &[Entity]) -> Vec<Topic> {
    let mut hits = vec![0usize; LEXICON.len()];
    for w in words {
        let singular = w.strip_suffix('s').filter(|s| s.len() > 2);
        for (t, (_, lexicon)) in LEXICON.iter().enumerate() {
            if lexicon.contains(&w.as_str()) || singular.is_some_and(|s| lexicon.contains(&s)) {
                hits[t] += 1;
            }
        }
    }
    let tech = LEXICON
        .iter()
        .position(|(name, _)| *name == "Technology_Internet");
    if let Some(tech) = tech {
        hits[tech] += entities
            .iter()
            .filter(|e| e.kind == g::PROGRAMMING_LANGUAGE || e.kind == g::TECHNOLOGY)
            .map(|e| e.instances.len() * ENTITY_WEIGHT)
            .sum::<usize>();
    }
    let total: usize = hits.iter().sum();
    if total == 0 {
        return Vec::new();
    }
    let mut topics: Vec<Topic> = LEXICON
        .iter()
        .zip(&hits)
        .filter(|(_, h)| **h >= MIN_HITS)
        .map(|((name, _), h)| {
            // Word counts are far below 2^52: the casts are exact.
            #[allow(clippy::cast_precision_loss)]
            let share = *h as f64 / total as f64;
            Topic {
                name,
                score: (share * 1000.0).round() / 1000.0,
            }
        })
        .filter(|t| t.score >= MIN_SHARE)
        .collect();
    topics.sort_by(|a, b| b.score.total_cmp(&a.score));
    topics
}

#[cfg(test)]
mod tests {
    use super::super::{entities, words};
    use super::*;

    fn topics_of(text: &str) -> Vec<&'static str> {
        classify(&words(text), &entities::detect(text))
            .into_iter()
            .map(|t| t.name)
            .collect()
    }

    #[test]
    fn software_is_technology() {
        let t = topics_of(
            "Ruby on Rails is a fantastic web framework. It uses MVC, and the Ruby \
             programming language invented by Matz in Japan.",
        );
        assert_eq!(t.first(), Some(&"Technology_Internet"));
    }

    #[test]
    fn other_subjects() {
        assert_eq!(
            topics_of("The team won the football championship after the coach changed players.")
                .first(),
            Some(&"Sports")
        );
        assert_eq!(
            topics_of("Heavy rain and snow: the weather forecast warns of a storm.").first(),
            Some(&"Weather")
        );
        assert!(topics_of("Nothing to see here at all, really.").is_empty());
    }
}
