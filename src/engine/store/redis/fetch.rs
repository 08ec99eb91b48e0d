//! Reliable fetch on Redis (Sidekiq Pro's super_fetch idea): jobs move
//! atomically from `queue:NAME` into this process's `kiqlab:wip|…` list, in
//! batches when work is waiting, and through one blocking `BLMOVE` per queue
//! when the worker is idle, so an idle worker never polls. Redis serves the
//! client blocked longest first, so idle workers take turns: a waiter stays
//! blocked across fetches (a timeout would send it to the back of the line)
//! and is woken early with `CLIENT UNBLOCK` when the worker is full or closes.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use redis::aio::{ConnectionManager, MultiplexedConnection};
use redis::{AsyncConnectionConfig, Value};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tracing::Instrument;

use super::scripts::{wip_key, FETCH, WIP_REGISTRY};
use super::worker::held_unit;
use crate::engine::queue::{QueueName, QueueSpec};
use crate::engine::store::{Fetcher, Result, StoreError, UnitOfWork};
use crate::shutdown::Shutdown;

/// How long one blocking `BLMOVE` waits at most (a waiter that times out
/// goes to the back of the line; `close` and a full worker unblock it).
const BLOCK_SECS: f64 = 10.0;

pub struct RedisFetcher {
    client: redis::Client,
    con: ConnectionManager,
    identity: String,
    keys: HashMap<QueueName, (String, String)>,
    tx: mpsc::UnboundedSender<UnitOfWork>,
    rx: mpsc::UnboundedReceiver<UnitOfWork>,
    /// True while `fetch` is waiting; blocking waiters only block then.
    want: Arc<watch::Sender<bool>>,
    /// Set once by `close`: the waiters stop between commands.
    closed: Shutdown,
    waiters: HashMap<QueueName, (JoinHandle<()>, Arc<Blocked>)>,
}

/// A waiter's connection (`CLIENT ID`, 0 before it has one) and whether
/// it is in a `BLMOVE`, so it can be unblocked from another connection.
#[derive(Debug, Default)]
struct Blocked {
    client_id: AtomicI64,
    now: AtomicBool,
}

impl RedisFetcher {
    pub(super) fn new(
        client: redis::Client,
        con: ConnectionManager,
        identity: &str,
        spec: &QueueSpec,
    ) -> RedisFetcher {
        let keys = spec
            .queues()
            .iter()
            .map(|q| {
                (
                    q.clone(),
                    (format!("queue:{q}"), wip_key(identity, q.as_str())),
                )
            })
            .collect();
        let (tx, rx) = mpsc::unbounded_channel();
        RedisFetcher {
            client,
            con,
            identity: identity.to_owned(),
            keys,
            tx,
            rx,
            want: Arc::new(watch::channel(false).0),
            closed: Shutdown::new(),
            waiters: HashMap::new(),
        }
    }

    fn drain(&mut self, out: &mut Vec<UnitOfWork>) {
        while let Ok(u) = self.rx.try_recv() {
            out.push(u);
        }
    }

    async fn fetch_batch(&mut self, order: &[QueueName], max: usize) -> Result<Vec<UnitOfWork>> {
        let mut inv = FETCH.prepare_invoke();
        inv.key(WIP_REGISTRY);
        let mut names = Vec::with_capacity(order.len());
        for q in order {
            let Some((queue_key, wip)) = self.keys.get(q) else {
                continue;
            };
            inv.key(queue_key).key(wip);
            names.push(q);
        }
        inv.arg(max);
        let reply: Value = inv.invoke_async(&mut self.con).await?;
        let Value::Array(items) = reply else {
            return Ok(Vec::new());
        };
        let mut out = Vec::with_capacity(max);
        let mut it = items.into_iter();
        while let (Some(idx), Some(Value::Array(jobs))) = (it.next(), it.next()) {
            let idx: usize = redis::from_redis_value(idx)?;
            let queue = names
                .get(idx.wrapping_sub(1))
                .ok_or_else(|| StoreError::Corrupt("fetch script returned a bad index".into()))?;
            for j in jobs {
                let raw: Vec<u8> = redis::from_redis_value(j)?;
                out.push(held_unit((*queue).clone(), raw));
            }
        }
        Ok(out)
    }

