//! `/timings`: recent response times of each app's form, sync against async
//! (median, p95, count), with a bar chart drawn as plain SVG.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Serialize;

use crate::web::errors::PageError;
use crate::web::response::html;
use crate::web::templates::{self, Part};
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
    /// Bar widths in the chart, 0-100 on a log scale.
    bars: [Bar; 4],
}

#[derive(Serialize, Default, Clone, Copy)]
struct Bar {
    width: f64,
    ms: f64,
}

pub async fn page(timings: web::Data<Timings>) -> Result<HttpResponse, PageError> {
    let mut rows: Vec<Row> = APPS
        .iter()
        .map(|(app, label)| Row {
            app,
            label,
            sync: timings.summary(app, Mode::Sync),
            r#async: timings.summary(app, Mode::Async),
            bars: [Bar::default(); 4],
        })
        .collect();
    let max = rows
        .iter()
        .flat_map(|r| [&r.sync, &r.r#async])
        .flatten()
        .map(|s| s.p95_ms)
        .fold(1.0_f64, f64::max);
    for r in &mut rows {
        let vals = [
            r.sync.as_ref().map(|s| s.median_ms),
            r.sync.as_ref().map(|s| s.p95_ms),
            r.r#async.as_ref().map(|s| s.median_ms),
            r.r#async.as_ref().map(|s| s.p95_ms),
        ];
        for (bar, v) in r.bars.iter_mut().zip(vals) {
            if let Some(ms) = v {
                *bar = Bar {
                    width: log_width(ms, max),
                    ms,
                };
            }
        }
    }
    let mut ctx = templates::context("timings", "Sync vs async");
    ctx.insert("rows", &rows);
    ctx.insert("max_ms", &max);
    ctx.insert("chart_height", &(rows.len() * 90 + 30));
    Ok(html(
        StatusCode::OK,
        templates::render("timings/index.html", &ctx)?,
    ))
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
    fn log_scale() {
        assert_eq!(log_width(2000.0, 2000.0), 100.0);
        assert!(log_width(4.0, 2000.0) < 50.0);
        assert_eq!(log_width(0.0, 2000.0), 1.0);
    }
}
