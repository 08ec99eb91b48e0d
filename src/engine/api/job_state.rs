//! Where one job is now, by its jid, for the apps' record pages: running on
//! a worker, waiting in the retry set (which attempt, the error, the next
//! try), dead, scheduled, or none of those (still in its queue, or done: the
//! app's own record says which).

use serde::Serialize;

use super::{Api, ApiResult, Page, SetKind, SetQuery};
use crate::engine::job::{Job, Retry};
use crate::engine::retry::DEFAULT_MAX_RETRIES;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum JobState {
    /// In no set and on no worker: waiting in its queue, or already done.
    Elsewhere,
    /// A worker runs it now.
    Running {
        /// The process name (`worker-01`).
        worker: String,
        queue: String,
        since: f64,
    },
    /// Waiting for `perform_in` / `perform_at`.
    Scheduled { at: f64 },
    /// Failed, and waiting for retry `attempt` of `of`.
    Retrying {
        attempt: u32,
        of: u32,
        error: String,
        next_at: f64,
        /// The dashboard's key for it (`/sidekiq/retries/KEY`).
        key: String,
    },
    /// In the dead set: not tried again unless someone retries it.
    Dead {
        error: String,
        died_at: f64,
        key: String,
    },
}

fn error_of(job: &Job) -> String {
    match (job.error_class(), job.error_message()) {
        (Some(c), Some(m)) => format!("{c}: {m}"),
        (None, Some(m)) => m.to_owned(),
        (Some(c), None) => c.to_owned(),
        (None, None) => "unknown error".to_owned(),
    }
}

impl Api {
    /// Where the job `jid` is now (a few reads: the work in progress, then
    /// the retry, dead and scheduled sets filtered by the jid).
    pub async fn job_state(&self, jid: &str) -> ApiResult<JobState> {
        for w in self.work().await? {
            if Job::parse(&w.payload).is_ok_and(|j| j.jid() == jid) {
                let worker = w.identity.split(':').next().unwrap_or("").to_owned();
                return Ok(JobState::Running {
                    worker,
                    queue: w.queue,
                    since: w.run_at,
                });
            }
        }
        for set in [SetKind::Retry, SetKind::Dead, SetKind::Schedule] {
            let query = SetQuery::new(set, Page::oldest(0, 5)).matching(Some(jid));
            let found = self.set_page(&query).await?.into_iter().find_map(|e| {
                let key = e.key().to_string();
                e.job.filter(|j| j.jid() == jid).map(|j| (e.score, key, j))
            });
            let Some((score, key, job)) = found else {
                continue;
            };
            return Ok(match set {
                SetKind::Retry => JobState::Retrying {
                    attempt: job.retry_count().unwrap_or(0).saturating_add(1),
                    of: match job.retry() {
                        Retry::Count(n) => n,
                        Retry::Default => DEFAULT_MAX_RETRIES,
                        Retry::Off => 0,
                    },
                    error: error_of(&job),
                    next_at: score,
                    key,
                },
                SetKind::Dead => JobState::Dead {
                    error: error_of(&job),
                    died_at: score,
                    key,
                },
                _ => JobState::Scheduled { at: score },
            });
        }
        Ok(JobState::Elsewhere)
    }
}
