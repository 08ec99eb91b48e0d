//! Response timing: a middleware that measures every request, writes the
//! `Server-Timing` header, fills the server time into HTML pages' footers,
//! and records form submissions tagged with `Timed` for the `/timings` page
//! and (`submits`) for the page each one redirects to.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{
    HeaderName, HeaderValue, CONTENT_LENGTH, CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE,
};
use actix_web::middleware::Next;
use actix_web::web;

pub use super::mode::{Mode, Summary};
use super::steps::{header_entries, Steps};
use super::submits::{cookie, panel, submit_id, Submit, Submits, SUBMIT_TIME_MARKER};
use super::templates::{format_ms, SERVER_TIME_MARKER};

/// Samples kept per app and mode.
const KEEP: usize = 500;

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
    submits: Arc<Mutex<Submits>>,
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

    /// Keeps a submit for the page it redirects to; its number.
    pub fn keep_submit(&self, s: Submit) -> Option<u64> {
        self.submits.lock().ok().map(|mut k| k.keep(s))
    }

    pub fn submit(&self, id: u64) -> Option<Submit> {
        self.submits.lock().ok()?.get(id).cloned()
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
    let steps = Steps::default();
    let res = super::steps::scope(steps.clone(), next.call(req))
        .await?
        .map_into_boxed_body();
    let is_html = res
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let timed = res.response().extensions().get::<Timed>().copied();
    let (req, res) = res.into_parts();
    let (mut res, body) = res.into_parts();
    let landed = req
        .headers()
        .get_all(COOKIE)
        .filter_map(|v| v.to_str().ok())
        .find_map(submit_id)
        .and_then(|id| timings.as_ref().and_then(|t| t.submit(id)))
        .map(|s| {
            let t = timings.as_ref().expect("found in it");
            let (sy, asy) = (t.summary(s.app, Mode::Sync), t.summary(s.app, Mode::Async));
            (s, sy, asy)
        });
    let body = if is_html {
        let bytes = actix_web::body::to_bytes(body)
            .await
            .map_err(|e| actix_web::error::ErrorInternalServerError(e.to_string()))?;
        let panel = landed
            .as_ref()
            .map(|(s, sy, asy)| panel(s, sy.as_ref(), asy.as_ref(), &steps.list()))
            .unwrap_or_default();
        let bytes = fill_marker(&bytes, SUBMIT_TIME_MARKER, &panel, false);
        let ms = elapsed_ms(started);
        BoxBody::new(fill_server_time(&bytes, ms))
    } else {
        body
    };
    let ms = elapsed_ms(started);
    let desc = timed
        .map(|t| format!(";desc=\"{} {}\"", t.app, t.mode.as_str()))
        .unwrap_or_default();
    let step_list = steps.list();
    let entries = header_entries(&step_list);
    if let Ok(v) = HeaderValue::from_str(&format!("app;dur={ms:.3}{desc}{entries}")) {
        res.headers_mut()
            .insert(HeaderName::from_static("server-timing"), v);
    }
    if is_html {
        res.headers_mut().remove(CONTENT_LENGTH);
    }
    if let (Some(t), Some(timings)) = (timed, timings) {
        timings.record(t.app, t.mode, ms);
        let location = res
            .headers()
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let kept = timings.keep_submit(Submit {
            app: t.app,
            mode: t.mode,
            ms,
            steps: step_list,
        });
        let cookie = location.zip(kept).and_then(|(to, id)| cookie(&to, id));
        if let Some(v) = cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
            res.headers_mut().append(SET_COOKIE, v);
        }
    }
    Ok(ServiceResponse::new(req, res.set_body(body)))
}

fn elapsed_ms(started: Instant) -> f64 {
    started.elapsed().as_secs_f64() * 1000.0
}

/// Replaces the last marker (the footer's; user content comes before it).
fn fill_server_time(html: &[u8], ms: f64) -> Vec<u8> {
    fill_marker(html, SERVER_TIME_MARKER, &format_ms(ms), true)
}

/// Replaces the last (or the first: the layout's, before any user
/// content) occurrence of `marker` with `with`.
fn fill_marker(html: &[u8], marker: &str, with: &str, last: bool) -> Vec<u8> {
    let marker = marker.as_bytes();
    let mut found = html.windows(marker.len());
    let found = if last {
        found.rposition(|w| w == marker)
    } else {
        found.position(|w| w == marker)
    };
    match found {
        Some(i) => {
            let mut out = Vec::with_capacity(html.len() + with.len());
            out.extend_from_slice(&html[..i]);
            out.extend_from_slice(with.as_bytes());
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
