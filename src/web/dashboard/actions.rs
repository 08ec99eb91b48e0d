//! What the set tabs' buttons do, on one entry or on all of them, as
//! Sidekiq's API does it: retry = take out, `retry_count - 1`, push;
//! add to queue = take out, push; kill = take out, into the dead set;
//! delete = take out. "All" works in batches of `pop_entries`, so 100,000
//! entries never sit in memory at once. Reset = the failed counter to 0.

use serde_json::Value;

use super::error::DashResult;
use super::params::{Action, SetTab};
use crate::engine::clock::now_secs;
use crate::engine::job::Job;
use crate::engine::store::{EntryKey, SetKind, SortedEntry};
use crate::web::state::AppState;

/// Entries taken out per batch by the "all" actions.
const BATCH: u64 = 1000;

/// Sidekiq's `SortedEntry#retry`: one retry is given back.
fn give_back_a_retry(mut job: Job) -> Job {
    if let Some(n) = job.get("retry_count").and_then(Value::as_i64) {
        job.set("retry_count", Value::from(n - 1));
    }
    job
}

/// Applies `action` to the entry `key` of `tab`; `false` when it is gone.
pub async fn apply_one(
    state: &AppState,
    tab: SetTab,
    key: &EntryKey,
    action: Action,
) -> DashResult<bool> {
    let store = state.client.store();
    let Some(entry) = store.take_entry(tab.set(), key).await? else {
        return Ok(false);
    };
    let jid = entry.jid().to_owned();
    let Some(job) = entry.job else {
        // Unreadable: it can only be deleted; put it back otherwise.
        if action != Action::Delete {
            tracing::warn!(
                set = tab.set().key(),
                "an unreadable entry cannot be run; left in place"
            );
            restore_raw(state, tab.set(), entry.score, &entry.raw).await?;
        }
        return Ok(true);
    };
    match action {
        Action::Delete | Action::Reset => {}
        Action::Retry => {
            state.client.push_job(give_back_a_retry(job)).await?;
        }
        Action::AddToQueue => {
            state.client.push_job(job).await?;
        }
        Action::Kill => {
            store.add_entry(SetKind::Dead, now_secs(), &job).await?;
        }
    }
    tracing::info!(set = tab.set().key(), jid = %jid, action = action.name(), "dashboard action");
    Ok(true)
}

/// Puts back an unreadable entry that was taken out by mistake.
async fn restore_raw(state: &AppState, set: SetKind, score: f64, raw: &str) -> DashResult<()> {
    // Only a parseable job can go through `add_entry`; an unreadable one is
    // kept as the dead set keeps malformed payloads: wrapped.
    let mut job = Job::new(
        "Kiqlab::UnreadablePayload",
        vec![Value::from(raw)],
        crate::engine::queue::QueueName::default_queue(),
        crate::engine::job::Retry::Off,
    );
    job.set("error_class", Value::from("Kiqlab::UnreadablePayload"));
    state.client.store().add_entry(set, score, &job).await?;
    Ok(())
}

/// Applies `action` to every entry of `tab`; returns how many were changed.
pub async fn apply_all(state: &AppState, tab: SetTab, action: Action) -> DashResult<u64> {
    let store = state.client.store();
    let set = tab.set();
    let n = match action {
        Action::Delete => store.clear_set(set).await?,
        Action::Reset => {
            store.reset_stats(false, true).await?;
            0
        }
        Action::Retry | Action::AddToQueue | Action::Kill => {
            let mut total = 0u64;
            loop {
                let batch = store.pop_entries(set, BATCH).await?;
                if batch.is_empty() {
                    break;
                }
                total += batch.len() as u64;
                let full = batch.len() as u64 == BATCH;
                let jobs = readable(set, batch);
                match action {
                    Action::Kill => {
                        let now = now_secs();
                        let dead: Vec<(f64, Job)> = jobs.into_iter().map(|j| (now, j)).collect();
                        store.add_entries(SetKind::Dead, &dead).await?;
                    }
                    Action::Retry => {
                        state
                            .client
                            .push_jobs(jobs.into_iter().map(give_back_a_retry).collect())
                            .await?;
                    }
                    _ => {
                        state.client.push_jobs(jobs).await?;
                    }
                }
                if !full {
                    break;
                }
            }
            total
        }
    };
    tracing::info!(
        set = set.key(),
        action = action.name(),
        entries = n,
        "dashboard action on all"
    );
    Ok(n)
}

/// The jobs of a batch; unreadable payloads cannot run and are dropped (logged).
fn readable(set: SetKind, batch: Vec<SortedEntry>) -> Vec<Job> {
    batch
        .into_iter()
        .filter_map(|e| {
            if e.job.is_none() {
                tracing::error!(
                    set = set.key(),
                    bytes = e.raw.len(),
                    "dropped an unreadable entry"
                );
            }
            e.job
        })
        .collect()
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
