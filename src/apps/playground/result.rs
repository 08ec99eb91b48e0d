//! The playground's POST/redirect/GET: a button's outcome goes into the
//! redirect's query (which action, how many jobs, the first jids and the
//! form's fields), and `GET /playground?done=…` shows it again, so a reload
//! re-submits nothing and every field keeps what was typed. The summary is
//! rebuilt from those values (a crafted link can only show these sentences).

use serde::{Deserialize, Serialize};

use super::fields::number;
use super::PlaygroundForm;

/// Jids listed on the page (the rest are counted).
pub const SHOWN: usize = 20;

/// What one button did, for the page.
#[derive(Debug, Serialize)]
pub struct Outcome {
    pub action: String,
    pub summary: String,
    /// Where to watch: a dashboard page.
    pub watch: String,
    pub jids: Vec<String>,
    pub more: usize,
}

/// `GET /playground`'s query.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PageQuery {
    pub done: String,
    pub n: usize,
    pub jids: String,
    #[serde(flatten)]
    pub form: PlaygroundForm,
}

fn watch(action: &str, sync: bool) -> &'static str {
    match action {
        "demo" if sync => "/sidekiq",
        "demo" => "/sidekiq/queues/default",
        "scheduled" => "/sidekiq/scheduled",
        "urgent" => "/sidekiq/queues/default",
        _ => "/sidekiq/retries",
    }
}

fn summary(action: &str, n: usize, form: &PlaygroundForm, sync: bool) -> Option<String> {
    Some(match action {
        "demo" if sync => format!("Ran {n} DemoWorker job(s) inline, in this request."),
        "demo" => format!("Enqueued {n} DemoWorker job(s) on the default queue."),
        "scheduled" => {
            let how = if form.at.trim().is_empty() {
                let s = number(&form.seconds, "The delay", 30.0, 86_400.0).ok()?;
                format!("perform_in {s} seconds")
            } else {
                format!("perform_at {}", form.at.trim())
            };
            format!("Scheduled DemoWorker with {how}.")
        }
        "urgent" => format!(
            "Enqueued {} slow DemoWorker jobs on default. One UrgentWorker (the first jid) goes \
             on the urgent queue as soon as a worker has started the first slow ones: workers \
             started with -q urgent,10 -q default,1 run it right after their first batch.",
            n.saturating_sub(1)
        ),
        "wrong_args" => "Enqueued DemoWorker with one argument: it fails with ArgumentError and \
                         Sidekiq's backoff retries it (see Retries)."
            .to_owned(),
        _ => return None,
    })
}

/// The outcome of `action`: `n` jobs, of which `jids` (the first shown).
pub fn outcome(
    action: &str,
    n: usize,
    jids: Vec<String>,
    form: &PlaygroundForm,
) -> Option<Outcome> {
    let sync = form.mode.as_deref() == Some("sync");
    Some(Outcome {
        action: action.to_owned(),
        summary: summary(action, n, form, sync)?,
        watch: watch(action, sync).to_owned(),
        more: n.saturating_sub(jids.len().min(SHOWN)),
        jids: jids.into_iter().take(SHOWN).collect(),
    })
}

/// The outcome a `GET /playground?done=…` names, if any.
pub fn from_query(q: &PageQuery) -> Option<Outcome> {
    if q.done.is_empty() {
        return None;
    }
    let jids: Vec<String> = q
        .jids
        .split(',')
        .filter(|j| !j.is_empty() && j.len() <= 64 && j.bytes().all(|b| b.is_ascii_alphanumeric()))
        .take(SHOWN)
        .map(str::to_owned)
        .collect();
    outcome(&q.done, q.n.max(jids.len()), jids, &q.form)
}

/// `/playground?done=ACTION&n=…&jids=…&FIELDS…`.
pub fn location(o: &Outcome, form: &PlaygroundForm) -> String {
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    q.append_pair("done", &o.action);
    q.append_pair("n", &(o.jids.len() + o.more).to_string());
    q.append_pair("jids", &o.jids.join(","));
    for (k, v) in [
        ("delay", &form.delay),
        ("message", &form.message),
        ("count", &form.count),
        ("seconds", &form.seconds),
        ("at", &form.at),
        ("slow_count", &form.slow_count),
    ] {
        if !v.is_empty() {
            q.append_pair(k, v);
        }
    }
    if let Some(m) = &form.mode {
        q.append_pair("mode", m);
    }
    format!("/playground?{}", q.finish())
}
