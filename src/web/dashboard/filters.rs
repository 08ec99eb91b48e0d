//! Tera filters for the dashboard's templates: relative times ("3 min ago"),
//! numbers with thousands separators, byte and kilobyte sizes, latencies.

use std::collections::HashMap;

use serde_json::Value;
use tera::Tera;

use crate::engine::clock::now_secs;

pub fn register(t: &mut Tera) {
    t.register_filter("ago", ago);
    t.register_filter("number", number);
    t.register_filter("kb", kb);
    t.register_filter("bytes", bytes);
    t.register_filter("secs", secs);
}

/// Epoch seconds → "12 s ago" / "in 3 min".
fn ago(v: &Value, _: &HashMap<String, Value>) -> tera::Result<Value> {
    let Some(t) = v.as_f64().filter(|t| *t > 0.0) else {
        return Ok(Value::String(String::new()));
    };
    Ok(Value::String(relative(t, now_secs())))
}

pub fn relative(t: f64, now: f64) -> String {
    let d = now - t;
    let a = d.abs();
    let span = if a < 60.0 {
        format!("{a:.0} s")
    } else if a < 3600.0 {
        format!("{:.0} min", a / 60.0)
    } else if a < 86_400.0 {
        format!("{:.1} h", a / 3600.0)
    } else {
        format!("{:.1} days", a / 86_400.0)
    };
    if d >= 0.0 {
        format!("{span} ago")
    } else {
        format!("in {span}")
    }
}

pub fn group(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn number(v: &Value, _: &HashMap<String, Value>) -> tera::Result<Value> {
    Ok(Value::String(match v {
        Value::Number(n) if n.is_u64() => group(n.as_u64().unwrap_or(0)),
        Value::Number(n) => format!("{:.1}", n.as_f64().unwrap_or(0.0)),
        other => other.as_str().unwrap_or_default().to_owned(),
    }))
}

fn human_bytes(b: f64) -> String {
    const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    let mut v = b;
    let mut i = 0;
    while v >= 1024.0 && i < UNITS.len() - 1 {
        v /= 1024.0;
        i += 1;
    }
    if i == 0 {
        format!("{v:.0} {}", UNITS[i])
    } else {
        format!("{v:.1} {}", UNITS[i])
    }
}

fn bytes(v: &Value, _: &HashMap<String, Value>) -> tera::Result<Value> {
    Ok(Value::String(human_bytes(v.as_f64().unwrap_or(0.0))))
}

fn kb(v: &Value, _: &HashMap<String, Value>) -> tera::Result<Value> {
    Ok(Value::String(human_bytes(
        v.as_f64().unwrap_or(0.0) * 1024.0,
    )))
}

/// Seconds → "0.25 s" / "3 min".
fn secs(v: &Value, _: &HashMap<String, Value>) -> tera::Result<Value> {
    let s = v.as_f64().unwrap_or(0.0);
    Ok(Value::String(if s < 60.0 {
        format!("{s:.2} s")
    } else if s < 3600.0 {
        format!("{:.1} min", s / 60.0)
    } else {
        format!("{:.1} h", s / 3600.0)
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(group(1234567), "1,234,567");
        assert_eq!(group(12), "12");
        assert_eq!(relative(100.0, 130.0), "30 s ago");
        assert_eq!(relative(400.0, 100.0), "in 5 min");
        assert_eq!(human_bytes(30524.0 * 1024.0), "29.8 MB");
    }
}
