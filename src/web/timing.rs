//! Response timing: a middleware that measures every request, writes the
//! `Server-Timing` header, fills the server time into HTML pages' footers,
//! and records form submissions tagged with `Timed` for the `/timings` page.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue, CONTENT_LENGTH, CONTENT_TYPE};
use actix_web::middleware::Next;
use actix_web::web;
use serde::Serialize;

use super::templates::{format_ms, SERVER_TIME_MARKER};

/// Samples kept per app and mode.
const KEEP: usize = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Sync,
    Async,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Sync => "sync",
            Mode::Async => "async",
        }
    }

    /// The form's submit button: "sync" runs inline, anything else enqueues.
    pub fn from_form(s: Option<&str>) -> Mode {
        match s {
            Some("sync") => Mode::Sync,
            _ => Mode::Async,
        }
    }
}

/// Put in a response's extensions to have its time recorded for `/timings`.
#[derive(Debug, Clone, Copy)]
pub struct Timed {
    pub app: &'static str,
    pub mode: Mode,
}

/// Recent durations (ms) per app and mode, oldest first.
type Samples = HashMap<(&'static str, Mode), VecDeque<f64>>;

#[derive(Debug, Clone, Default)]
pub struct Timings {
    samples: Arc<Mutex<Samples>>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Summary {
    pub count: usize,
    pub median_ms: f64,
    pub p95_ms: f64,
    pub last_ms: f64,
}

impl Timings {
    pub fn record(&self, app: &'static str, mode: Mode, ms: f64) {
        if let Ok(mut m) = self.samples.lock() {
            let q = m.entry((app, mode)).or_default();
            if q.len() == KEEP {
                q.pop_front();
            }
            q.push_back(ms);
        }
    }

    pub fn summary(&self, app: &str, mode: Mode) -> Option<Summary> {
        let m = self.samples.lock().ok()?;
        let q = m.iter().find(|((a, md), _)| *a == app && *md == mode)?.1;
        let last_ms = *q.back()?;
        let mut v: Vec<f64> = q.iter().copied().collect();
        v.sort_by(f64::total_cmp);
        Some(Summary {
            count: v.len(),
            median_ms: percentile(&v, 0.5),
            p95_ms: percentile(&v, 0.95),
            last_ms,
        })
    }
}

/// Nearest-rank percentile of sorted samples.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (p * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// The middleware (`middleware::from_fn(timing::measure)`).
pub async fn measure(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let started = Instant::now();
    let timings = req
        .app_data::<web::Data<Timings>>()
        .map(|t| t.get_ref().clone());
    let res = next.call(req).await?.map_into_boxed_body();
    let is_html = res
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let timed = res.response().extensions().get::<Timed>().copied();
    let (req, res) = res.into_parts();
    let (mut res, body) = res.into_parts();
    let body = if is_html {
        let bytes = actix_web::body::to_bytes(body)
            .await
            .map_err(|e| actix_web::error::ErrorInternalServerError(e.to_string()))?;
        let ms = elapsed_ms(started);
        BoxBody::new(fill_server_time(&bytes, ms))
    } else {
        body
    };
    let ms = elapsed_ms(started);
    let desc = timed
        .map(|t| format!(";desc=\"{} {}\"", t.app, t.mode.as_str()))
        .unwrap_or_default();
    if let Ok(v) = HeaderValue::from_str(&format!("app;dur={ms:.3}{desc}")) {
        res.headers_mut()
            .insert(HeaderName::from_static("server-timing"), v);
    }
    if is_html {
        res.headers_mut().remove(CONTENT_LENGTH);
    }
    if let (Some(t), Some(timings)) = (timed, timings) {
        timings.record(t.app, t.mode, ms);
    }
    Ok(ServiceResponse::new(req, res.set_body(body)))
}

fn elapsed_ms(started: Instant) -> f64 {
    started.elapsed().as_secs_f64() * 1000.0
}

/// Replaces the last marker (the footer's; user content comes before it).
fn fill_server_time(html: &[u8], ms: f64) -> Vec<u8> {
    let marker = SERVER_TIME_MARKER.as_bytes();
    let found = html.windows(marker.len()).rposition(|w| w == marker);
    match found {
        Some(i) => {
            let mut out = Vec::with_capacity(html.len() + 16);
            out.extend_from_slice(&html[..i]);
            out.extend_from_slice(format_ms(ms).as_bytes());
            out.extend_from_slice(&html[i + marker.len()..]);
            out
        }
        None => html.to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_and_markers() {
        let t = Timings::default();
        assert!(t.summary("blog", Mode::Sync).is_none());
        for ms in 1..=100 {
            t.record("blog", Mode::Sync, ms as f64);
        }
        let s = t.summary("blog", Mode::Sync).unwrap();
        assert_eq!(
            (s.count, s.median_ms, s.p95_ms, s.last_ms),
            (100, 50.0, 95.0, 100.0)
        );
        let html = format!("a{SERVER_TIME_MARKER}b{SERVER_TIME_MARKER}c");
        let out = String::from_utf8(fill_server_time(html.as_bytes(), 4.2)).unwrap();
        assert_eq!(out, format!("a{SERVER_TIME_MARKER}b4.2 msc"));
    }
}
