//! Per-class metrics in both of Sidekiq's Redis layouts.
//!
//! Sidekiq 7 and 8 keep the same counters (`Class|p`, `Class|f`,
//! `Class|ms`) and the same 26-bucket histograms under different keys:
//!
//! | what | Sidekiq 7.x | Sidekiq 8.x |
//! | --- | --- | --- |
//! | per minute, 8 h | `j|20240115|9:5` | `j|240115|9:05` |
//! | per 10 minutes, 3 days | — | `j|240115|9:0` |
//! | histogram per minute, 8 h | `A-15-09:5` | `h|A-15-9:5` |
//!
//! **The decision: kiqlab writes both layouts, always**, so the Metrics page
//! of whichever Sidekiq reads this Redis (7.x, 8.x, or both during an
//! upgrade) lists what kiqlab ran, without asking which versions are live
//! (a Sidekiq::Web process is not in `processes`, and one may start later).
//! The cost is three more commands per class in the pipeline that follows an
//! acknowledgement (not more round trips).
//!
//! **Reading**, kiqlab takes per minute, class and counter (and histogram
//! bucket) the larger of the two layouts' values, so its own jobs, which are
//! in both, count once. That is exact while one Sidekiq major runs a class
//! beside kiqlab in a minute; if Sidekiq 7 *and* 8 processes both ran the
//! same class in the same minute, the smaller of their two shares is not
//! counted.

use std::collections::BTreeMap;

use crate::engine::store::metrics::{ClassDelta, METRICS_KEEP_SECS};

/// Both layouts' per-minute keys and histograms expire after 8 hours.
pub const MINUTE_TTL: i64 = METRICS_KEEP_SECS;
/// Sidekiq 8's 10-minute rollups expire after 3 days (`MID_TERM`).
pub const ROLLUP_TTL: i64 = 3 * 24 * 60 * 60;

fn utc(now: f64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp(now.floor() as i64, 0).unwrap_or_default()
}

/// Sidekiq 7's per-minute metrics key, `j|YYYYMMDD|H:M` in UTC without padding.
pub fn metrics_key_v7(now: f64) -> String {
    format!("j|{}", utc(now).format("%Y%m%d|%-H:%-M"))
}

/// Sidekiq 8's per-minute metrics key, `j|YYMMDD|H:MM` (minute padded).
pub fn metrics_key_v8(now: f64) -> String {
    format!("j|{}", utc(now).format("%y%m%d|%-H:%M"))
}

/// Sidekiq 8's 10-minute rollup: the minute key without its last digit.
pub fn rollup_key_v8(now: f64) -> String {
    let mut k = metrics_key_v8(now);
    k.pop();
    k
}

/// Sidekiq 7's per-minute histogram key of `class`: `Class-DD-HH:M` in UTC
/// (day and hour zero-padded, minute not).
pub fn histogram_key_v7(class: &str, now: f64) -> String {
    format!("{class}-{}", utc(now).format("%d-%H:%-M"))
}

/// Sidekiq 8's: `h|Class-D-H:M`, nothing padded.
pub fn histogram_key_v8(class: &str, now: f64) -> String {
    format!("h|{class}-{}", utc(now).format("%-d-%-H:%-M"))
}

/// Adds one batch's per-class metrics to `pipe` in both layouts.
pub fn write(pipe: &mut redis::Pipeline, deltas: &BTreeMap<&str, ClassDelta>, now: f64) {
    if deltas.is_empty() {
        return;
    }
    let counters = [
        (metrics_key_v7(now), MINUTE_TTL),
        (metrics_key_v8(now), MINUTE_TTL),
        (rollup_key_v8(now), ROLLUP_TTL),
    ];
    for (key, ttl) in &counters {
        for (class, d) in deltas {
            for (kind, n) in [("ms", d.ms), ("p", d.executions), ("f", d.failures)] {
                // Sidekiq writes `p` always, `ms` and `f` when there are any.
                if n > 0 || kind == "p" {
                    pipe.cmd("HINCRBY")
                        .arg(key)
                        .arg(format!("{class}|{kind}"))
                        .arg(n)
                        .ignore();
                }
            }
        }
        pipe.cmd("EXPIRE").arg(key).arg(*ttl).ignore();
    }
    for (class, d) in deltas {
        if d.buckets.is_empty() {
            continue;
        }
        for hkey in [histogram_key_v7(class, now), histogram_key_v8(class, now)] {
            // Saturating u16 counters per bucket, as both versions keep them.
            let mut bf = redis::cmd("BITFIELD");
            bf.arg(&hkey).arg("OVERFLOW").arg("SAT");
            for (bucket, n) in &d.buckets {
                bf.arg("INCRBY")
                    .arg("u16")
                    .arg(format!("#{bucket}"))
                    .arg(*n);
            }
            pipe.add_command(bf).ignore();
            pipe.cmd("EXPIRE").arg(&hkey).arg(MINUTE_TTL).ignore();
        }
    }
}

/// One minute's `Class|kind ⇒ n` fields from both layouts: the larger
/// value per field (kiqlab's own runs are in both).
pub fn merge_fields(v7: Vec<(String, u64)>, v8: Vec<(String, u64)>) -> BTreeMap<String, u64> {
    let mut out: BTreeMap<String, u64> = BTreeMap::new();
    for (field, n) in v7.into_iter().chain(v8) {
        let e = out.entry(field).or_default();
        *e = (*e).max(n);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_follow_each_version() {
        // 2024-01-05 09:05:30 UTC
        let t = 1704445530.0;
        assert_eq!(metrics_key_v7(t), "j|20240105|9:5");
        assert_eq!(metrics_key_v8(t), "j|240105|9:05");
        assert_eq!(rollup_key_v8(t), "j|240105|9:0");
        assert_eq!(histogram_key_v7("A", t), "A-05-09:5");
        assert_eq!(histogram_key_v8("A", t), "h|A-5-9:5");
        // 21:43 → the 21:40 rollup.
        let t = 1704490980.0;
        assert_eq!(metrics_key_v8(t), "j|240105|21:43");
        assert_eq!(rollup_key_v8(t), "j|240105|21:4");
    }

    #[test]
    fn merged_fields_take_the_larger_count() {
        let v7 = vec![("A|p".to_owned(), 3), ("B|p".to_owned(), 1)];
        let v8 = vec![("A|p".to_owned(), 5), ("C|f".to_owned(), 2)];
        let m = merge_fields(v7, v8);
        assert_eq!(m["A|p"], 5);
        assert_eq!(m["B|p"], 1);
        assert_eq!(m["C|f"], 2);
    }
}
