//! Reliable fetch on SQLite: ready rows of the first non-empty queue (in the
//! order asked) become `claimed` by this process in one `UPDATE … RETURNING`
//! under `BEGIN IMMEDIATE`, so two fetchers never claim the same job. When
//! nothing is ready the fetcher sleeps until `wake.rs` reports a write, with
//! a one-second poll as a fallback, in the line of idle fetchers (`idle.rs`):
//! a job that becomes ready goes to the one that has waited longest.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use rusqlite::{params, Transaction};
use tokio::time::Instant;

use super::conn::immediate;
use super::idle;
use super::worker::claimed_unit;
use super::write::{requeue_front, requeue_rows};
use super::Shared;
use crate::engine::clock::now_secs;
use crate::engine::queue::{QueueName, QueueSpec};
use crate::engine::store::{Fetcher, Result, UnitOfWork};

/// Re-checks after a wake-up that found nothing, covering the moment between
/// a WAL write and its commit becoming visible.
const SETTLE: [Duration; 3] = [
    Duration::from_millis(1),
    Duration::from_millis(5),
    Duration::from_millis(25),
];

/// How long a waiting fetcher stands back for one that has waited longer
/// (which normally claims within milliseconds) before it takes the job.
const FAIR_GRACE: Duration = Duration::from_millis(250);
/// How often it looks again meanwhile.
const FAIR_STEP: Duration = Duration::from_millis(10);

pub struct SqliteFetcher {
    shared: Arc<Shared>,
    identity: Arc<str>,
    queues: Vec<QueueName>,
    /// The last claim filled the batch: skip the read check next time.
    busy: bool,
    /// The fallback poll while idle (`super::IDLE_POLL` unless changed).
    idle_poll: Duration,
    /// In the line of idle fetchers (since the last claim).
    waiting: bool,
}

impl SqliteFetcher {
    pub(super) fn new(
        shared: Arc<Shared>,
        identity: &str,
        spec: &QueueSpec,
        idle_poll: Duration,
    ) -> SqliteFetcher {
        SqliteFetcher {
            shared,
            identity: identity.into(),
            queues: spec.queues().to_vec(),
            busy: false,
            idle_poll,
            waiting: false,
        }
    }

    /// The first of the queues with a ready job: a read, no write lock.
    async fn first_ready(&self, order: &[QueueName]) -> Result<Option<QueueName>> {
        let order = order.to_vec();
        self.shared
            .readers
            .read(move |tx| {
                let mut stmt = tx.prepare_cached(
                    "SELECT EXISTS (SELECT 1 FROM jobs WHERE state = 'ready' AND queue = ?1)",
                )?;
                for q in order {
                    if stmt.query_row([q.as_str()], |r| r.get::<_, bool>(0))? {
                        return Ok(Some(q));
                    }
                }
                Ok(None)
            })
            .await
    }

    /// Whether another live fetcher serving `queue` has waited longer.
    async fn someone_waited_longer(&self, queue: &QueueName) -> Result<bool> {
        let queue = queue.clone();
        let me = Arc::clone(&self.identity);
        let first = self
            .shared
            .readers
            .read(move |tx| idle::first_for(tx, &queue))
            .await?;
        Ok(first.is_some_and(|f| *f != *me))
    }

    /// Joins the line of idle fetchers (once per wait).
    async fn join_line(&mut self) -> Result<()> {
        if self.waiting {
            return Ok(());
        }
        let identity = Arc::clone(&self.identity);
        let queues = self.queues.clone();
        self.shared
            .writer
            .write(move |tx| idle::join(tx, &identity, &queues))
            .await?;
        self.waiting = true;
        Ok(())
    }

    async fn claim(&self, order: &[QueueName], max: usize) -> Result<Vec<UnitOfWork>> {
        let order = order.to_vec();
        let identity = Arc::clone(&self.identity);
        let back = Arc::clone(&self.identity);
        let shared = Arc::clone(&self.shared);
        self.shared
            .writer
            .run(
                move |conn| {
                    immediate(conn, |tx| {
                        let got = claim(tx, &identity, &order, max)?;
                        if !got.is_empty() {
                            idle::leave(tx, &identity)?;
                        }
                        Ok(got)
                    })
                },
                // The fetch was cancelled while claiming: put the jobs back.
                move |conn, units: Vec<UnitOfWork>| match immediate(conn, |tx| {
                    requeue_front(tx, &back, &requeue_rows(&units)?)
                }) {
                    Ok(_) => shared.wake.notify(),
                    Err(e) => tracing::error!(
                        identity = %back, error = %e,
                        "cannot return jobs claimed by a cancelled fetch; orphan recovery will"
                    ),
                },
            )
            .await
    }
}

