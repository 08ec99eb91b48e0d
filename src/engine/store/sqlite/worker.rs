//! `WorkerSide` on SQLite: fetchers (`fetch`), acknowledgements (`ack`),
//! requeues and due jobs (`write`), heartbeats and orphans (`procs`), and
//! the rows a process has claimed. A unit's receipt is its row id.

use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;

use super::{ack, fetch, procs, write, SqliteStore};
use crate::engine::queue::{QueueName, QueueSpec};
use crate::engine::store::{
    Completion, Fetcher, Heartbeat, LocalHost, Receipt, Result, SetKind, Signal, UnitOfWork,
    WorkerSide,
};

/// A claimed row as a unit of work.
pub(super) fn claimed_unit(queue: QueueName, id: i64, payload: String) -> UnitOfWork {
    UnitOfWork::held(queue, Bytes::from(payload), Receipt::new(id))
}

/// The row id of a unit this store handed out.
pub(super) fn row_id(unit: &UnitOfWork) -> Result<i64> {
    unit.receipt().get::<i64>().copied()
}

#[async_trait]
impl WorkerSide for SqliteStore {
    async fn fetcher(&self, identity: &str, queues: &QueueSpec) -> Result<Box<dyn Fetcher>> {
        Ok(Box::new(fetch::SqliteFetcher::new(
            Arc::clone(&self.shared),
            identity,
            queues,
            self.idle_poll,
        )))
    }

    async fn complete(&self, identity: &str, batch: &[Completion], now: f64) -> Result<()> {
        if batch.is_empty() {
            return Ok(());
        }
        let batch = batch.to_vec();
        let identity = identity.to_owned();
        let limits = self.limits;
        self.write(move |tx| ack::complete(tx, &identity, &batch, now, limits))
            .await
    }

    async fn held(&self, identity: &str, queues: &[QueueName]) -> Result<Vec<UnitOfWork>> {
        let identity = identity.to_owned();
        let queues = queues.to_vec();
        self.read(move |tx| {
            let mut stmt = tx.prepare_cached(
                "SELECT id, payload FROM jobs
                 WHERE state = 'claimed' AND claimed_by = ?1 AND queue = ?2 ORDER BY id",
            )?;
            let mut out = Vec::new();
            for q in &queues {
                let rows = stmt.query_map(rusqlite::params![identity, q.as_str()], |r| {
                    Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
                })?;
                for row in rows {
                    let (id, payload) = row?;
                    out.push(claimed_unit(q.clone(), id, payload));
                }
            }
            Ok(out)
        })
        .await
    }

    async fn requeue(&self, identity: &str, units: Vec<UnitOfWork>) -> Result<()> {
        if units.is_empty() {
            return Ok(());
        }
        let identity = identity.to_owned();
        let rows = write::requeue_rows(&units)?;
        self.write_ready(move |tx| write::requeue_front(tx, &identity, &rows))
            .await?;
        Ok(())
    }

    async fn enqueue_due(&self, now: f64) -> Result<usize> {
        let mut moved = 0;
        for set in [SetKind::Retry, SetKind::Schedule] {
            loop {
                let (n, seen) = self
                    .write_ready_pair(move |tx| write::move_due(tx, set.key(), now))
                    .await?;
                moved += n;
                if seen < write::due_batch() {
                    break;
                }
            }
        }
        Ok(moved)
    }

    async fn recover_orphans(&self, local: &LocalHost) -> Result<usize> {
        let local = local.clone();
        self.write_ready(move |tx| procs::recover_orphans(tx, &local))
            .await
    }

    async fn heartbeat(&self, beat: &Heartbeat) -> Result<Option<Signal>> {
        let beat = beat.clone();
        let signal = self.write(move |tx| procs::heartbeat(tx, &beat)).await?;
        Ok(signal.map(|s| Signal::parse(&s)))
    }

    async fn clear_heartbeat(&self, identity: &str) -> Result<()> {
        let identity = identity.to_owned();
        self.write_ready(move |tx| procs::clear_heartbeat(tx, &identity))
            .await?;
        Ok(())
    }

    async fn process_count(&self) -> Result<u64> {
        Ok(self.read(procs::busy_totals).await?.0)
    }
}
