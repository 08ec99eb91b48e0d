//! The Redis store: Sidekiq's key layout (sidekiq-spec.md §1), so Sidekiq's
//! Ruby client, API and web UI share queues, sets, stats and processes with
//! kiqlab. Reliable fetch adds `kiqlab:wip|IDENTITY|QUEUE` lists and the
//! `kiqlab:wip` registry; the recent-jobs feed is `kiqlab:recent`; the
//! worker-seconds meter is `kiqlab:usage:*`.

pub(crate) mod ack;
mod dash;
mod fetch;
mod procs;
mod read;
pub mod scripts;
mod usage;
pub(crate) mod write;

use std::time::{Duration, Instant};

use async_trait::async_trait;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use super::url::RedisUrl;
use super::EncodedJob;
use super::{
    ClassMinute, Completion, DayStat, DeadLimits, EntryKey, Fetcher, Heartbeat, Histogram,
    JobRecord, LocalHost, ProcessRecord, QueueSummary, QueuedJob, Result, SetKind, SortedEntry,
    Stats, Store, UnitOfWork, WorkRecord, WorkerTime,
};
use crate::engine::job::Job;
use crate::engine::queue::{QueueName, QueueSpec};

/// Per-command timeout; generous because a bulk push or a big page is one command.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Clone)]
pub struct RedisStore {
    client: redis::Client,
    con: ConnectionManager,
    url: RedisUrl,
    limits: DeadLimits,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RedisStore({})", self.url)
    }
}

impl RedisStore {
    /// Connects and checks the server answers (and is new enough for BLMOVE).
    /// `rediss://` is TLS (see [`RedisUrl::client`]).
    pub async fn connect(url: &RedisUrl) -> Result<RedisStore> {
        let client = url.client()?;
        let cfg = ConnectionManagerConfig::new()
            .set_response_timeout(Some(RESPONSE_TIMEOUT))
            .set_connection_timeout(Some(Duration::from_secs(3)))
            .set_number_of_retries(2)
            .set_max_delay(Duration::from_secs(2));
        let con = client
            .get_connection_manager_with_config(cfg)
            .await
            .map_err(|e| url.explain(e))?;
        let store = RedisStore {
            client,
            con,
            url: url.clone(),
            limits: DeadLimits::default(),
        };
        store.ping().await?;
        Ok(store)
    }

    pub fn with_dead_limits(mut self, limits: DeadLimits) -> RedisStore {
        self.limits = limits;
        self
    }

    pub(crate) fn con(&self) -> ConnectionManager {
        self.con.clone()
    }
}

#[async_trait]
impl Store for RedisStore {
    fn describe(&self) -> String {
        self.url.to_string()
    }

