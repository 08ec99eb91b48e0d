//! `/sidekiq/metrics`: per-class executions, failures, total and mean time
//! over the last 1/2/4/8 hours with a chart of the top five (Sidekiq 7's
//! Metrics tab); `/sidekiq/metrics/CLASS`: that class's duration histogram
//! and its per-minute series.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use super::error::{DashError, DashResult};
use super::params;
use super::view;
use crate::engine::api::{minute_of, ClassMinute, BUCKET_LABELS};
use crate::web::auth::Admin;
use crate::web::response::html;
use crate::web::state::AppState;
use crate::web::templates;

/// Classes listed on the Metrics tab; classes charted.
const TOP: usize = 20;
const CHARTED: usize = 5;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct MetricsQuery {
    period: Option<String>,
    substr: Option<String>,
}

#[derive(Debug, Default, Clone, Serialize)]
struct ClassTotal {
    class: String,
    executions: u64,
    failures: u64,
    success: u64,
    total_ms: u64,
    total_s: f64,
    /// Mean time of successful runs, milliseconds.
    mean_ms: f64,
}

fn totals(rows: &[ClassMinute]) -> Vec<ClassTotal> {
    let mut by: BTreeMap<&str, ClassTotal> = BTreeMap::new();
    for r in rows {
        let t = by.entry(r.class.as_str()).or_insert_with(|| ClassTotal {
            class: r.class.clone(),
            ..ClassTotal::default()
        });
        t.executions += r.executions;
        t.failures += r.failures;
        t.total_ms += r.ms;
    }
    let mut out: Vec<ClassTotal> = by
        .into_values()
        .map(|mut t| {
            t.success = t.executions.saturating_sub(t.failures);
            t.total_s = t.total_ms as f64 / 1000.0;
            t.mean_ms = if t.success > 0 {
                t.total_ms as f64 / t.success as f64
            } else {
                0.0
            };
            t
        })
        .collect();
    out.sort_by(|a, b| {
        b.total_ms
            .cmp(&a.total_ms)
            .then_with(|| b.executions.cmp(&a.executions))
    });
    out
}

/// Per-minute series for uPlot: `{"x": [minutes], "series": [{"label", "values"}]}`.
fn series(
    rows: &[ClassMinute],
    classes: &[&str],
    since: f64,
    now: f64,
    value: impl Fn(&ClassMinute) -> f64,
) -> serde_json::Value {
    let first = minute_of(since);
    let last = minute_of(now);
    let xs: Vec<i64> = (0..)
        .map(|i| first + i * 60)
        .take_while(|m| *m <= last)
        .collect();
    let index: BTreeMap<(i64, &str), &ClassMinute> = rows
        .iter()
        .map(|r| ((r.minute, r.class.as_str()), r))
        .collect();
    let series: Vec<serde_json::Value> = classes
        .iter()
        .map(|c| {
            let values: Vec<f64> = xs
                .iter()
                .map(|m| index.get(&(*m, *c)).map(|r| value(r)).unwrap_or(0.0))
                .collect();
            serde_json::json!({ "label": c, "values": values })
        })
        .collect();
    serde_json::json!({ "x": xs, "series": series })
}

pub async fn index(
    state: web::Data<AppState>,
    admin: Admin,
    query: web::Query<MetricsQuery>,
) -> DashResult<HttpResponse> {
    let hours = params::period_hours(query.period.as_deref())?;
    let filter = params::substr(&params::ListQuery {
        substr: query.substr.clone(),
        ..Default::default()
    })?;
    let now = state.api.now();
    let since = now - f64::from(hours) * 3600.0;
    let rows = state.api.class_metrics(since, now).await?;
    let mut all = totals(&rows);
    if let Some(f) = &filter {
        let f = f.to_lowercase();
        all.retain(|t| t.class.to_lowercase().contains(&f));
    }
    all.truncate(TOP);
    let charted: Vec<&str> = all.iter().take(CHARTED).map(|t| t.class.as_str()).collect();
    let chart = series(&rows, &charted, since, now, |r| r.ms as f64 / 1000.0);
    let (mut ctx, _) = view::context(&state, &admin, "metrics", "Metrics").await?;
    ctx.insert("period", &format!("{hours}h"));
    ctx.insert("substr", &filter);
    ctx.insert("classes", &all);
    ctx.insert("chart_json", &chart.to_string());
    Ok(html(
        StatusCode::OK,
        templates::render("sidekiq/metrics.html", &ctx)?,
    ))
}

#[derive(Debug, Serialize)]
struct Bucket {
    label: &'static str,
    count: u64,
    /// Percent of the largest bucket, for the bar's width.
    width: f64,
}

pub async fn class(
    state: web::Data<AppState>,
    admin: Admin,
    path: web::Path<String>,
    query: web::Query<MetricsQuery>,
) -> DashResult<HttpResponse> {
    let class = path.into_inner();
    if class.is_empty() || class.len() > 200 || class.chars().any(char::is_control) {
        return Err(DashError::bad("That is not a job class name."));
    }
    let hours = params::period_hours(query.period.as_deref())?;
    let now = state.api.now();
    let since = now - f64::from(hours) * 3600.0;
    let rows: Vec<ClassMinute> = state
        .api
        .class_metrics(since, now)
        .await?
        .into_iter()
        .filter(|r| r.class == class)
        .collect();
    let hist = state.api.class_histogram(&class, since, now).await?;
    let max = hist.iter().copied().max().unwrap_or(0).max(1);
    let buckets: Vec<Bucket> = hist
        .iter()
        .zip(BUCKET_LABELS)
        .map(|(n, label)| Bucket {
            label,
            count: *n,
            width: *n as f64 * 100.0 / max as f64,
        })
        .collect();
    let total = totals(&rows).into_iter().next().unwrap_or(ClassTotal {
        class: class.clone(),
        ..ClassTotal::default()
    });
    let chart = series(&rows, &[class.as_str()], since, now, |r| {
        let ok = r.executions.saturating_sub(r.failures);
        if ok > 0 {
            r.ms as f64 / ok as f64
        } else {
            0.0
        }
    });
    let (mut ctx, _) =
        view::context(&state, &admin, "metrics", &format!("Metrics for {class}")).await?;
    ctx.insert("period", &format!("{hours}h"));
    ctx.insert("class", &class);
    ctx.insert("total", &total);
    ctx.insert("buckets", &buckets);
    ctx.insert("chart_json", &chart.to_string());
    Ok(html(
        StatusCode::OK,
        templates::render("sidekiq/metrics_class.html", &ctx)?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(minute: i64, class: &str, ms: u64, p: u64, f: u64) -> ClassMinute {
        ClassMinute {
            minute,
            class: class.into(),
            ms,
            executions: p,
            failures: f,
        }
    }

    #[test]
    fn totals_rank_by_time() {
        let rows = vec![
            row(0, "A", 100, 2, 0),
            row(60, "A", 50, 2, 1),
            row(0, "B", 900, 1, 0),
        ];
        let t = totals(&rows);
        assert_eq!(t[0].class, "B");
        assert_eq!(
            (t[1].executions, t[1].failures, t[1].success, t[1].total_ms),
            (4, 1, 3, 150)
        );
        assert_eq!(t[1].mean_ms, 50.0);
        let s = series(&rows, &["A"], 0.0, 119.0, |r| r.ms as f64);
        assert_eq!(s["x"], serde_json::json!([0, 60]));
        assert_eq!(s["series"][0]["values"], serde_json::json!([100.0, 50.0]));
    }
}