    fn ensure_waiters(&mut self, order: &[QueueName]) {
        for q in order {
            if self.waiters.get(q).is_some_and(|(h, _)| !h.is_finished()) {
                continue;
            }
            let Some((queue_key, wip)) = self.keys.get(q).cloned() else {
                continue;
            };
            let blocked = Arc::new(Blocked::default());
            let waiter = Waiter {
                client: self.client.clone(),
                blocked: Arc::clone(&blocked),
                queue: q.clone(),
                queue_key,
                wip,
                tx: self.tx.clone(),
                wanted: self.want.subscribe(),
                want: Arc::clone(&self.want),
                closed: self.closed.clone(),
            };
            let span = tracing::debug_span!("blmove", identity = %self.identity, queue = %q);
            let handle = tokio::spawn(waiter.run().instrument(span));
            self.waiters.insert(q.clone(), (handle, blocked));
        }
    }

    /// Ends the `BLMOVE`s in progress (they return as if timed out).
    async fn unblock(&mut self) {
        for (_, b) in self.waiters.values() {
            let id = b.client_id.load(Ordering::Acquire);
            if id == 0 || !b.now.load(Ordering::Acquire) {
                continue;
            }
            let r: redis::RedisResult<i64> = redis::cmd("CLIENT")
                .arg("UNBLOCK")
                .arg(id)
                .query_async(&mut self.con)
                .await;
            if let Err(e) = r {
                tracing::debug!(error = %e, "CLIENT UNBLOCK failed; the waiter times out instead");
            }
        }
    }
}

#[async_trait]
impl Fetcher for RedisFetcher {
    async fn fetch(
        &mut self,
        order: &[QueueName],
        max: usize,
        block: Duration,
    ) -> Result<Vec<UnitOfWork>> {
        let mut out = Vec::new();
        self.drain(&mut out);
        if out.len() < max {
            let more = self.fetch_batch(order, max - out.len()).await?;
            out.extend(more);
        }
        if out.is_empty() && !block.is_zero() {
            self.ensure_waiters(order);
            self.want.send_replace(true);
            if let Ok(Some(u)) = tokio::time::timeout(block, self.rx.recv()).await {
                out.push(u);
            }
            self.want.send_replace(false);
            self.drain(&mut out);
        }
        if out.len() >= max {
            // Full: a waiter still blocked would take a job there is no
            // room for while other workers are idle.
            self.unblock().await;
        }
        Ok(out)
    }

    fn take_pending(&mut self) -> Vec<UnitOfWork> {
        let mut out = Vec::new();
        self.drain(&mut out);
        out
    }

    async fn close(mut self: Box<Self>) -> Result<Vec<UnitOfWork>> {
        self.want.send_replace(false);
        self.closed.trigger();
        let waiters: Vec<_> = self.waiters.drain().map(|(_, w)| w).collect();
        for (mut h, b) in waiters {
            // Unblocked between its check and its command, it blocks again:
            // unblock until it has stopped.
            loop {
                let id = b.client_id.load(Ordering::Acquire);
                if id != 0 && b.now.load(Ordering::Acquire) {
                    let _: redis::RedisResult<i64> = redis::cmd("CLIENT")
                        .arg("UNBLOCK")
                        .arg(id)
                        .query_async(&mut self.con)
                        .await;
                }
                if tokio::time::timeout(Duration::from_millis(100), &mut h)
                    .await
                    .is_ok()
                {
                    break;
                }
            }
        }
        let mut out = Vec::new();
        self.drain(&mut out);
        Ok(out)
    }
}

