//! One execution's record: which job ran where (host, IP, pid), when, for
//! how long, and how it ended. The recent-jobs feed keeps these as JSON;
//! per-class metrics are summed from them.

use serde::{Deserialize, Serialize};

/// How one execution ended (the feed's `outcome` field).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunOutcome {
    Done,
    /// Failed; filed in the retry set.
    Retry,
    /// Failed for the last time (or unreadable): the dead set.
    Dead,
    /// Failed with `retry: false`: dropped, only counted.
    Discarded,
}

impl RunOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            RunOutcome::Done => "done",
            RunOutcome::Retry => "retry",
            RunOutcome::Dead => "dead",
            RunOutcome::Discarded => "discarded",
        }
    }

    pub fn failed(self) -> bool {
        self != RunOutcome::Done
    }
}

/// How one execution ended, for the recent-jobs feed and per-class metrics.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct JobRecord {
    pub jid: String,
    pub class: String,
    pub queue: String,
    /// Process name (hostname or `--name`), IP and pid that ran it.
    pub host: String,
    pub ip: String,
    pub pid: u32,
    pub started_at: f64,
    pub duration_ms: f64,
    pub outcome: RunOutcome,
    pub error: Option<String>,
    /// Where a failure came from (its causes, then the handler and the
    /// worker), for sidekiq-failures' `error_backtrace`; not kept in the feed.
    #[serde(skip)]
    pub backtrace: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_keep_their_feed_names() {
        for o in [
            RunOutcome::Done,
            RunOutcome::Retry,
            RunOutcome::Dead,
            RunOutcome::Discarded,
        ] {
            let json = serde_json::to_string(&o).unwrap();
            assert_eq!(json, format!("\"{}\"", o.as_str()));
            assert_eq!(serde_json::from_str::<RunOutcome>(&json).unwrap(), o);
        }
    }
}
