//! Sidekiq 6.4's retry policy (`JobRetry#process_retry`): fill the error
//! fields, count the retry, and decide between the retry set (with backoff
//! `count^4 + 15 + rand(10) * (count + 1)` seconds), the dead set, or
//! dropping the job. Mechanism (the stores) is kept apart from this policy.

use base64::Engine;
use rand::Rng;
use serde_json::Value;

use super::job::{Job, Retry};
use super::registry::JobError;

/// Sidekiq's default `max_retries`.
pub const DEFAULT_MAX_RETRIES: u32 = 25;
/// Sidekiq truncates error messages to this many characters.
const MAX_MESSAGE_CHARS: usize = 10_000;

#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// Retry at this epoch time.
    Retry { at: f64 },
    /// Retries exhausted, or a permanent error: into the dead set.
    Dead,
    /// `retry: false`, or exhausted with `dead: false`: dropped.
    Discard,
}

/// Sidekiq 6.4's delay before retry number `count` (0-based), in seconds.
pub fn delay_secs(count: u32, rng: &mut impl Rng) -> f64 {
    let c = f64::from(count);
    c.powi(4) + 15.0 + f64::from(rng.random_range(0..10u32)) * (c + 1.0)
}

/// Applies a failure to `job` (error fields, retry count) and decides what
/// happens next.
pub fn on_failure(job: &mut Job, err: &JobError, now: f64, rng: &mut impl Rng) -> Decision {
    let max = match job.retry() {
        Retry::Off => return Decision::Discard,
        Retry::Count(n) => n,
        Retry::Default => DEFAULT_MAX_RETRIES,
    };
    if let Some(q) = job
        .get("retry_queue")
        .and_then(Value::as_str)
        .and_then(|q| super::queue::QueueName::parse(q).ok())
    {
        job.set_queue(q);
    }
    job.set("error_message", Value::from(truncate(&err.message)));
    job.set("error_class", Value::from(err.class.as_str()));
    // Any integer counts as "failed before", -1 included: Sidekiq::Web's
    // "Retry Now" decrements retry_count so that the next failure is not
    // counted (Ruby: `if msg["retry_count"]` … `+= 1`).
    let previous = job.get("retry_count").and_then(serde_json::Value::as_i64);
    let count = match previous {
        Some(c) => {
            job.set_time("retried_at", now);
            u32::try_from(c.saturating_add(1).max(0)).unwrap_or(u32::MAX)
        }
        None => {
            job.set_time("failed_at", now);
            0
        }
    };
    job.set("retry_count", Value::from(count));
    if let Some(lines) = backtrace_lines(job.get("backtrace"), err) {
        job.set("error_backtrace", Value::from(compress_backtrace(&lines)));
    }
    let expired_for = match (
        job.get("retry_for").and_then(Value::as_f64),
        job.time("failed_at"),
    ) {
        (Some(secs), Some(first)) => first + secs < now,
        _ => false,
    };
    if count >= max || expired_for || err.permanent {
        if job.get("dead") == Some(&Value::Bool(false)) {
            Decision::Discard
        } else {
            Decision::Dead
        }
    } else {
        Decision::Retry {
            at: now + delay_secs(count, rng),
        }
    }
}

/// What happens next, as people read it: "retry 1 of 25 in 17 s (at
/// 2026-12-02T19:00:17Z)", "dead: no retries left", "dead: a permanent
/// error", "discarded (retry: false)".
pub fn describe(decision: &Decision, job: &Job, now: f64, permanent: bool) -> String {
    match decision {
        Decision::Retry { at } => {
            let attempt = job.retry_count().unwrap_or(0).saturating_add(1);
            let max = match job.retry() {
                Retry::Count(n) => n,
                _ => DEFAULT_MAX_RETRIES,
            };
            format!(
                "retry {attempt} of {max} in {} s (at {})",
                (at - now).max(0.0).round(),
                iso_time(*at)
            )
        }
        Decision::Dead if permanent => "dead: a permanent error, not retried".to_owned(),
        Decision::Dead => "dead: no retries left".to_owned(),
        Decision::Discard if job.retry() == Retry::Off => "discarded (retry: false)".to_owned(),
        Decision::Discard => "discarded (dead: false)".to_owned(),
    }
}

/// An epoch time as ISO-8601 UTC, to the second.
pub fn iso_time(t: f64) -> String {
    chrono::DateTime::from_timestamp(t.floor() as i64, 0)
        .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_else(|| format!("{t}"))
}

