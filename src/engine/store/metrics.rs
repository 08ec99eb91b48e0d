//! Per-class execution metrics as Sidekiq 7 keeps them: per-minute counters
//! (executions, failures, milliseconds of successful runs) and a duration
//! histogram of successful runs in 26 fixed buckets, both kept 8 hours.

use std::collections::BTreeMap;

use serde::Serialize;

use super::Completion;

/// Both stores keep metrics this long (Sidekiq 7's `HISTOGRAM_TTL`).
pub const METRICS_KEEP_SECS: i64 = 8 * 60 * 60;

/// Number of histogram buckets.
pub const BUCKETS: usize = 26;

/// Upper bounds in milliseconds of the first 25 buckets (Sidekiq 7's
/// `BUCKET_INTERVALS`); the 26th holds everything slower.
pub const BUCKET_BOUNDS_MS: [u64; BUCKETS - 1] = [
    20, 30, 45, 65, 100, 150, 225, 335, 500, 750, 1100, 1700, 2500, 3800, 5750, 8500, 13000, 20000,
    30000, 45000, 65000, 100000, 150000, 225000, 335000,
];

/// A label per bucket, as Sidekiq's metrics page prints them.
pub const BUCKET_LABELS: [&str; BUCKETS] = [
    "20ms", "30ms", "45ms", "65ms", "100ms", "150ms", "225ms", "335ms", "500ms", "750ms", "1.1s",
    "1.7s", "2.5s", "3.8s", "5.75s", "8.5s", "13s", "20s", "30s", "45s", "65s", "100s", "150s",
    "225s", "335s", "Slow",
];

/// The bucket a run of `ms` milliseconds counts in (the first whose bound
/// is above it).
pub fn bucket_for(ms: f64) -> usize {
    BUCKET_BOUNDS_MS
        .iter()
        .position(|&b| ms < b as f64)
        .unwrap_or(BUCKETS - 1)
}

/// Counts per bucket.
pub type Histogram = [u64; BUCKETS];

/// One class's executions in one minute (Sidekiq 7's `j|…` hash fields).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClassMinute {
    /// Start of the minute, epoch seconds.
    pub minute: i64,
    pub class: String,
    /// Milliseconds spent in successful runs.
    pub ms: u64,
    pub executions: u64,
    pub failures: u64,
}

/// What one batch of completions adds to one class's metrics.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClassDelta {
    pub ms: u64,
    pub executions: u64,
    pub failures: u64,
    /// Successful runs per bucket; only non-zero entries.
    pub buckets: BTreeMap<usize, u64>,
}

/// Sums a batch per class, so a store writes one update per class and
/// bucket rather than one per job.
pub fn batch_deltas<'a>(
    batch: impl IntoIterator<Item = &'a Completion>,
) -> BTreeMap<&'a str, ClassDelta> {
    let mut out: BTreeMap<&str, ClassDelta> = BTreeMap::new();
    for c in batch {
        let Some(r) = &c.record else { continue };
        let d = out.entry(r.class.as_str()).or_default();
        d.executions += 1;
        if c.failed() {
            d.failures += 1;
        } else {
            d.ms += r.duration_ms.max(0.0).round() as u64;
            *d.buckets.entry(bucket_for(r.duration_ms)).or_default() += 1;
        }
    }
    out
}

/// Start of the minute holding `t`, epoch seconds.
pub fn minute_of(t: f64) -> i64 {
    (t / 60.0).floor() as i64 * 60
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_follow_sidekiq_bounds() {
        assert_eq!(bucket_for(0.0), 0);
        assert_eq!(bucket_for(19.9), 0);
        assert_eq!(bucket_for(20.0), 1);
        assert_eq!(bucket_for(280.0), 7);
        assert_eq!(bucket_for(334_999.0), 24);
        assert_eq!(bucket_for(335_000.0), 25);
        assert_eq!(bucket_for(1e12), 25);
        assert_eq!(minute_of(125.0), 120);
    }
}