    async fn store_info(&self) -> Result<Vec<(String, String)>> {
        let text: String = redis::cmd("INFO").query_async(&mut self.con()).await?;
        Ok(text
            .lines()
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.to_owned(), v.trim().to_owned()))
            .collect())
    }

    async fn ping(&self) -> Result<Duration> {
        let start = Instant::now();
        let _: String = redis::cmd("PING").query_async(&mut self.con()).await?;
        Ok(start.elapsed())
    }

    async fn push_encoded(&self, jobs: &[EncodedJob]) -> Result<()> {
        write::push(&mut self.con(), jobs).await
    }

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
                .arg(scripts::wip_key(identity, q.as_str()))
                .arg(0)
                .arg(-1);
        }
        let lists: Vec<Vec<Vec<u8>>> = pipe.query_async(&mut self.con()).await?;
        Ok(queues
            .iter()
            .zip(lists)
            .flat_map(|(q, items)| {
                items.into_iter().map(move |raw| UnitOfWork {
                    queue: q.clone(),
                    raw: bytes::Bytes::from(raw),
                    id: 0,
                })
            })
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

    async fn heartbeat(&self, beat: &Heartbeat) -> Result<Option<String>> {
        procs::heartbeat(&mut self.con(), beat).await
    }

    async fn clear_heartbeat(&self, identity: &str) -> Result<()> {
        procs::clear_heartbeat(&mut self.con(), identity).await
    }

    async fn add_worker_time(&self, ms: u64, now_ms: u64) -> Result<()> {
        usage::add(&mut self.con(), ms, now_ms).await
    }

    async fn worker_time(&self) -> Result<Option<WorkerTime>> {
        usage::get(&mut self.con()).await
    }

    async fn reset_worker_time(&self) -> Result<()> {
        usage::reset(&mut self.con()).await
    }

    async fn stats(&self, now: f64) -> Result<Stats> {
        read::stats(&mut self.con(), now).await
    }

    async fn queues(&self, now: f64) -> Result<Vec<QueueSummary>> {
        read::queues(&mut self.con(), now).await
    }

    async fn queue_jobs(
        &self,
        queue: &QueueName,
        offset: u64,
        limit: u64,
        newest_first: bool,
    ) -> Result<Vec<QueuedJob>> {
        read::queue_jobs(&mut self.con(), queue, offset, limit, newest_first).await
    }

    async fn set_size(&self, set: SetKind) -> Result<u64> {
        Ok(redis::cmd("ZCARD")
            .arg(set.key())
            .query_async(&mut self.con())
            .await?)
    }

    async fn set_entries(
        &self,
        set: SetKind,
        offset: u64,
        limit: u64,
        newest_first: bool,
        filter: Option<&str>,
    ) -> Result<Vec<SortedEntry>> {
        read::set_entries(&mut self.con(), set, offset, limit, newest_first, filter).await
    }

    async fn find_entry(&self, set: SetKind, key: &EntryKey) -> Result<Option<SortedEntry>> {
        write::find_or_take(&mut self.con(), set, key, false).await
    }

    async fn take_entry(&self, set: SetKind, key: &EntryKey) -> Result<Option<SortedEntry>> {
        write::take_entry(&mut self.con(), set, key).await
    }

    async fn add_entry(&self, set: SetKind, score: f64, job: &Job) -> Result<()> {
        write::add_entry(&mut self.con(), set, score, job, self.limits).await
    }

    async fn clear_set(&self, set: SetKind) -> Result<u64> {
        let (n, _): (u64, ()) = redis::pipe()
            .atomic()
            .cmd("ZCARD")
            .arg(set.key())
            .cmd("UNLINK")
            .arg(set.key())
            .query_async(&mut self.con())
            .await?;
        Ok(n)
    }

    async fn clear_queue(&self, queue: &QueueName) -> Result<u64> {
        let key = format!("queue:{queue}");
        let (n, _, _): (u64, (), ()) = redis::pipe()
            .atomic()
            .cmd("LLEN")
            .arg(&key)
            .cmd("UNLINK")
            .arg(&key)
            .cmd("SREM")
            .arg("queues")
            .arg(queue.as_str())
            .query_async(&mut self.con())
            .await?;
        Ok(n)
    }

    async fn delete_queued(&self, queue: &QueueName, raw: &str) -> Result<bool> {
        let n: u64 = redis::cmd("LREM")
            .arg(format!("queue:{queue}"))
            .arg(1)
            .arg(raw)
            .query_async(&mut self.con())
            .await?;
        Ok(n > 0)
    }

    async fn processes(&self, _now: f64) -> Result<Vec<ProcessRecord>> {
        read::processes(&mut self.con()).await
    }

    async fn work(&self, _now: f64) -> Result<Vec<WorkRecord>> {
        read::work(&mut self.con()).await
    }

    async fn signal(&self, identity: &str, signal: &str) -> Result<()> {
        let key = format!("{identity}-signals");
        let _: ((), ()) = redis::pipe()
            .atomic()
            .cmd("LPUSH")
            .arg(&key)
            .arg(signal)
            .cmd("EXPIRE")
            .arg(&key)
            .arg(60)
            .query_async(&mut self.con())
            .await?;
        Ok(())
    }

    async fn history(&self, now: f64, days: u32) -> Result<Vec<DayStat>> {
        read::history(&mut self.con(), now, days).await
    }

    async fn reset_stats(&self, processed: bool, failed: bool) -> Result<()> {
        let mut cmd = redis::cmd("MSET");
        if processed {
            cmd.arg("stat:processed").arg(0);
        }
        if failed {
            cmd.arg("stat:failed").arg(0);
        }
        if processed || failed {
            let _: () = cmd.query_async(&mut self.con()).await?;
        }
        Ok(())
    }

    async fn pop_entries(&self, set: SetKind, limit: u64) -> Result<Vec<SortedEntry>> {
        dash::pop_entries(&mut self.con(), set, limit).await
    }

    async fn add_entries(&self, set: SetKind, entries: &[(f64, Job)]) -> Result<()> {
        dash::add_entries(&mut self.con(), set, entries, self.limits).await
    }

    async fn recent_jobs(&self, limit: u64, host: Option<&str>) -> Result<Vec<JobRecord>> {
        dash::recent_jobs(&mut self.con(), limit, host).await
    }

    async fn class_metrics(&self, since: f64, now: f64) -> Result<Vec<ClassMinute>> {
        dash::class_metrics(&mut self.con(), since, now).await
    }

    async fn class_histogram(&self, class: &str, since: f64, now: f64) -> Result<Histogram> {
        dash::class_histogram(&mut self.con(), class, since, now).await
    }
}