fn truncate(msg: &str) -> String {
    match msg.char_indices().nth(MAX_MESSAGE_CHARS) {
        Some((i, _)) => msg[..i].to_owned(),
        None => msg.to_owned(),
    }
}

/// The lines to keep under the job's `backtrace` option (`true` = all, N = first N).
fn backtrace_lines(option: Option<&Value>, err: &JobError) -> Option<Vec<String>> {
    let mut lines = vec![format!("{}: {}", err.class, err.message)];
    lines.extend(err.backtrace.iter().cloned());
    match option? {
        Value::Bool(true) => Some(lines),
        Value::Number(n) => {
            let n = usize::try_from(n.as_u64()?).ok()?;
            lines.truncate(n);
            Some(lines)
        }
        _ => None,
    }
}

/// `base64(zlib_deflate(JSON array))`, as Sidekiq's `compress_backtrace`.
pub fn compress_backtrace(lines: &[String]) -> String {
    use std::io::Write;
    let json = serde_json::to_vec(lines).unwrap_or_default();
    let mut enc = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    let _ = enc.write_all(&json);
    let bytes = enc.finish().unwrap_or_default();
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Reads an `error_backtrace` back (accepts Sidekiq 6's line-wrapped base64).
pub fn decompress_backtrace(s: &str) -> Option<Vec<String>> {
    use std::io::Read;
    let clean: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(clean)
        .ok()?;
    let mut json = Vec::new();
    flate2::read::ZlibDecoder::new(&bytes[..])
        .read_to_end(&mut json)
        .ok()?;
    serde_json::from_slice(&json).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::queue::QueueName;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    fn job(retry: Retry) -> Job {
        Job::new("FailJob", vec![], QueueName::default_queue(), retry)
    }

    #[test]
    fn backoff_matches_sidekiq_64() {
        let mut rng = StdRng::seed_from_u64(7);
        for count in 0..25u32 {
            for _ in 0..50 {
                let d = delay_secs(count, &mut rng);
                let base = f64::from(count).powi(4) + 15.0;
                let jitter = d - base;
                assert!(jitter >= 0.0 && jitter <= 9.0 * f64::from(count + 1));
                assert_eq!(jitter % f64::from(count + 1), 0.0);
            }
        }
    }

    #[test]
    fn first_failure_sets_failed_at_and_count_zero() {
        let mut rng = StdRng::seed_from_u64(1);
        let mut j = job(Retry::Default);
        let d = on_failure(&mut j, &JobError::runtime("boom"), 1000.0, &mut rng);
        assert!(matches!(d, Decision::Retry { at } if (1015.0..=1024.0).contains(&at)));
        assert_eq!(j.retry_count(), Some(0));
        assert_eq!(j.time("failed_at"), Some(1000.0));
        assert_eq!(j.error_message(), Some("boom"));
        assert_eq!(j.error_class(), Some("RuntimeError"));
        assert!(j.get("retried_at").is_none());
        let d = on_failure(&mut j, &JobError::runtime("again"), 2000.0, &mut rng);
        assert!(matches!(d, Decision::Retry { at } if (2016.0..=2034.0).contains(&at)));
        assert_eq!(j.retry_count(), Some(1));
        assert_eq!(j.time("retried_at"), Some(2000.0));
        assert_eq!(j.time("failed_at"), Some(1000.0));
    }

    #[test]
    fn a_manual_retry_of_count_minus_one_keeps_the_history() {
        let mut rng = StdRng::seed_from_u64(1);
        let mut j = job(Retry::Default);
        on_failure(&mut j, &JobError::runtime("boom"), 1000.0, &mut rng);
        // Sidekiq::Web's Retry Now: retry_count - 1, then push.
        j.set("retry_count", serde_json::Value::from(-1));
        on_failure(&mut j, &JobError::runtime("again"), 2000.0, &mut rng);
        assert_eq!(j.retry_count(), Some(0), "not counted");
        assert_eq!(j.time("retried_at"), Some(2000.0));
        assert_eq!(j.time("failed_at"), Some(1000.0), "failed_at kept");
    }

    #[test]
    fn retry_limits() {
        let mut rng = StdRng::seed_from_u64(1);
        let err = JobError::runtime("x");
        assert_eq!(
            on_failure(&mut job(Retry::Off), &err, 0.0, &mut rng),
            Decision::Discard
        );
        assert_eq!(
            on_failure(&mut job(Retry::Count(0)), &err, 0.0, &mut rng),
            Decision::Dead
        );
        let mut j = job(Retry::Count(2));
        assert!(matches!(
            on_failure(&mut j, &err, 0.0, &mut rng),
            Decision::Retry { .. }
        ));
        assert!(matches!(
            on_failure(&mut j, &err, 0.0, &mut rng),
            Decision::Retry { .. }
        ));
        assert_eq!(on_failure(&mut j, &err, 0.0, &mut rng), Decision::Dead);
        let mut j = job(Retry::Default);
        let mut n = 0;
        while on_failure(&mut j, &err, 0.0, &mut rng) != Decision::Dead {
            n += 1;
        }
        assert_eq!(n, 25);
        let mut j = job(Retry::Count(0));
        j.set("dead", Value::Bool(false));
        assert_eq!(on_failure(&mut j, &err, 0.0, &mut rng), Decision::Discard);
    }

    #[test]
    fn backtrace_option_compresses_like_sidekiq() {
        let mut rng = StdRng::seed_from_u64(1);
        let mut j = job(Retry::Default);
        j.set("backtrace", Value::from(1));
        let mut err = JobError::runtime("boom");
        err.backtrace = vec!["a".into(), "b".into()];
        on_failure(&mut j, &err, 0.0, &mut rng);
        let bt = j.get("error_backtrace").and_then(Value::as_str).unwrap();
        assert_eq!(
            decompress_backtrace(bt).unwrap(),
            vec!["RuntimeError: boom"]
        );
        // Sidekiq 6.4's own output for ["a","b"] style arrays decodes too:
        let wrapped = format!("{}\n", compress_backtrace(&["x".into()]));
        assert_eq!(decompress_backtrace(&wrapped).unwrap(), vec!["x"]);
    }

    #[test]
    fn permanent_errors_go_dead_at_once() {
        let mut rng = StdRng::seed_from_u64(1);
        let err = JobError::new("Net::SMTPFatalError", "552 too big").permanently();
        let mut j = job(Retry::Default);
        assert_eq!(on_failure(&mut j, &err, 5.0, &mut rng), Decision::Dead);
        assert_eq!(j.error_message(), Some("552 too big"));
        assert_eq!(j.error_class(), Some("Net::SMTPFatalError"));
        assert_eq!(j.retry_count(), Some(0));
        assert_eq!(
            on_failure(&mut job(Retry::Off), &err, 5.0, &mut rng),
            Decision::Discard
        );
        let mut j = job(Retry::Default);
        j.set("dead", Value::Bool(false));
        assert_eq!(on_failure(&mut j, &err, 5.0, &mut rng), Decision::Discard);
    }

    #[test]
    fn decisions_read_as_words() {
        let mut rng = StdRng::seed_from_u64(1);
        let mut j = job(Retry::Default);
        let d = on_failure(&mut j, &JobError::runtime("x"), 1_796_185_979.0, &mut rng);
        let text = describe(&d, &j, 1_796_185_979.0, false);
        assert!(text.starts_with("retry 1 of 25 in "), "{text}");
        assert!(text.contains(" s (at 2026-"), "{text}");
        assert!(text.ends_with("Z)"), "{text}");
        let mut j = job(Retry::Default);
        let d = on_failure(&mut j, &JobError::runtime("x").permanently(), 0.0, &mut rng);
        assert_eq!(
            describe(&d, &j, 0.0, true),
            "dead: a permanent error, not retried"
        );
        let mut j = job(Retry::Count(0));
        let d = on_failure(&mut j, &JobError::runtime("x"), 0.0, &mut rng);
        assert_eq!(describe(&d, &j, 0.0, false), "dead: no retries left");
        let mut j = job(Retry::Off);
        let d = on_failure(&mut j, &JobError::runtime("x"), 0.0, &mut rng);
        assert_eq!(describe(&d, &j, 0.0, false), "discarded (retry: false)");
    }

    #[test]
    fn retry_queue_and_long_messages() {
        let mut rng = StdRng::seed_from_u64(1);
        let mut j = job(Retry::Default);
        j.set("retry_queue", Value::from("low"));
        on_failure(
            &mut j,
            &JobError::runtime("é".repeat(20_000)),
            0.0,
            &mut rng,
        );
        assert_eq!(j.queue().as_str(), "low");
        assert_eq!(j.error_message().unwrap().chars().count(), 10_000);
    }
}
