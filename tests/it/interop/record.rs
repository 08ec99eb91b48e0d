//! Runs one interop check against one Sidekiq version and records what
//! happened (pass, fail with its message, not applicable, not run) as a JSON
//! file under `target/interop-results/`, from which
//! `scripts/compat-matrix.py` renders docs/compatibility.md.

use std::future::Future;
use std::path::PathBuf;
use std::time::Instant;

use serde_json::json;

use super::sidekiq::{Sidekiq, Version};
use crate::support::RedisServer;

/// How a check ended when it did not panic.
pub enum Outcome {
    /// Every assertion held.
    Pass,
    /// The check means nothing for this version (e.g. Metrics before 7.0).
    NotApplicable(&'static str),
}

/// Where results go: `KIQLAB_INTEROP_RESULTS`, else `target/interop-results`.
pub fn results_dir() -> PathBuf {
    match std::env::var_os("KIQLAB_INTEROP_RESULTS") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/interop-results"),
    }
}

/// What a generated test knows about its check.
pub struct Check {
    /// `module_path!()` of the generated test module.
    pub module: &'static str,
    pub what: &'static str,
    pub version: &'static str,
    /// `Some(reason)` when the test is `#[ignore]`d as failing today.
    pub expected_failure: Option<&'static str>,
    pub line: u32,
}

impl Check {
    /// `interop::busy::kiqlab_threads` without the crate prefix.
    fn id(&self) -> String {
        let m = self
            .module
            .split("::interop::")
            .nth(1)
            .unwrap_or(self.module);
        m.to_owned()
    }

    fn write(&self, sidekiq: &str, result: &str, detail: &str, seconds: f64) {
        let dir = results_dir();
        let _ = std::fs::create_dir_all(&dir);
        let id = self.id();
        let body = json!({
            "check": id,
            "what": self.what,
            "version": self.version,
            "sidekiq": sidekiq,
            "result": result,
            "detail": detail,
            "expected_failure": self.expected_failure,
            "line": self.line,
            "seconds": (seconds * 10.0).round() / 10.0,
        });
        let file = dir.join(format!("{}@{}.json", id.replace("::", "."), self.version));
        if let Err(e) = std::fs::write(&file, body.to_string()) {
            eprintln!("could not record {}: {e}", file.display());
        }
    }
}

/// Runs `f` against `version` with a fresh redis-server, recording the result;
/// a failure is recorded with its panic message and then re-raised.
pub async fn run<F, Fut>(check: Check, f: F)
where
    F: FnOnce(Sidekiq, RedisServer) -> Fut,
    Fut: Future<Output = Outcome> + Send + 'static,
{
    let version = Version::from_label(check.version);
    // Under CI a missing Ruby, chroot or redis-server panics: record it as a failure.
    let found = std::panic::catch_unwind(|| (Sidekiq::get(version), RedisServer::start()));
    let (sidekiq, redis) = match found {
        Ok(pair) => pair,
        Err(payload) => {
            check.write("", "fail", &panic_message(payload.as_ref()), 0.0);
            std::panic::resume_unwind(payload);
        }
    };
    let Some(sidekiq) = sidekiq else {
        check.write("", "not run", "Ruby or the chroot is missing", 0.0);
        return;
    };
    let Some(redis) = redis else {
        check.write(
            &sidekiq.full_version,
            "not run",
            "redis-server is missing",
            0.0,
        );
        return;
    };
    let full = sidekiq.full_version.clone();
    let start = Instant::now();
    let joined = tokio::spawn(f(sidekiq, redis)).await;
    let secs = start.elapsed().as_secs_f64();
    match joined {
        Ok(Outcome::Pass) => check.write(&full, "pass", "", secs),
        Ok(Outcome::NotApplicable(why)) => check.write(&full, "n/a", why, secs),
        Err(e) if e.is_panic() => {
            let payload = e.into_panic();
            check.write(&full, "fail", &panic_message(payload.as_ref()), secs);
            std::panic::resume_unwind(payload);
        }
        Err(e) => {
            check.write(&full, "fail", &e.to_string(), secs);
            panic!("check task: {e}");
        }
    }
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_else(|| "panicked".into())
}

/// Declares one check on the three Sidekiq versions: `mod CHECK { sidekiq_6_4,
/// sidekiq_7_3, sidekiq_8_1 }`, each calling `CHECK(sidekiq, redis)`. A version
/// written `VER = "issue 15: why"` is `#[ignore]`d with that reason: it fails
/// today, and `cargo test -- --ignored` shows it failing.
macro_rules! sidekiq_check {
    ($check:ident, $what:literal $(, $ver:ident $(= $why:literal)?)+ $(,)?) => {
        mod $check {
            $( $crate::interop::record::sidekiq_check!(@one $check, $what, $ver $(, $why)?); )+
        }
    };
    (@one $check:ident, $what:literal, $ver:ident) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $ver() {
            $crate::interop::record::run(
                $crate::interop::record::Check {
                    module: module_path!(),
                    what: $what,
                    version: stringify!($ver),
                    expected_failure: None,
                    line: line!(),
                },
                super::$check,
            )
            .await;
        }
    };
    (@one $check:ident, $what:literal, $ver:ident, $why:literal) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        #[ignore = $why]
        async fn $ver() {
            $crate::interop::record::run(
                $crate::interop::record::Check {
                    module: module_path!(),
                    what: $what,
                    version: stringify!($ver),
                    expected_failure: Some($why),
                    line: line!(),
                },
                super::$check,
            )
            .await;
        }
    };
}
pub(crate) use sidekiq_check;
