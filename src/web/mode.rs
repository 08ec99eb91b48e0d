//! A form's two ways to do its work (sync runs it inline, async enqueues
//! it) and a summary of recent response times, shared by the timing
//! middleware, the submit panel and `/timings`.

use serde::Serialize;

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

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Summary {
    pub count: usize,
    pub median_ms: f64,
    pub p95_ms: f64,
    pub last_ms: f64,
}
