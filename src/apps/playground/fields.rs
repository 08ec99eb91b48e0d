//! The playground's form fields parsed: numbers within bounds, a job count,
//! a time for `perform_at`, the message (with its default).

use crate::domain::Invalid;

/// A minute from now, for the `perform_at` field.
pub fn default_at() -> String {
    (chrono::Utc::now() + chrono::Duration::seconds(60))
        .format("%Y-%m-%dT%H:%M:%S")
        .to_string()
}

pub fn number(s: &str, name: &str, default: f64, max: f64) -> Result<f64, Invalid> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(default);
    }
    match s.parse::<f64>() {
        Ok(n) if n.is_finite() && (0.0..=max).contains(&n) => Ok(n),
        _ => Err(Invalid::new(format!(
            "{name} must be a number from 0 to {max}."
        ))),
    }
}

pub fn count(s: &str, max: u64) -> Result<u64, Invalid> {
    match number(s, "The count", 1.0, max as f64) {
        Ok(n) if n >= 1.0 && n.fract() == 0.0 => Ok(n as u64),
        _ => Err(Invalid::new(format!(
            "The count must be a whole number from 1 to {max}."
        ))),
    }
}

/// `YYYY-MM-DDTHH:MM[:SS]` (a datetime-local field, read as UTC) or RFC 3339.
pub fn parse_at(s: &str) -> Result<f64, Invalid> {
    let s = s.trim();
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Ok(t.timestamp_micros() as f64 / 1e6);
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(s, fmt) {
            return Ok(t.and_utc().timestamp_micros() as f64 / 1e6);
        }
    }
    Err(Invalid::new("Give a time like 2026-11-25T15:00:00 (UTC)."))
}

/// The message field, or `default` when it is blank; at most 500 characters.
pub fn message(field: &str, default: &str) -> String {
    let m = field.trim();
    if m.is_empty() {
        default.to_owned()
    } else {
        m.chars().take(500).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_parsing() {
        assert_eq!(count("", 10), Ok(1));
        assert_eq!(count("500", 10_000), Ok(500));
        assert!(count("0", 10).is_err());
        assert!(count("1.5", 10).is_err());
        assert_eq!(
            count("11", 10).unwrap_err().0,
            "The count must be a whole number from 1 to 10."
        );
        assert_eq!(parse_at("2026-11-25T15:00:00"), Ok(1795618800.0));
        assert_eq!(parse_at("2026-11-25T15:00"), Ok(1795618800.0));
        assert!(parse_at("soon").is_err());
        assert!(number("-1", "x", 0.0, 5.0).is_err());
    }
}
