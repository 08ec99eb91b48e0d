//! What counts as work for a set of queues, as the gem's `QueueSystem`
//! counts it: jobs queued, scheduled and retrying (and which of the last two
//! are already due, so that a worker's scheduler would queue them now).

use crate::engine::queue::QueueName;
use crate::engine::store::{Page, ReadSide, SetKind, SetQuery, StoreError};

/// Entries read per page when a set must be filtered by queue.
const PAGE: u64 = 200;
/// Entries examined per set at most; the rest count as work, unexamined.
const SCAN_MAX: u64 = 5_000;

/// The queues a worker serves (or an autoscaler watches).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Queues {
    All,
    Only(Vec<QueueName>),
}

/// "all queues", or "urgent, default".
impl std::fmt::Display for Queues {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Queues::All => f.write_str("all queues"),
            Queues::Only(list) => {
                let names: Vec<&str> = list.iter().map(|q| q.as_str()).collect();
                f.write_str(&names.join(", "))
            }
        }
    }
}

impl Queues {
    pub fn includes(&self, queue: &str) -> bool {
        match self {
            Queues::All => true,
            Queues::Only(list) => list.iter().any(|q| q.as_str() == queue),
        }
    }

    /// True when a process serving `served` takes work from these queues.
    pub fn overlaps(&self, served: &[String]) -> bool {
        served.iter().any(|q| self.includes(q))
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Workload {
    pub queued: u64,
    pub scheduled: u64,
    pub retrying: u64,
    /// Scheduled and retrying jobs whose time has come.
    pub due: u64,
}

impl Workload {
    /// Jobs a worker would run now.
    pub fn waiting(&self) -> u64 {
        self.queued + self.due
    }

    /// Anything at all, now or later.
    pub fn any(&self) -> bool {
        self.queued + self.scheduled + self.retrying > 0
    }
}

/// Reads the workload of `queues` at `now`.
pub async fn measure(
    store: &dyn ReadSide,
    queues: &Queues,
    now: f64,
) -> Result<Workload, StoreError> {
    let queued = store
        .queues(now)
        .await?
        .iter()
        .filter(|q| queues.includes(q.name.as_str()))
        .map(|q| q.size)
        .sum();
    let (scheduled, due_s) = count_set(store, SetKind::Schedule, queues, now).await?;
    let (retrying, due_r) = count_set(store, SetKind::Retry, queues, now).await?;
    Ok(Workload {
        queued,
        scheduled,
        retrying,
        due: due_s + due_r,
    })
}

/// (entries for `queues`, of which due) in one sorted set. Entries are read
/// oldest first, so the due ones come first.
async fn count_set(
    store: &dyn ReadSide,
    set: SetKind,
    queues: &Queues,
    now: f64,
) -> Result<(u64, u64), StoreError> {
    let size = store.set_size(set).await?;
    if size == 0 {
        return Ok((0, 0));
    }
    let (mut matching, mut due, mut seen) = (0u64, 0u64, 0u64);
    let mut past_due = false;
    while seen < size.min(SCAN_MAX) {
        let page = store
            .set_entries(&SetQuery::new(set, Page::oldest(seen, PAGE)))
            .await?;
        if page.is_empty() {
            break;
        }
        for e in &page {
            seen += 1;
            if e.score > now {
                past_due = true;
            }
            // An unreadable payload still counts: some worker must deal with it.
            let ours = e
                .job
                .as_ref()
                .map(|j| queues.includes(j.queue().as_str()))
                .unwrap_or(true);
            if ours {
                matching += 1;
                if !past_due {
                    due += 1;
                }
            }
            if queues == &Queues::All && past_due {
                // Unfiltered: the rest are all ours and none is due.
                return Ok((size, due));
            }
        }
    }
    // Past the scan limit, count the rest as work (and as due if we never
    // reached a future entry), so the autoscaler errs towards running a worker.
    let rest = size.saturating_sub(seen);
    if !past_due {
        due += rest;
    }
    Ok((matching + rest, due))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queues_filter_and_overlap() {
        let q = Queues::Only(vec![QueueName::parse("urgent").unwrap()]);
        assert!(q.includes("urgent"));
        assert!(!q.includes("default"));
        assert!(q.overlaps(&["default".into(), "urgent".into()]));
        assert!(!q.overlaps(&["low".into()]));
        assert!(Queues::All.includes("anything"));
    }

    #[test]
    fn waiting_is_queued_plus_due() {
        let w = Workload {
            queued: 2,
            scheduled: 5,
            retrying: 1,
            due: 3,
        };
        assert_eq!(w.waiting(), 5);
        assert!(w.any());
        assert!(!Workload::default().any());
    }
}
