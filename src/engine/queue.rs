//! Queue names and the worker's queue list: `-q NAME[,WEIGHT]` parsing and
//! Sidekiq's fetch order (strict, or a weighted shuffle on every fetch).

use std::fmt;

use rand::seq::SliceRandom;

/// A queue name as Sidekiq::Web accepts it: `[a-z_:.\-0-9]+`, case-insensitive.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct QueueName(String);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum QueueError {
    #[error("queue name is empty")]
    Empty,
    #[error("queue name {0:?} may only hold letters, digits, '_', ':', '.' and '-'")]
    BadChar(String),
    #[error("queue name {0:?} is longer than 128 characters")]
    TooLong(String),
    #[error("bad queue weight in {0:?}: expected NAME or NAME,WEIGHT with WEIGHT a whole number")]
    BadWeight(String),
    #[error("queue weight 0 in {0:?}: a weight is 1 or more (Sidekiq reads 0 as 1); leave it out for strict order")]
    ZeroWeight(String),
    #[error("no queues given")]
    NoQueues,
}

impl QueueName {
    pub fn parse(s: &str) -> Result<QueueName, QueueError> {
        if s.is_empty() {
            return Err(QueueError::Empty);
        }
        if s.len() > 128 {
            return Err(QueueError::TooLong(s.to_owned()));
        }
        if !s
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b':' | b'.' | b'-'))
        {
            return Err(QueueError::BadChar(s.to_owned()));
        }
        Ok(QueueName(s.to_owned()))
    }

    /// A queue another client (Ruby Sidekiq takes any string) wrote to the
    /// store under a name `parse` refuses, such as `"mailers high"`: kept so
    /// it can be shown and cleared, flagged by `is_odd`. Only empty names and
    /// names over 1,024 bytes are refused.
    pub fn foreign(s: &str) -> Option<QueueName> {
        (!s.is_empty() && s.len() <= 1024).then(|| QueueName(s.to_owned()))
    }

    /// True for a name `parse` refuses (one that only `foreign` admits): a
    /// queue kiqlab's workers cannot be told to fetch with `-q`.
    pub fn is_odd(&self) -> bool {
        QueueName::parse(&self.0).is_err()
    }

    pub fn default_queue() -> QueueName {
        QueueName("default".into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for QueueName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl serde::Serialize for QueueName {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl std::str::FromStr for QueueName {
    type Err = QueueError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        QueueName::parse(s)
    }
}

/// One `-q` argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeightedQueue {
    pub name: QueueName,
    pub weight: u32,
}

impl std::str::FromStr for WeightedQueue {
    type Err = QueueError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (name, weight) = match s.split_once(',') {
            None => (s, 0),
            Some((n, w)) => (
                n,
                w.trim()
                    .parse::<u32>()
                    .map_err(|_| QueueError::BadWeight(s.to_owned()))?,
            ),
        };
        if weight == 0 && s.contains(',') {
            return Err(QueueError::ZeroWeight(s.to_owned()));
        }
        Ok(WeightedQueue {
            name: QueueName::parse(name.trim())?,
            weight,
        })
    }
}

/// The queues a worker serves and how it orders them on each fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueSpec {
    /// Distinct queues in the order given.
    queues: Vec<QueueName>,
    /// Each queue repeated `max(weight, 1)` times (Sidekiq's `parse_queue`).
    weighted: Vec<QueueName>,
    /// The weights as given, for the heartbeat's `weights`.
    weights: Vec<(QueueName, u32)>,
    strict: bool,
}

impl QueueSpec {
    /// Strict order when `strict` is set or no weight is given, as Sidekiq 6 does.
    pub fn new(list: Vec<WeightedQueue>, strict: bool) -> Result<QueueSpec, QueueError> {
        if list.is_empty() {
            return Err(QueueError::NoQueues);
        }
        let strict = strict || list.iter().all(|q| q.weight == 0);
        let mut queues: Vec<QueueName> = Vec::new();
        let mut weighted = Vec::new();
        let mut weights: Vec<(QueueName, u32)> = Vec::new();
        for q in list {
            for _ in 0..q.weight.max(1) {
                weighted.push(q.name.clone());
            }
            if !queues.contains(&q.name) {
                queues.push(q.name.clone());
                weights.push((q.name, q.weight));
            }
        }
        Ok(QueueSpec {
            queues,
            weighted,
            weights,
            strict,
        })
    }

    pub fn single(name: QueueName) -> QueueSpec {
        QueueSpec {
            queues: vec![name.clone()],
            weighted: vec![name.clone()],
            weights: vec![(name, 0)],
            strict: true,
        }
    }

    pub fn queues(&self) -> &[QueueName] {
        &self.queues
    }

    pub fn weights(&self) -> &[(QueueName, u32)] {
        &self.weights
    }

    pub fn is_strict(&self) -> bool {
        self.strict
    }

    /// The order in which to try the queues for one fetch: fixed when strict,
    /// otherwise `shuffle.uniq` of the weighted list, so a queue is tried first
    /// with probability proportional to its weight.
    pub fn fetch_order(&self) -> Vec<QueueName> {
        if self.strict {
            return self.queues.clone();
        }
        let mut list: Vec<&QueueName> = self.weighted.iter().collect();
        list.shuffle(&mut rand::rng());
        let mut out: Vec<QueueName> = Vec::with_capacity(self.queues.len());
        for q in list {
            if !out.contains(q) {
                out.push(q.clone());
            }
        }
        out
    }
}

impl Default for QueueSpec {
    fn default() -> Self {
        QueueSpec::single(QueueName::default_queue())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wq(s: &str) -> WeightedQueue {
        s.parse().unwrap()
    }

    #[test]
    fn parses_names_and_weights() {
        assert_eq!(wq("critical,3").weight, 3);
        assert_eq!(wq("low").weight, 0);
        assert!(matches!(
            "low,0".parse::<WeightedQueue>(),
            Err(QueueError::ZeroWeight(_))
        ));
        assert!("bad name".parse::<WeightedQueue>().is_err());
        assert!("a,x".parse::<WeightedQueue>().is_err());
        assert!(",3".parse::<WeightedQueue>().is_err());
        assert!(QueueName::parse("mailers:high-1.x").is_ok());
    }

    #[test]
    fn no_weights_means_strict_order() {
        let spec = QueueSpec::new(vec![wq("a"), wq("b"), wq("c")], false).unwrap();
        assert!(spec.is_strict());
        for _ in 0..20 {
            assert_eq!(spec.fetch_order().len(), 3);
            assert_eq!(spec.fetch_order()[0].as_str(), "a");
        }
    }

    #[test]
    fn weights_shuffle_in_proportion() {
        let spec = QueueSpec::new(vec![wq("urgent,3"), wq("default,1")], false).unwrap();
        assert!(!spec.is_strict());
        let n = 20_000;
        let first_urgent = (0..n)
            .filter(|_| spec.fetch_order()[0].as_str() == "urgent")
            .count();
        let share = first_urgent as f64 / n as f64;
        // Expected 0.75; the bound is 10 standard deviations wide.
        assert!((share - 0.75).abs() < 0.031, "urgent first in {share}");
        assert!(spec.fetch_order().len() == 2);
    }

    #[test]
    fn strict_flag_overrides_weights() {
        let spec = QueueSpec::new(vec![wq("b,1"), wq("a,5")], true).unwrap();
        assert!(spec.is_strict());
        assert_eq!(spec.fetch_order()[0].as_str(), "b");
    }

    #[test]
    fn empty_list_is_an_error() {
        assert_eq!(QueueSpec::new(vec![], false), Err(QueueError::NoQueues));
    }
}
