//! What the set tabs' buttons do, as Sidekiq's API does it: retry = take
//! out, `retry_count - 1`, push; add to queue = take out, push; kill = take
//! out, into the dead set; delete = take out. One entry (by key) and every
//! entry (in `ZPOPMIN` batches, so 100,000 entries never sit in memory at
//! once) go through the same `dispose`, so they agree:
//!
//! - an entry that is not a readable job cannot be run or killed: it is put
//!   back exactly as it was (same score, same bytes), never dropped; delete
//!   deletes it like any other;
//! - when pushing or killing fails, what was taken out is put back before
//!   the error is returned.

use serde_json::Value;

use super::{Api, ApiResult, EntryKey, Removal, SetKind, SortedEntry};
use crate::engine::client::repush;
use crate::engine::job::Job;

/// Entries taken out per batch by the "all" actions.
const BATCH: u64 = 1000;

/// What can be done to sorted-set entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetAction {
    /// Back to its queue with one retry given back (Sidekiq's `retry`).
    Retry,
    /// Back to its queue as it is (`add_to_queue`, for scheduled jobs).
    AddToQueue,
    /// Into the dead set, now.
    Kill,
    Delete,
}

impl SetAction {
    pub fn name(self) -> &'static str {
        match self {
            SetAction::Retry => "retry",
            SetAction::AddToQueue => "add_to_queue",
            SetAction::Kill => "kill",
            SetAction::Delete => "delete",
        }
    }
}

/// What an action on one entry did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionOutcome {
    Done,
    /// The entry is no longer there (retried, run or deleted meanwhile).
    NotFound,
    /// The entry is not a readable job: left in place, unchanged.
    Unreadable,
}

/// What an action on every entry did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BulkOutcome {
    /// Entries acted on.
    pub done: u64,
    /// Unreadable entries left in place.
    pub unreadable: u64,
}

/// Sidekiq's `SortedEntry#retry`: one retry is given back.
fn give_back_a_retry(mut job: Job) -> Job {
    if let Some(n) = job.get("retry_count").and_then(Value::as_i64) {
        job.set("retry_count", Value::from(n - 1));
    }
    job
}

impl Api {
    /// Applies `action` to the entry `key` of `set`.
    pub async fn apply(
        &self,
        set: SetKind,
        key: &EntryKey,
        action: SetAction,
    ) -> ApiResult<ActionOutcome> {
        let entry = match self.admin.take_entry(set, key).await? {
            Removal::Removed(e) => e,
            Removal::NotFound => return Ok(ActionOutcome::NotFound),
        };
        let jid = entry.jid().to_owned();
        let kept = self.dispose(set, vec![entry], action).await?;
        if !kept.is_empty() {
            self.admin.restore_entries(set, &kept).await?;
            return Ok(ActionOutcome::Unreadable);
        }
        tracing::info!(set = set.key(), jid = %jid, action = action.name(), "set action");
        Ok(ActionOutcome::Done)
    }

    /// Applies `action` to every entry of `set`.
    pub async fn apply_all(&self, set: SetKind, action: SetAction) -> ApiResult<BulkOutcome> {
        let mut out = BulkOutcome::default();
        if action == SetAction::Delete {
            out.done = self.admin.clear_set(set).await?;
        } else {
            // Unreadable entries are put back once the set has been walked,
            // or the batches would take them again.
            let mut kept: Vec<SortedEntry> = Vec::new();
            let walked = self.walk(set, action, &mut out, &mut kept).await;
            out.unreadable = kept.len() as u64;
            let restored = self.admin.restore_entries(set, &kept).await;
            walked?;
            restored?;
        }
        tracing::info!(
            set = set.key(),
            action = action.name(),
            entries = out.done,
            unreadable = out.unreadable,
            "set action on all"
        );
        Ok(out)
    }

    /// Takes `set` out batch by batch and disposes of each.
    async fn walk(
        &self,
        set: SetKind,
        action: SetAction,
        out: &mut BulkOutcome,
        kept: &mut Vec<SortedEntry>,
    ) -> ApiResult<()> {
        loop {
            let batch = self.admin.pop_entries(set, BATCH).await?;
            let (n, full) = (batch.len() as u64, batch.len() as u64 == BATCH);
            if n == 0 {
                return Ok(());
            }
            let unreadable = self.dispose(set, batch, action).await?;
            out.done += n - unreadable.len() as u64;
            kept.extend(unreadable);
            if !full {
                return Ok(());
            }
        }
    }

    /// Does `action` to entries already taken out of `set`; returns the
    /// unreadable ones for the caller to put back. When the action fails,
    /// every entry is put back first.
    async fn dispose(
        &self,
        set: SetKind,
        taken: Vec<SortedEntry>,
        action: SetAction,
    ) -> ApiResult<Vec<SortedEntry>> {
        if action == SetAction::Delete {
            return Ok(Vec::new());
        }
        let (readable, unreadable): (Vec<SortedEntry>, Vec<SortedEntry>) =
            taken.into_iter().partition(|e| e.job.is_some());
        let jobs: Vec<Job> = readable.iter().filter_map(|e| e.job.clone()).collect();
        let now = self.now();
        let done = match action {
            SetAction::Retry => {
                let jobs = jobs.into_iter().map(give_back_a_retry).collect();
                repush(self.queueing.as_ref(), jobs, now).await.map(drop)
            }
            SetAction::AddToQueue => repush(self.queueing.as_ref(), jobs, now).await.map(drop),
            SetAction::Kill => {
                let dead: Vec<(f64, Job)> = jobs.into_iter().map(|j| (now, j)).collect();
                self.admin.add_entries(SetKind::Dead, &dead).await
            }
            SetAction::Delete => Ok(()),
        };
        if let Err(e) = done {
            let all: Vec<SortedEntry> = readable.into_iter().chain(unreadable).collect();
            if let Err(again) = self.admin.restore_entries(set, &all).await {
                tracing::error!(
                    set = set.key(),
                    entries = all.len(),
                    error = %again,
                    "could not put back entries after a failed action; they are lost"
                );
            }
            return Err(e);
        }
        if !unreadable.is_empty() {
            tracing::warn!(
                set = set.key(),
                entries = unreadable.len(),
                action = action.name(),
                "unreadable entries cannot be run or killed; left in place"
            );
        }
        Ok(unreadable)
    }

    /// sidekiq-failures' "Reset Counter": the failed counter to zero (the
    /// daily history stays).
    pub async fn reset_failed_counter(&self) -> ApiResult<()> {
        self.admin.reset_stats(false, true).await?;
        tracing::info!("reset the failed counter");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::job::Retry;
    use crate::engine::queue::QueueName;

    #[test]
    fn retry_gives_one_back() {
        let mut j = Job::new("A", vec![], QueueName::default_queue(), Retry::Default);
        assert!(give_back_a_retry(j.clone()).get("retry_count").is_none());
        j.set("retry_count", Value::from(0));
        assert_eq!(
            give_back_a_retry(j).get("retry_count"),
            Some(&Value::from(-1))
        );
    }
}
