//! The flow view's one poller and its subscribers: while anyone watches, a
//! task reads the store every `TICK` through `engine::api`, diffs it with
//! the `Tracker` and broadcasts server-sent events; with nobody watching it
//! stops, so an idle page costs the store nothing.

use std::convert::Infallible;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use actix_web::web::Bytes;
use tokio::sync::broadcast::{self, error::RecvError};
use tokio::task::JoinHandle;
use tracing::Instrument;

use super::tracker::{Busy, Finished, FlowState, Snapshot, Tracker, WorkerBox};
use crate::engine::api::{Api, ApiResult, JobRecord, RunOutcome};
use crate::shutdown::Shutdown;

/// How often the store is read while someone watches.
pub const TICK: Duration = Duration::from_millis(300);
/// How much of the feed a tick reads first, and when all of that is new,
/// in all (the store keeps 1000).
const FEED_FIRST: u64 = 100;
const FEED: u64 = 1000;
/// Messages a slow subscriber may fall behind before it is resynced.
const BUFFER: usize = 1024;
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// One server-sent event, encoded.
type Message = Arc<str>;

struct Inner {
    tx: broadcast::Sender<Message>,
    /// The last `state` event, for a page that joins.
    state: Mutex<Option<Message>>,
    poller: Mutex<Option<JoinHandle<()>>>,
    shutdown: Shutdown,
}

/// Shared by the web node's workers (in the app data).
#[derive(Clone)]
pub struct FlowHub {
    inner: Arc<Inner>,
}

impl Default for FlowHub {
    fn default() -> Self {
        FlowHub::new()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// `event: NAME` with one line of JSON (serde_json writes no raw newline).
fn encode(name: &str, data: &impl serde::Serialize) -> Message {
    let json = serde_json::to_string(data).unwrap_or_else(|_| "null".into());
    format!("event: {name}\ndata: {json}\n\n").into()
}

impl FlowHub {
    pub fn new() -> FlowHub {
        let (tx, _) = broadcast::channel(BUFFER);
        FlowHub {
            inner: Arc::new(Inner {
                tx,
                state: Mutex::new(None),
                poller: Mutex::new(None),
                shutdown: Shutdown::new(),
            }),
        }
    }

    /// A new watcher: its receiver, and the picture so far (none before the
    /// poller's first tick). Starts the poller if it is not running.
    fn subscribe(&self, api: &Api) -> (broadcast::Receiver<Message>, Option<Message>) {
        let mut poller = lock(&self.inner.poller);
        let rx = self.inner.tx.subscribe();
        if poller.as_ref().is_none_or(JoinHandle::is_finished)
            && !self.inner.shutdown.is_triggered()
        {
            let task = poll(self.inner.clone(), api.clone());
            *poller = Some(tokio::spawn(
                task.instrument(tracing::info_span!("flow-poller")),
            ));
        }
        (rx, lock(&self.inner.state).clone())
    }

    /// Whether the poller runs (someone watches, or it has yet to notice
    /// the last one left).
    pub fn is_polling(&self) -> bool {
        lock(&self.inner.poller)
            .as_ref()
            .is_some_and(|t| !t.is_finished())
    }

    /// Ends every stream and the poller, and waits for it.
    pub async fn stop(&self) {
        self.inner.shutdown.trigger();
        let task = lock(&self.inner.poller).take();
        if let Some(t) = task {
            let _ = t.await;
        }
    }

    /// The `text/event-stream` body for one watcher.
    pub fn stream(
        &self,
        api: &Api,
    ) -> impl futures::Stream<Item = Result<Bytes, Infallible>> + 'static {
        let (rx, state) = self.subscribe(api);
        let mut first = vec![Message::from("retry: 2000\nevent: hello\ndata: {}\n\n")];
        first.extend(state);
        let feed = Feed {
            rx,
            first,
            shutdown: self.inner.shutdown.clone(),
            inner: self.inner.clone(),
            keep_alive: tokio::time::interval_at(
                tokio::time::Instant::now() + KEEP_ALIVE,
                KEEP_ALIVE,
            ),
        };
        futures::stream::unfold(feed, |mut feed| async move {
            if !feed.first.is_empty() {
                let m = feed.first.remove(0);
                return Some((Ok(Bytes::from(m.to_string())), feed));
            }
            let chunk = tokio::select! {
                _ = feed.shutdown.wait() => return None,
                _ = feed.keep_alive.tick() => Bytes::from_static(b": keep-alive\n\n"),
                m = feed.rx.recv() => match m {
                    Ok(m) => Bytes::from(m.to_string()),
                    // Fell behind: the page redraws from the latest picture.
                    Err(RecvError::Lagged(_)) => match lock(&feed.inner.state).clone() {
                        Some(s) => Bytes::from(s.replacen("event: state", "event: resync", 1)),
                        None => Bytes::from_static(b": lagged\n\n"),
                    },
                    Err(RecvError::Closed) => return None,
                },
            };
            Some((Ok(chunk), feed))
        })
    }
}

struct Feed {
    rx: broadcast::Receiver<Message>,
    first: Vec<Message>,
    shutdown: Shutdown,
    inner: Arc<Inner>,
    keep_alive: tokio::time::Interval,
}

/// The poller: tick, diff, broadcast, until nobody listens or the node stops.
async fn poll(inner: Arc<Inner>, api: Api) {
    let mut tracker = Tracker::new();
    let mut ticks = tokio::time::interval(TICK);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = inner.shutdown.wait() => return,
            _ = ticks.tick() => {}
        }
        {
            // Under the lock `subscribe` takes: a watcher that joins now
            // either is counted here or starts a new poller.
            let mut poller = lock(&inner.poller);
            if inner.tx.receiver_count() == 0 {
                *poller = None;
                *lock(&inner.state) = None;
                tracing::debug!("nobody watches the flow; poller stops");
                return;
            }
        }
        let snap = match snapshot(&api, &tracker).await {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = %e, "flow view cannot read the store");
                let _ = inner.tx.send(encode("store_error", &e.to_string()));
                continue;
            }
        };
        let tick = tracker.tick(snap);
        for e in &tick.events {
            let _ = inner.tx.send(encode(e.name(), e));
        }
        let state: &FlowState = tracker.state();
        let msg = encode("state", state);
        *lock(&inner.state) = Some(msg.clone());
        let _ = inner.tx.send(msg);
    }
}

