//! What every dashboard page shows and how jobs look on a page: the common
//! context (tabs, summary bar, CSRF token, user, store), and `JobView`, a
//! job payload flattened for the templates (args as compact JSON, times,
//! error fields, backtrace, extras).

use serde::Serialize;
use serde_json::{Map, Value};

use super::error::DashResult;
use crate::engine::activejob;
use crate::engine::api::Stats;
use crate::engine::job::Job;
use crate::engine::retry::decompress_backtrace;
use crate::web::auth::Admin;
use crate::web::state::AppState;
use crate::web::templates;

/// Arguments longer than this are cut on list pages.
const ARGS_SHOWN: usize = 300;

/// The common context of a dashboard page, with the summary bar's numbers.
pub async fn context(
    state: &AppState,
    admin: &Admin,
    tab: &str,
    title: &str,
) -> DashResult<(tera::Context, Stats)> {
    let stats = state.api.stats().await?;
    let mut ctx = templates::context("dashboard", title);
    ctx.insert("tab", tab);
    ctx.insert("csrf_token", &admin.csrf_token());
    ctx.insert("user", &admin.user.username);
    ctx.insert("store", &state.api.describe());
    ctx.insert("summary", &stats);
    ctx.insert("now", &state.api.now());
    Ok((ctx, stats))
}

/// A job as list and detail pages show it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct JobView {
    /// `<score>-<jid>` for set entries.
    pub key: String,
    pub score: f64,
    /// The payload exactly as stored (a queued job's delete key).
    pub raw: String,
    pub valid: bool,
    pub class: String,
    pub queue: String,
    pub jid: String,
    pub bid: Option<String>,
    pub args: String,
    pub args_full: String,
    pub args_cut: bool,
    pub created_at: Option<f64>,
    pub enqueued_at: Option<f64>,
    pub failed_at: Option<f64>,
    pub retried_at: Option<f64>,
    pub retry_count: Option<i64>,
    pub retry: String,
    pub error_class: Option<String>,
    pub error_message: Option<String>,
    pub processor: Option<String>,
    pub backtrace: Vec<String>,
    /// Fields beyond Sidekiq's own, as pretty JSON.
    pub extras: Option<String>,
}

const KNOWN: &[&str] = &[
    "class",
    "args",
    "jid",
    "queue",
    "retry",
    "created_at",
    "enqueued_at",
    "at",
    "retry_count",
    "error_class",
    "error_message",
    "failed_at",
    "retried_at",
    "backtrace",
    "error_backtrace",
    "bid",
    "processor",
    "wrapped",
    "display_class",
];

impl JobView {
    pub fn new(raw: &str, job: Option<&Job>) -> JobView {
        let Some(job) = job else {
            let cut: String = raw.chars().take(ARGS_SHOWN).collect();
            return JobView {
                raw: raw.to_owned(),
                class: "(unreadable payload)".to_owned(),
                args_cut: cut.len() < raw.len(),
                args: cut,
                args_full: raw.to_owned(),
                ..JobView::default()
            };
        };
        let str_field = |k: &str| job.get(k).and_then(Value::as_str).map(str::to_owned);
        // ActiveJob: the wrapped class and the job's own arguments, as Sidekiq::Web shows them.
        let (class, args) = match activejob::display(job) {
            Some((class, args)) => (class, Value::Array(args)),
            None => (
                job.display_class().to_owned(),
                Value::Array(job.args().to_vec()),
            ),
        };
        let args_full = serde_json::to_string(&args).unwrap_or_default();
        let args: String = args_full.chars().take(ARGS_SHOWN).collect();
        let extras: Map<String, Value> = job
            .map()
            .iter()
            .filter(|(k, _)| !KNOWN.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        JobView {
            key: String::new(),
            score: 0.0,
            raw: raw.to_owned(),
            valid: true,
            class,
            queue: job.queue().to_string(),
            jid: job.jid().to_owned(),
            bid: str_field("bid"),
            args_cut: args.len() < args_full.len(),
            args,
            args_full,
            created_at: job.created_at(),
            enqueued_at: job.enqueued_at(),
            failed_at: job.time("failed_at"),
            retried_at: job.time("retried_at"),
            retry_count: job.get("retry_count").and_then(Value::as_i64),
            retry: job.get("retry").map(Value::to_string).unwrap_or_default(),
            error_class: job.error_class().map(str::to_owned),
            error_message: job.error_message().map(str::to_owned),
            processor: str_field("processor"),
            backtrace: backtrace(job),
            extras: (!extras.is_empty())
                .then(|| serde_json::to_string_pretty(&Value::Object(extras)).unwrap_or_default()),
        }
    }

    pub fn entry(score: f64, key: String, raw: &str, job: Option<&Job>) -> JobView {
        JobView {
            score,
            key,
            ..JobView::new(raw, job)
        }
    }
}

/// Sidekiq's compressed `error_backtrace`, or sidekiq-failures' plain array.
fn backtrace(job: &Job) -> Vec<String> {
    match job.get("error_backtrace") {
        Some(Value::String(s)) => decompress_backtrace(s).unwrap_or_default(),
        Some(Value::Array(a)) => a
            .iter()
            .map(|l| {
                l.as_str()
                    .map(str::to_owned)
                    .unwrap_or_else(|| l.to_string())
            })
            .collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::job::Retry;
    use crate::engine::queue::QueueName;

    #[test]
    fn views_cut_long_args_and_keep_extras() {
        let mut job = Job::new(
            "A",
            vec![Value::from("x".repeat(1000))],
            QueueName::default_queue(),
            Retry::Default,
        );
        job.set("tenant", Value::from("acme"));
        job.set("error_backtrace", serde_json::json!(["a.rb:1", "b.rb:2"]));
        let v = JobView::new(&job.to_json(), Some(&job));
        assert!(v.args_cut && v.args.len() == ARGS_SHOWN);
        assert!(v.extras.unwrap().contains("acme"));
        assert_eq!(v.backtrace, vec!["a.rb:1", "b.rb:2"]);
        let bad = JobView::new("not json", None);
        assert!(!bad.valid);
    }
}
