//! The sorted sets and queue pages as the read and admin sides see them:
//! which set (`SetKind`), an entry's key (`<score>-<jid>`), an entry, a
//! queued job, which page of them (`Page`, `SetQuery`), what a removal
//! found (`Removal`), and the dead set's limits.

use std::fmt;

use serde::Serialize;

use crate::engine::job::Job;

/// The sorted sets of Sidekiq's layout (plus sidekiq-failures' `failed`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SetKind {
    Schedule,
    Retry,
    Dead,
    Failed,
}

impl SetKind {
    pub const ALL: [SetKind; 4] = [
        SetKind::Schedule,
        SetKind::Retry,
        SetKind::Dead,
        SetKind::Failed,
    ];

    /// The Redis key, which is also the state name in SQLite.
    pub fn key(self) -> &'static str {
        match self {
            SetKind::Schedule => "schedule",
            SetKind::Retry => "retry",
            SetKind::Dead => "dead",
            SetKind::Failed => "failed",
        }
    }
}

/// Identifies a sorted-set entry as Sidekiq::Web does: `<score>-<jid>`.
#[derive(Debug, Clone, PartialEq)]
pub struct EntryKey {
    pub score: f64,
    pub jid: String,
}

impl EntryKey {
    pub fn parse(s: &str) -> Option<EntryKey> {
        let (score, jid) = s.rsplit_once('-')?;
        let score: f64 = score.parse().ok()?;
        if jid.is_empty() || !score.is_finite() {
            return None;
        }
        Some(EntryKey {
            score,
            jid: jid.to_owned(),
        })
    }
}

impl fmt::Display for EntryKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", format_score(self.score), self.jid)
    }
}

/// A score as Ruby's `Float#to_s` prints it for epoch times (`1795618700.6590819`).
pub fn format_score(score: f64) -> String {
    if score.fract() == 0.0 && score.abs() < 1e16 {
        format!("{score:.1}")
    } else {
        format!("{score}")
    }
}

/// One entry of a sorted set.
#[derive(Debug, Clone)]
pub struct SortedEntry {
    pub score: f64,
    /// The member exactly as stored.
    pub raw: String,
    /// `None` when the stored payload is not a valid job.
    pub job: Option<Job>,
}

impl SortedEntry {
    pub fn new(score: f64, raw: String) -> SortedEntry {
        let job = Job::parse(&raw).ok();
        SortedEntry { score, raw, job }
    }

    pub fn jid(&self) -> &str {
        self.job.as_ref().map(Job::jid).unwrap_or("")
    }

    pub fn key(&self) -> EntryKey {
        EntryKey {
            score: self.score,
            jid: self.jid().to_owned(),
        }
    }
}

/// A job waiting in a queue.
#[derive(Debug, Clone)]
pub struct QueuedJob {
    pub raw: String,
    pub job: Option<Job>,
}

impl QueuedJob {
    pub fn new(raw: String) -> QueuedJob {
        let job = Job::parse(&raw).ok();
        QueuedJob { raw, job }
    }
}

/// Which rows of a list: `limit` rows from `offset`, counted from the next
/// to run (oldest, lowest score) or from the newest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub offset: u64,
    pub limit: u64,
    pub newest_first: bool,
}

impl Page {
    /// From the next to run (a queue's tail, a set's lowest score).
    pub fn oldest(offset: u64, limit: u64) -> Page {
        Page {
            offset,
            limit,
            newest_first: false,
        }
    }

    /// From the newest.
    pub fn newest(offset: u64, limit: u64) -> Page {
        Page {
            offset,
            limit,
            newest_first: true,
        }
    }
}

/// A paged read of a sorted set, optionally only the entries whose payload
/// contains `filter` (case-sensitive, as Redis' `ZSCAN MATCH` is).
#[derive(Debug, Clone, PartialEq)]
pub struct SetQuery {
    pub set: SetKind,
    pub page: Page,
    pub filter: Option<String>,
}

impl SetQuery {
    pub fn new(set: SetKind, page: Page) -> SetQuery {
        SetQuery {
            set,
            page,
            filter: None,
        }
    }

    /// Only entries containing `filter` (an empty filter means none).
    pub fn matching(mut self, filter: Option<impl Into<String>>) -> SetQuery {
        self.filter = filter.map(Into::into).filter(|f| !f.is_empty());
        self
    }

    /// The filter, `None` when empty.
    pub fn filter(&self) -> Option<&str> {
        self.filter.as_deref().filter(|f| !f.is_empty())
    }
}

/// What a request to remove one record found.
#[derive(Debug, Clone, PartialEq)]
#[must_use]
pub enum Removal<T = ()> {
    /// It was there, and now it is not.
    Removed(T),
    /// Nothing matched (someone else took it, or it never was).
    NotFound,
}

impl<T> Removal<T> {
    pub fn is_removed(&self) -> bool {
        matches!(self, Removal::Removed(_))
    }

    pub fn into_option(self) -> Option<T> {
        match self {
            Removal::Removed(t) => Some(t),
            Removal::NotFound => None,
        }
    }
}

/// Limits on the dead set (Sidekiq's `dead_max_jobs`, `dead_timeout_in_seconds`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DeadLimits {
    pub max_jobs: u64,
    pub timeout_secs: f64,
}

impl Default for DeadLimits {
    fn default() -> Self {
        DeadLimits {
            max_jobs: 10_000,
            timeout_secs: 180.0 * 86_400.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::excessive_precision)] // Ruby's own digits, on purpose
    fn entry_keys_round_trip() {
        let k = EntryKey::parse("1795618700.6590819-c84b9c896976df6f502a5df7").unwrap();
        // Redis prints 17 digits; Ruby's Float#to_s (and so Sidekiq::Web's
        // keys) the shortest that round-trips, as Rust does.
        assert_eq!(k.score, 1_795_618_700.659_082);
        assert_eq!(k.to_string(), "1795618700.659082-c84b9c896976df6f502a5df7");
        assert_eq!(
            EntryKey {
                score: 5.0,
                jid: "a".into()
            }
            .to_string(),
            "5.0-a"
        );
        assert!(EntryKey::parse("nope").is_none());
        assert!(EntryKey::parse("1.5-").is_none());
    }

    #[test]
    fn an_empty_filter_is_no_filter() {
        let q = SetQuery::new(SetKind::Retry, Page::oldest(0, 10)).matching(Some(""));
        assert_eq!(q.filter(), None);
        let q = q.matching(Some("boom"));
        assert_eq!(q.filter(), Some("boom"));
        assert!(Removal::Removed(()).is_removed());
        assert_eq!(Removal::<u8>::NotFound.into_option(), None);
    }
}
