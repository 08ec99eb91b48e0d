//! A request's steps, as `Server-Timing` entries: the timing middleware gives
//! each request a `Steps` (a task-local), and the parts that take time add
//! theirs: the request pool's `queue` (waiting for a request thread), the
//! database's `load` (loading or saving the record), the job's `work` (run
//! inline) or `enqueue`, and the templates' `render`. A name added twice
//! adds up.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde::{Deserialize, Serialize};

/// What each step's name means, for `Server-Timing`'s `desc` and the pages.
pub const NAMES: &[(&str, &str)] = &[
    ("queue", "waiting for a request thread"),
    ("load", "loading or saving the record"),
    ("work", "the slow work, run in the request"),
    ("enqueue", "pushing the job to the queue"),
    ("render", "rendering the page"),
];

/// One step: its name (one of `NAMES`) and its time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    pub name: String,
    pub ms: f64,
}

/// The steps of one request, in the order they first happened.
#[derive(Debug, Clone, Default)]
pub struct Steps(Arc<Mutex<Vec<Step>>>);

impl Steps {
    pub fn add(&self, name: &str, ms: f64) {
        if let Ok(mut v) = self.0.lock() {
            match v.iter_mut().find(|s| s.name == name) {
                Some(s) => s.ms += ms,
                None => v.push(Step {
                    name: name.to_owned(),
                    ms,
                }),
            }
        }
    }

    pub fn list(&self) -> Vec<Step> {
        self.0.lock().map(|v| v.clone()).unwrap_or_default()
    }
}

tokio::task_local! {
    static CURRENT: Steps;
}

/// Runs `fut` (the rest of the request) with `steps` as the current ones.
pub async fn scope<F: Future>(steps: Steps, fut: F) -> F::Output {
    CURRENT.scope(steps, fut).await
}

/// Adds `ms` to step `name` of the current request (outside one: nothing).
pub fn add(name: &str, ms: f64) {
    let _ = CURRENT.try_with(|s| s.add(name, ms));
}

/// Awaits `fut`, its time added to step `name`.
pub async fn timed<F: Future>(name: &str, fut: F) -> F::Output {
    let started = Instant::now();
    let out = fut.await;
    add(name, started.elapsed().as_secs_f64() * 1000.0);
    out
}

/// Runs `f`, its time added to step `name`.
pub fn timed_sync<T>(name: &str, f: impl FnOnce() -> T) -> T {
    let started = Instant::now();
    let out = f();
    add(name, started.elapsed().as_secs_f64() * 1000.0);
    out
}

/// What a step's name means.
pub fn describe(name: &str) -> &'static str {
    NAMES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, d)| *d)
        .unwrap_or("")
}

/// The `Server-Timing` entries of `steps` (`, name;dur=1.234;desc="…"` each).
pub fn header_entries(steps: &[Step]) -> String {
    steps
        .iter()
        .map(|s| {
            format!(
                ", {};dur={:.3};desc=\"{}\"",
                s.name,
                s.ms,
                describe(&s.name)
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn steps_add_up_inside_a_request_only() {
        add("load", 5.0); // outside a request: nothing, no panic
        let steps = Steps::default();
        scope(steps.clone(), async {
            add("load", 1.0);
            add("work", 2.0);
            add("load", 0.5);
            timed("render", async {}).await;
        })
        .await;
        let v = steps.list();
        let names: Vec<&str> = v.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["load", "work", "render"]);
        assert_eq!(v[0].ms, 1.5);
        assert_eq!(
            header_entries(&v[..1]),
            ", load;dur=1.500;desc=\"loading or saving the record\""
        );
    }
}
