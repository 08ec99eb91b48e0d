//! Rails' ActiveJob 7.2 through both Sidekiq adapters: Rails' own
//! (`ActiveJob::QueueAdapters::SidekiqAdapter::JobWrapper`) and Sidekiq 8's
//! (`Sidekiq::ActiveJob::Wrapper`). kiqlab's dashboard should show such a
//! job as Sidekiq::Web does (the wrapped class, the job's own arguments),
//! and a kiqlab worker should run it with its handler for the wrapped class.

use std::time::Duration;

use serde_json::json;

use super::kiqlab::{row_cells, KiqlabWeb};
use super::record::{sidekiq_check, Outcome};
use super::sidekiq::Sidekiq;
use crate::support::{eventually, temp_dir, RedisServer, WorkerProc};

sidekiq_check!(
    rails_adapter_job_shown,
    "ActiveJob 7.2 with Rails' adapter (…SidekiqAdapter::JobWrapper): kiqlab's dashboard shows the wrapped class and the job's own arguments",
    sidekiq_6_4,
    sidekiq_7_3,
    sidekiq_8_1,
);

sidekiq_check!(
    rails_adapter_job_runs,
    "ActiveJob 7.2 with Rails' adapter: a kiqlab worker runs the job with its handler for the wrapped class (DemoWorker)",
    sidekiq_6_4,
    sidekiq_7_3,
    sidekiq_8_1,
);

sidekiq_check!(
    sidekiq_adapter_job_shown,
    "ActiveJob 7.2 with Sidekiq 8's adapter (Sidekiq::ActiveJob::Wrapper): kiqlab's dashboard shows the wrapped class and the job's own arguments",
    sidekiq_6_4,
    sidekiq_7_3,
    sidekiq_8_1,
);

sidekiq_check!(
    sidekiq_adapter_job_runs,
    "ActiveJob 7.2 with Sidekiq 8's adapter: a kiqlab worker runs the job with its handler for the wrapped class (DemoWorker)",
    sidekiq_6_4,
    sidekiq_7_3,
    sidekiq_8_1,
);

/// `DemoWorker.perform_later(0, "aj now")` through `adapter`; its jid, or
/// why this environment cannot (no ActiveJob, or no such adapter).
fn perform_later(sk: &Sidekiq, url: &str, adapter: &str) -> Result<String, String> {
    let out = sk.ruby("activejob_enqueue.rb", &[url, adapter]);
    if let Some(why) = out["missing"].as_str() {
        return Err(why.to_owned());
    }
    let s = sk.inspect(url);
    let job = &s["queues"][0]["jobs"][0];
    // What Sidekiq::Web shows for it: the reference the dashboard must match.
    assert_eq!(job["display_class"], "DemoWorker", "{job}");
    assert_eq!(job["display_args"], json!([0, "aj now"]), "{job}");
    Ok(out["jid"].as_str().expect("jid").to_owned())
}

async fn shown(sk: Sidekiq, redis: RedisServer, adapter: &str) -> Outcome {
    let url = redis.url();
    let jid = match perform_later(&sk, &url, adapter) {
        Ok(j) => j,
        Err(_) if adapter == "rails" => return Outcome::NotApplicable("no ActiveJob 7.2 here"),
        Err(_) => return Outcome::NotApplicable("no Sidekiq ActiveJob adapter before 8.0"),
    };
    let web = KiqlabWeb::start(&url).await;
    let mut b = web.admin().await;
    let page = b.page("/sidekiq/queues/default").await;
    let row = row_cells(&page, &jid).expect("a row for the ActiveJob job");
    assert_eq!(row[0], "DemoWorker", "the wrapped class: {row:?}");
    let args = &row[2];
    assert!(
        args.contains("aj now") && args.contains('0'),
        "the job's arguments: {row:?}"
    );
    assert!(
        !args.contains("job_class") && !args.contains("arguments"),
        "not ActiveJob's envelope: {args}"
    );
    Outcome::Pass
}

async fn runs(sk: Sidekiq, redis: RedisServer, adapter: &str) -> Outcome {
    let url = redis.url();
    let jid = match perform_later(&sk, &url, adapter) {
        Ok(j) => j,
        Err(_) if adapter == "rails" => return Outcome::NotApplicable("no ActiveJob 7.2 here"),
        Err(_) => return Outcome::NotApplicable("no Sidekiq ActiveJob adapter before 8.0"),
    };
    let dir = temp_dir();
    let mut w = WorkerProc::start(&url, &["-c", "2"], &dir.path().join("w.log"));
    eventually(
        Duration::from_secs(30),
        "the ActiveJob job processed",
        || async { (sk.inspect(&url)["stats"]["processed"] == 1).then_some(()) },
    )
    .await;
    let (status, _) = w.term();
    assert!(status.success());
    let s = sk.inspect(&url);
    if s["stats"]["failed"] != 0 {
        panic!(
            "the job failed on kiqlab: {}",
            s["retries"][0]["error_message"]
        );
    }
    assert_eq!(s["stats"]["retry_size"], 0);
    let log = w.log_text();
    assert!(
        log.contains("aj now") && log.contains(&jid),
        "DemoWorker's handler logged it: {log}"
    );
    Outcome::Pass
}

async fn rails_adapter_job_shown(sk: Sidekiq, redis: RedisServer) -> Outcome {
    shown(sk, redis, "rails").await
}

async fn rails_adapter_job_runs(sk: Sidekiq, redis: RedisServer) -> Outcome {
    runs(sk, redis, "rails").await
}

async fn sidekiq_adapter_job_shown(sk: Sidekiq, redis: RedisServer) -> Outcome {
    shown(sk, redis, "sidekiq").await
}

async fn sidekiq_adapter_job_runs(sk: Sidekiq, redis: RedisServer) -> Outcome {
    runs(sk, redis, "sidekiq").await
}