/// Claims up to `max` ready jobs, draining the queues in `order`.
pub fn claim(
    tx: &Transaction<'_>,
    identity: &str,
    order: &[QueueName],
    max: usize,
) -> Result<Vec<UnitOfWork>> {
    let mut stmt = tx.prepare_cached(
        "UPDATE jobs SET state = 'claimed', claimed_by = ?1, claimed_at = ?2
         WHERE id IN (SELECT id FROM jobs WHERE state = 'ready' AND queue = ?3
                      ORDER BY pos, id LIMIT ?4)
         RETURNING id, pos, payload",
    )?;
    let now = now_secs();
    let mut out = Vec::with_capacity(max.min(1024));
    for q in order {
        let left = max - out.len();
        if left == 0 {
            break;
        }
        let mut rows: Vec<(i64, i64, String)> = stmt
            .query_map(params![identity, now, q.as_str(), left as i64], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })?
            .collect::<rusqlite::Result<_>>()?;
        // RETURNING gives no order guarantee.
        rows.sort_unstable_by_key(|&(id, pos, _)| (pos, id));
        out.extend(
            rows.into_iter()
                .map(|(id, _, payload)| claimed_unit(q.clone(), id, payload)),
        );
    }
    Ok(out)
}

#[async_trait]
impl Fetcher for SqliteFetcher {
    async fn fetch(
        &mut self,
        order: &[QueueName],
        max: usize,
        block: Duration,
    ) -> Result<Vec<UnitOfWork>> {
        let order: Vec<QueueName> = order
            .iter()
            .filter(|q| self.queues.contains(q))
            .cloned()
            .collect();
        if max == 0 || order.is_empty() {
            if !block.is_zero() {
                tokio::time::sleep(block).await;
            }
            return Ok(Vec::new());
        }
        if !block.is_zero() {
            // Before the first check, so no write after it goes unnoticed.
            self.shared.wake.ensure_watching();
        }
        let deadline = Instant::now() + block;
        let mut wake = self.shared.wake.subscribe();
        let mut settle = SETTLE.len();
        let mut standing_back: Option<Instant> = None;
        loop {
            wake.borrow_and_update();
            let ready = if self.busy {
                None
            } else {
                self.first_ready(&order).await?
            };
            if self.busy || ready.is_some() {
                if let Some(q) = ready.as_ref().filter(|_| self.waiting) {
                    let since = *standing_back.get_or_insert_with(Instant::now);
                    if since.elapsed() < FAIR_GRACE && self.someone_waited_longer(q).await? {
                        tokio::time::sleep(FAIR_STEP).await;
                        continue;
                    }
                }
                let got = self.claim(&order, max).await?;
                self.busy = got.len() == max;
                if !got.is_empty() {
                    self.waiting = false;
                    return Ok(got);
                }
            }
            standing_back = None;
            if !block.is_zero() {
                self.join_line().await?;
            }
            let now = Instant::now();
            if now >= deadline {
                return Ok(Vec::new());
            }
            let pause = SETTLE
                .get(settle)
                .copied()
                .unwrap_or(self.idle_poll)
                .min(deadline - now);
            tokio::select! {
                changed = wake.changed() => {
                    settle = 0;
                    if changed.is_err() {
                        tokio::time::sleep(pause).await;
                    }
                }
                _ = tokio::time::sleep(pause) => settle += 1,
            }
        }
    }

    async fn close(self: Box<Self>) -> Result<Vec<UnitOfWork>> {
        // Claims are made inside `fetch` (a cancelled one is undone by the
        // writer), so nothing can arrive afterwards.
        if self.waiting {
            let identity = Arc::clone(&self.identity);
            self.shared
                .writer
                .write(move |tx| idle::leave(tx, &identity))
                .await?;
        }
        Ok(Vec::new())
    }
}
