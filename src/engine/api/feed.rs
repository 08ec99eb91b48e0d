//! Beyond Sidekiq's API: the recent-jobs feed (which host ran what, how it
//! ended) and Sidekiq 7's per-class metrics with their duration histograms.

use super::{Api, ApiResult, ClassMinute, Histogram, JobRecord};

impl Api {
    /// The newest `limit` executions, newest first; with `host`, that host's.
    pub async fn recent_jobs(&self, limit: u64, host: Option<&str>) -> ApiResult<Vec<JobRecord>> {
        self.read.recent_jobs(limit, host).await
    }

    /// Per-class, per-minute metrics for the minutes from `since` to `until`.
    pub async fn class_metrics(&self, since: f64, until: f64) -> ApiResult<Vec<ClassMinute>> {
        self.read.class_metrics(since, until).await
    }

    /// The duration histogram of `class`'s successful runs from `since` to `until`.
    pub async fn class_histogram(
        &self,
        class: &str,
        since: f64,
        until: f64,
    ) -> ApiResult<Histogram> {
        self.read.class_histogram(class, since, until).await
    }
}
