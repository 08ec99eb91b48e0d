//! Tutorial 004's lesson: the urgent job is enqueued once the slow ones
//! have started, so the class sees it run right after the first batch
//! (workers started with `-q urgent,10 -q default,1`), not before any.

use std::time::Duration;

use crate::engine::api::Api;
use crate::engine::client::Client;
use crate::engine::job::Job;

/// How long to wait for a worker to start a slow job before pushing the
/// urgent one anyway (it is never dropped).
const MOST: Duration = Duration::from_secs(600);
const EVERY: Duration = Duration::from_millis(200);

/// Waits until a worker runs one of `slow` (a jid in the work in progress),
/// then pushes `urgent`.
pub async fn push_once_started(api: Api, client: Client, slow: Vec<String>, urgent: Job) {
    let deadline = tokio::time::Instant::now() + MOST;
    while tokio::time::Instant::now() < deadline {
        match api.work().await {
            Ok(work) if work.iter().any(|w| running_one_of(&w.payload, &slow)) => break,
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "playground: cannot read the work in progress"),
        }
        tokio::time::sleep(EVERY).await;
    }
    let jid = urgent.jid().to_owned();
    match client.push_job(urgent).await {
        Ok(_) => tracing::info!(
            jid,
            "playground: the slow jobs started; pushed the urgent job"
        ),
        Err(e) => tracing::error!(jid, error = %e, "playground: cannot push the urgent job"),
    }
}

fn running_one_of(payload: &str, slow: &[String]) -> bool {
    Job::parse(payload).is_ok_and(|j| slow.iter().any(|s| s == j.jid()))
}