impl Drop for RedisFetcher {
    /// A fetcher dropped without `close` still stops its waiters.
    fn drop(&mut self) {
        self.closed.trigger();
    }
}

/// One blocking `BLMOVE` loop for one queue. It is never cancelled mid-command
/// (that could strand a moved job unseen); it stops between commands.
struct Waiter {
    client: redis::Client,
    blocked: Arc<Blocked>,
    queue: QueueName,
    queue_key: String,
    wip: String,
    tx: mpsc::UnboundedSender<UnitOfWork>,
    wanted: watch::Receiver<bool>,
    /// To withdraw the wish once served (see `run`).
    want: Arc<watch::Sender<bool>>,
    closed: Shutdown,
}

impl Waiter {
    async fn run(mut self) {
        let mut con: Option<MultiplexedConnection> = None;
        let mut backoff = Duration::from_millis(100);
        loop {
            if self.closed.is_triggered() {
                return;
            }
            if !*self.wanted.borrow() {
                tokio::select! {
                    _ = self.wanted.wait_for(|w| *w) => {}
                    _ = self.closed.wait() => return,
                }
                continue;
            }
            if con.is_none() {
                let cfg = AsyncConnectionConfig::new()
                    .set_response_timeout(Some(Duration::from_secs_f64(BLOCK_SECS + 10.0)))
                    .set_connection_timeout(Some(Duration::from_secs(2)));
                match self
                    .client
                    .get_multiplexed_async_connection_with_config(&cfg)
                    .await
                {
                    Ok(mut c) => {
                        let id: redis::RedisResult<i64> =
                            redis::cmd("CLIENT").arg("ID").query_async(&mut c).await;
                        self.blocked
                            .client_id
                            .store(id.unwrap_or(0), Ordering::Release);
                        con = Some(c);
                    }
                    Err(e) => {
                        tracing::warn!(queue = %self.queue, error = %e, "cannot connect to Redis for blocking fetch; retrying");
                        self.pause(&mut backoff).await;
                        continue;
                    }
                }
            }
            let Some(c) = con.as_mut() else { continue };
            self.blocked.now.store(true, Ordering::Release);
            let res: redis::RedisResult<Option<Vec<u8>>> = redis::cmd("BLMOVE")
                .arg(&self.queue_key)
                .arg(&self.wip)
                .arg("RIGHT")
                .arg("LEFT")
                .arg(BLOCK_SECS)
                .query_async(c)
                .await;
            self.blocked.now.store(false, Ordering::Release);
            match res {
                Ok(Some(raw)) => {
                    backoff = Duration::from_millis(100);
                    // The wish is served: withdraw it before handing the job
                    // over, or this loop would block for another one before
                    // `fetch` wakes up to withdraw it, and take a job the
                    // worker has no room for.
                    self.want.send_replace(false);
                    // Register the wip list (the batch script does it too).
                    let _: redis::RedisResult<()> = redis::cmd("SADD")
                        .arg(WIP_REGISTRY)
                        .arg(&self.wip)
                        .query_async(c)
                        .await;
                    let unit = held_unit(self.queue.clone(), raw);
                    if self.tx.send(unit).is_err() {
                        // The fetcher is gone without closing; the job stays in
                        // the wip list and is recovered like a crash.
                        return;
                    }
                }
                Ok(None) => backoff = Duration::from_millis(100),
                Err(e) => {
                    tracing::warn!(queue = %self.queue, error = %e, "blocking fetch failed; reconnecting");
                    con = None;
                    self.pause(&mut backoff).await;
                }
            }
        }
    }

    async fn pause(&mut self, backoff: &mut Duration) {
        tokio::select! {
            _ = tokio::time::sleep(*backoff) => {}
            _ = self.closed.wait() => {}
        }
        *backoff = (*backoff * 2).min(Duration::from_secs(5));
    }
}
