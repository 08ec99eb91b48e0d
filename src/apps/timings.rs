//! `/timings`: recent response times of each app's form, sync against async
//! (median, p95, count, and how many times slower sync is), with a bar chart
//! drawn as plain SVG on a linear axis (`?scale=log`: logarithmic, labelled).

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::web::errors::PageError;
use crate::web::response::html;
use crate::web::submits::ratio;
use crate::web::templates::{self, format_ms, Part};
use crate::web::timing::{Mode, Summary, Timings};

/// The page's template (`templates/timings/`).
pub const TEMPLATES: Part = Part::folder("timings");

/// The apps whose forms are timed (the `app` of their `Timed` answers), in
/// the page's order.
pub const APPS: &[(&str, &str)] = &[
    ("snippets", "Snippets"),
    ("fibtastic", "FibTastic"),
    ("blog", "Blog"),
    ("playground", "Playground"),
];

#[derive(Serialize)]
struct Row {
    app: &'static str,
    label: &'static str,
    sync: Option<Summary>,
    r#async: Option<Summary>,
    /// Bar widths in the chart, 0-100 on the page's scale.
    bars: [Bar; 4],
    /// Sync median / async median ("812×"), when both ran.
    ratio: Option<String>,
}

#[derive(Deserialize)]
pub struct ScaleQuery {
    scale: Option<String>,
}

#[derive(Serialize, Default, Clone, Copy)]
struct Bar {
    width: f64,
    ms: f64,
}

pub async fn page(
    timings: web::Data<Timings>,
    query: web::Query<ScaleQuery>,
) -> Result<HttpResponse, PageError> {
    let log = query.scale.as_deref() == Some("log");
    let mut rows: Vec<Row> = APPS
        .iter()
        .map(|(app, label)| Row {
            app,
            label,
            sync: timings.summary(app, Mode::Sync),
            r#async: timings.summary(app, Mode::Async),
            bars: [Bar::default(); 4],
            ratio: None,
        })
        .collect();
    let max = rows
        .iter()
        .flat_map(|r| [&r.sync, &r.r#async])
        .flatten()
        .map(|s| s.p95_ms)
        .fold(1.0_f64, f64::max);
    for r in &mut rows {
        if let (Some(sy), Some(a)) = (&r.sync, &r.r#async) {
            r.ratio = Some(ratio(sy.median_ms, a.median_ms));
        }
        let vals = [
            r.sync.as_ref().map(|s| s.median_ms),
            r.sync.as_ref().map(|s| s.p95_ms),
            r.r#async.as_ref().map(|s| s.median_ms),
            r.r#async.as_ref().map(|s| s.p95_ms),
        ];
        for (bar, v) in r.bars.iter_mut().zip(vals) {
            if let Some(ms) = v {
                *bar = Bar {
                    width: if log {
                        log_width(ms, max)
                    } else {
                        linear_width(ms, max)
                    },
                    ms,
                };
            }
        }
    }
    let mut ctx = templates::context("timings", "Sync vs async");
    ctx.insert("rows", &rows);
    ctx.insert("max_ms", &max);
    ctx.insert("scale", if log { "log" } else { "linear" });
    ctx.insert("ticks", &ticks(max, log));
    ctx.insert("chart_height", &(rows.len() * 90 + 30));
    Ok(html(
        StatusCode::OK,
        templates::render("timings/index.html", &ctx)?,
    ))
}

/// 0 → 0, `max` → 100, in proportion: a 2 ms bar is a thousandth of a 2 s
/// one (at least a sliver, so it shows).
fn linear_width(ms: f64, max: f64) -> f64 {
    let w = ms / max.max(0.001) * 100.0;
    (w.clamp(0.3, 100.0) * 10.0).round() / 10.0
}

/// The axis' labelled ticks: (position 0-100, label).
fn ticks(max: f64, log: bool) -> Vec<(f64, String)> {
    if log {
        [0.1, 1.0, 10.0, 100.0, 1000.0, 10_000.0, 100_000.0]
            .into_iter()
            .filter(|t| *t <= max * 1.0001)
            .map(|t| (log_width(t, max), format_ms(t)))
            .collect()
    } else {
        (0..=4)
            .map(|i| {
                let t = max * f64::from(i) / 4.0;
                (f64::from(i) * 25.0, format_ms(t))
            })
            .collect()
    }
}

/// 0.1 ms → 0, `max` → 100, logarithmic so 4 ms and 2 s both show.
fn log_width(ms: f64, max: f64) -> f64 {
    let lo = 0.1_f64.ln();
    let hi = max.max(1.0).ln();
    let w = (ms.max(0.1).ln() - lo) / (hi - lo) * 100.0;
    (w.clamp(1.0, 100.0) * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_scale_and_ticks() {
        assert_eq!(linear_width(2000.0, 2000.0), 100.0);
        assert_eq!(linear_width(1000.0, 2000.0), 50.0);
        assert_eq!(linear_width(2.4, 2000.0), 0.3);
        let t = ticks(2000.0, false);
        assert_eq!(t.first().unwrap(), &(0.0, "0.0 ms".to_owned()));
        assert_eq!(t.last().unwrap(), &(100.0, "2.00 s".to_owned()));
        assert_eq!(ticks(2000.0, true).len(), 5);
    }

    #[test]
    fn log_scale() {
        assert_eq!(log_width(2000.0, 2000.0), 100.0);
        assert!(log_width(4.0, 2000.0) < 50.0);
        assert_eq!(log_width(0.0, 2000.0), 1.0);
    }
}
