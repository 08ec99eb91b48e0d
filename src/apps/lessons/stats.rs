//! The figures of a load run: percentiles (nearest rank, as load tools
//! report them), the per-mode summary, and latency over time in buckets.
//! Pure arithmetic on samples; the driver (`load`) collects them.

use serde::Serialize;

/// One request of a run: when it started (seconds after the run began), how
/// long it took, and whether it got an answer that is not an error.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    pub at_s: f64,
    pub ms: f64,
    pub ok: bool,
}

/// The nearest-rank `p`th percentile (0–100) of `sorted` (ascending): the
/// smallest value with at least `p`% of the values at or below it. `None`
/// for no values.
pub fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let p = p.clamp(0.0, 100.0);
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

/// Sorts latencies for `percentile` (NaN, which a clock never gives, last).
pub fn sorted(mut values: Vec<f64>) -> Vec<f64> {
    values.sort_by(|a, b| a.total_cmp(b));
    values
}

/// What a mode's run amounts to. Latency figures are over the requests that
/// succeeded (`None` when none did); errors are counted apart.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    pub requests: usize,
    pub ok: usize,
    pub errors: usize,
    pub p50_ms: Option<f64>,
    pub p95_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub max_ms: Option<f64>,
    /// Answered requests (successes and errors) per second of the run.
    pub req_per_s: f64,
    pub elapsed_s: f64,
}

impl Summary {
    pub fn of(samples: &[Sample], elapsed_s: f64) -> Summary {
        let ok = sorted(samples.iter().filter(|s| s.ok).map(|s| s.ms).collect());
        let req_per_s = if elapsed_s > 0.0 {
            samples.len() as f64 / elapsed_s
        } else {
            0.0
        };
        Summary {
            requests: samples.len(),
            ok: ok.len(),
            errors: samples.len() - ok.len(),
            p50_ms: percentile(&ok, 50.0),
            p95_ms: percentile(&ok, 95.0),
            p99_ms: percentile(&ok, 99.0),
            max_ms: ok.last().copied(),
            req_per_s,
            elapsed_s,
        }
    }
}

/// The requests that started in one slice of the run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Bucket {
    /// Where the slice starts, in seconds after the run began.
    pub from_s: f64,
    pub count: usize,
    pub p50_ms: Option<f64>,
    pub max_ms: Option<f64>,
}

/// Latency over time: the run cut into `width_s` slices by when each
/// request started (successes only; empty slices are kept, as gaps).
pub fn buckets(samples: &[Sample], width_s: f64) -> Vec<Bucket> {
    if samples.is_empty() || width_s <= 0.0 || !width_s.is_finite() {
        return Vec::new();
    }
    let last = samples.iter().map(|s| s.at_s.max(0.0)).fold(0.0, f64::max);
    let n = (last / width_s).floor() as usize + 1;
    let mut slices: Vec<Vec<f64>> = vec![Vec::new(); n];
    for s in samples.iter().filter(|s| s.ok) {
        let i = ((s.at_s.max(0.0) / width_s).floor() as usize).min(n - 1);
        slices[i].push(s.ms);
    }
    slices
        .into_iter()
        .enumerate()
        .map(|(i, v)| {
            let v = sorted(v);
            Bucket {
                from_s: i as f64 * width_s,
                count: v.len(),
                p50_ms: percentile(&v, 50.0),
                max_ms: v.last().copied(),
            }
        })
        .collect()
}

/// A slice width giving about `slices` buckets over `elapsed_s` (at least
/// 0.1 s).
pub fn bucket_width(elapsed_s: f64, slices: usize) -> f64 {
    (elapsed_s / slices.max(1) as f64).max(0.1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 50.0), Some(50.0));
        assert_eq!(percentile(&v, 95.0), Some(95.0));
        assert_eq!(percentile(&v, 99.0), Some(99.0));
        assert_eq!(percentile(&v, 100.0), Some(100.0));
        assert_eq!(percentile(&v, 0.0), Some(1.0));
        assert_eq!(percentile(&[7.0], 99.0), Some(7.0));
        assert_eq!(percentile(&[], 50.0), None);
        let small = sorted(vec![40.0, 10.0, 30.0, 20.0]);
        assert_eq!(percentile(&small, 50.0), Some(20.0));
        assert_eq!(percentile(&small, 51.0), Some(30.0));
        assert_eq!(percentile(&small, 99.0), Some(40.0));
        assert_eq!(percentile(&small, 250.0), Some(40.0));
    }

    #[test]
    fn a_summary_counts_errors_apart_from_latency() {
        let s = |ms, ok| Sample { at_s: 0.0, ms, ok };
        let samples = [
            s(100.0, true),
            s(300.0, true),
            s(5.0, false),
            s(200.0, true),
        ];
        let sum = Summary::of(&samples, 2.0);
        assert_eq!((sum.requests, sum.ok, sum.errors), (4, 3, 1));
        assert_eq!(sum.p50_ms, Some(200.0));
        assert_eq!(sum.max_ms, Some(300.0));
        assert_eq!(sum.req_per_s, 2.0);
        let none = Summary::of(&[s(1.0, false)], 0.0);
        assert_eq!(
            (none.p50_ms, none.max_ms, none.req_per_s),
            (None, None, 0.0)
        );
    }

    #[test]
    fn buckets_slice_by_start_time_and_keep_gaps() {
        let s = |at_s, ms| Sample { at_s, ms, ok: true };
        let b = buckets(&[s(0.1, 10.0), s(0.9, 30.0), s(2.5, 500.0)], 1.0);
        assert_eq!(b.len(), 3);
        assert_eq!(
            (b[0].count, b[0].p50_ms, b[0].max_ms),
            (2, Some(10.0), Some(30.0))
        );
        assert_eq!((b[1].count, b[1].p50_ms), (0, None));
        assert_eq!((b[2].from_s, b[2].max_ms), (2.0, Some(500.0)));
        assert!(buckets(&[], 1.0).is_empty());
        assert!(buckets(&[s(1.0, 1.0)], 0.0).is_empty());
        assert_eq!(bucket_width(30.0, 30), 1.0);
        assert_eq!(bucket_width(0.0, 30), 0.1);
    }
}
