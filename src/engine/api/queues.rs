//! Queues as `Sidekiq::Queue` shows them: every queue with its size and
//! latency, one queue's jobs a page at a time, clearing a queue, and
//! deleting one job by its exact payload.

use super::{Api, ApiResult, Page, QueueSummary, QueuedJob, Removal};
use crate::engine::queue::QueueName;

impl Api {
    /// Every known queue, by name.
    pub async fn queues(&self) -> ApiResult<Vec<QueueSummary>> {
        self.read.queues(self.now()).await
    }

    /// One queue, `None` when the store does not know it.
    pub async fn queue(&self, name: &QueueName) -> ApiResult<Option<QueueSummary>> {
        Ok(self.queues().await?.into_iter().find(|q| &q.name == name))
    }

    pub async fn queue_jobs(&self, name: &QueueName, page: Page) -> ApiResult<Vec<QueuedJob>> {
        self.read.queue_jobs(name, page).await
    }

    /// Deletes the queue and its jobs; returns how many jobs went.
    pub async fn clear_queue(&self, name: &QueueName) -> ApiResult<u64> {
        let n = self.admin.clear_queue(name).await?;
        tracing::info!(queue = %name, jobs = n, "cleared a queue");
        Ok(n)
    }

    /// Deletes one waiting job whose payload is exactly `raw`.
    pub async fn delete_queued(&self, name: &QueueName, raw: &str) -> ApiResult<Removal> {
        self.admin.delete_queued(name, raw).await
    }
}
