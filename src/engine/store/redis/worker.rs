//! `WorkerSide` on Redis: fetchers (`fetch`), acknowledgements (`ack`),
//! requeues and due jobs (`write`), heartbeats and orphans (`procs`), and
//! the in-progress lists a process holds. A unit's receipt is its payload
//! exactly as stored, which is how Redis finds it in a list.

use async_trait::async_trait;
use bytes::Bytes;

use super::scripts::wip_key;
use super::{ack, fetch, procs, write, RedisStore};
use crate::engine::queue::{QueueName, QueueSpec};
use crate::engine::store::{
    Completion, Fetcher, Heartbeat, LocalHost, Receipt, Result, Signal, UnitOfWork, WorkerSide,
};

/// A unit held in an in-progress list; acknowledged by value.
pub(super) fn held_unit(queue: QueueName, raw: Vec<u8>) -> UnitOfWork {
    let payload = Bytes::from(raw);
    UnitOfWork::held(queue, payload.clone(), Receipt::new(payload))
}

/// The exact bytes Redis holds for `unit`.
pub(super) fn stored_bytes(unit: &UnitOfWork) -> Result<&Bytes> {
    unit.receipt().get::<Bytes>()
}

#[async_trait]
impl WorkerSide for RedisStore {
    async fn fetcher(&self, identity: &str, queues: &QueueSpec) -> Result<Box<dyn Fetcher>> {
        Ok(Box::new(fetch::RedisFetcher::new(
            self.client.clone(),
            self.con(),
            identity,
            queues,
        )))
    }

    async fn complete(&self, identity: &str, batch: &[Completion], now: f64) -> Result<()> {
        ack::complete(&mut self.con(), identity, batch, now, self.limits).await
    }

    async fn held(&self, identity: &str, queues: &[QueueName]) -> Result<Vec<UnitOfWork>> {
        if queues.is_empty() {
            return Ok(Vec::new());
        }
        let mut pipe = redis::pipe();
        for q in queues {
            pipe.cmd("LRANGE")
                .arg(wip_key(identity, q.as_str()))
                .arg(0)
                .arg(-1);
        }
        let lists: Vec<Vec<Vec<u8>>> = pipe.query_async(&mut self.con()).await?;
        Ok(queues
            .iter()
            .zip(lists)
            .flat_map(|(q, items)| items.into_iter().map(move |raw| held_unit(q.clone(), raw)))
            .collect())
    }

    async fn requeue(&self, identity: &str, units: Vec<UnitOfWork>) -> Result<()> {
        write::requeue(&mut self.con(), identity, units).await
    }

    async fn enqueue_due(&self, now: f64) -> Result<usize> {
        write::enqueue_due(&mut self.con(), now).await
    }

    async fn recover_orphans(&self, local: &LocalHost) -> Result<usize> {
        procs::recover_orphans(&mut self.con(), local).await
    }

    async fn heartbeat(&self, beat: &Heartbeat) -> Result<Option<Signal>> {
        Ok(procs::heartbeat(&mut self.con(), beat)
            .await?
            .map(|s| Signal::parse(&s)))
    }

    async fn clear_heartbeat(&self, identity: &str) -> Result<()> {
        procs::clear_heartbeat(&mut self.con(), identity).await
    }

    async fn process_count(&self) -> Result<u64> {
        Ok(procs::processes(&mut self.con()).await?.len() as u64)
    }
}