/// The process name in an identity (`worker-01:1234:ab12` → `worker-01`),
/// as the feed and the record pages name a worker.
fn worker_name(identity: &str) -> String {
    identity.split(':').next().unwrap_or(identity).to_owned()
}

fn finished(feed: Vec<JobRecord>) -> Vec<Finished> {
    feed.into_iter()
        .map(|r| Finished {
            ok: r.outcome == RunOutcome::Done,
            jid: r.jid,
            class: r.class,
            queue: r.queue,
            worker: r.host,
            started_at: r.started_at,
        })
        .collect()
}

/// What the store says now, through the dashboard's own reads.
async fn snapshot(api: &Api, tracker: &Tracker) -> ApiResult<Snapshot> {
    let stats = api.stats().await?;
    let work = api.work().await?;
    let processes = api.processes().await?;
    let mut finished = finished(api.recent_jobs(FEED_FIRST, None).await?);
    // All new (or the baseline): the rest of the feed may be new too.
    let all_new = finished.last().is_some_and(|f| !tracker.knows(f));
    if finished.len() as u64 == FEED_FIRST && all_new {
        finished = self::finished(api.recent_jobs(FEED, None).await?);
    }
    Ok(Snapshot {
        queues: stats
            .queues
            .iter()
            .map(|q| (q.name.as_str().to_owned(), q.size))
            .collect(),
        busy: work
            .iter()
            .filter_map(|w| {
                let job = w.job()?;
                Some(Busy {
                    jid: job.jid().to_owned(),
                    class: job.display_class().to_owned(),
                    queue: w.queue.clone(),
                    worker: worker_name(&w.identity),
                })
            })
            .collect(),
        finished,
        workers: processes
            .iter()
            .map(|p| WorkerBox {
                name: worker_name(&p.identity),
                ip: p.ip().to_owned(),
                concurrency: p.concurrency(),
                queues: p.queues(),
            })
            .collect(),
        processed: stats.processed,
        failed: stats.failed,
    })
}
