//! The Redis store: Sidekiq's key layout (sidekiq-spec.md §1), so Sidekiq's
//! Ruby client, API and web UI share queues, sets, stats and processes with
//! kiqlab. Reliable fetch adds `kiqlab:wip|IDENTITY|QUEUE` lists and the
//! `kiqlab:wip` registry; the recent-jobs feed is `kiqlab:recent`; the
//! worker-seconds meter is `kiqlab:usage:*`.
//!
//! # Layout
//!
//! - this file: the connection, `Backend`, `Queueing` and `UsageLedger`
//! - `worker`: `WorkerSide`, over `fetch`, `ack`, `write` and `procs`
//! - `read`: `ReadSide` (stats, queues, sets, processes, history), with `feed`
//! - `admin`: `AdminSide` (entries taken, added, restored; clears, signals)
//! - `scripts`: the Lua scripts and the in-progress list keys
//! - `layouts`: per-class metrics in Sidekiq 7's and 8's key layouts (both written)
//! - `heal`: reads retried over a dropped connection (a Redis restart)
//! - `relay`: connections from a worker's own source address (`--source-ip`)

pub(crate) mod ack;
mod admin;
mod feed;
mod fetch;
mod heal;
mod layouts;
mod procs;
mod read;
mod relay;
pub mod scripts;
mod usage;
mod worker;
pub(crate) mod write;

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use super::url::RedisUrl;
use super::{
    Backend, DeadLimits, EncodedJob, Queueing, Result, StoreError, StoreInfo, StoreKind,
    UsageLedger, WorkerTime,
};
use crate::domain::SourceIp;
use relay::SourceRelay;

/// Per-command timeout; generous because a bulk push or a big page is one command.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(30);

/// The Redis `INFO` fields Sidekiq::Web shows.
const HEADLINE_FIELDS: [&str; 5] = [
    "redis_version",
    "uptime_in_days",
    "connected_clients",
    "used_memory_human",
    "used_memory_peak_human",
];

#[derive(Clone)]
pub struct RedisStore {
    client: redis::Client,
    con: ConnectionManager,
    url: RedisUrl,
    limits: DeadLimits,
    /// Set with a source address: the client connects through it.
    _relay: Option<Arc<SourceRelay>>,
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
        RedisStore::connect_from(url, None).await
    }

    /// As `connect`, with every connection to the server made from `source`
    /// when given (through a relay in this process: see `relay`), unless
    /// the server refuses that address (protected mode), which is logged.
    pub async fn connect_from(url: &RedisUrl, source: Option<SourceIp>) -> Result<RedisStore> {
        let (client, relay) = match source {
            None => (url.client()?, None),
            Some(source) => client_from(url, source).await?,
        };
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
            _relay: relay,
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

/// Why the server at `url` will not take connections from `source` (Redis
/// in protected mode), if it will not; `None` also for a URL with no TCP
/// server to ask (they are refused by `connect_from` with their own reason).
pub async fn refusal(url: &RedisUrl, source: SourceIp) -> Result<Option<String>> {
    let Ok((host, port)) = url.tcp_server() else {
        return Ok(None);
    };
    relay::refusal(source.ip(), &host, port)
        .await
        .map_err(StoreError::SourceRelay)
}

/// The client for `url` whose connections start from `source`, and the
/// relay that makes them; a plain client when the server refuses the address.
async fn client_from(
    url: &RedisUrl,
    source: SourceIp,
) -> Result<(redis::Client, Option<Arc<SourceRelay>>)> {
    let (host, port) = url.tcp_server()?;
    if let Some(why) = relay::refusal(source.ip(), &host, port)
        .await
        .map_err(StoreError::SourceRelay)?
    {
        // The address is still the worker's for everything else.
        tracing::warn!(
            %source, url = %url, reason = %why,
            "Redis refuses connections from this worker's own address; connecting to it from the default one (set requirepass, or protected-mode no, to see the worker's address there)"
        );
        return Ok((url.client()?, None));
    }
    let relay = SourceRelay::start(source.ip(), host, port)
        .await
        .map_err(StoreError::SourceRelay)?;
    let via = url.through(relay.listen_addr())?;
    Ok((via.client()?, Some(Arc::new(relay))))
}

#[async_trait]
impl Backend for RedisStore {
    fn describe(&self) -> String {
        self.url.to_string()
    }

    async fn ping(&self) -> Result<Duration> {
        let start = Instant::now();
        self.healing(|mut c| async move {
            let _: String = redis::cmd("PING").query_async(&mut c).await?;
            Ok(())
        })
        .await?;
        Ok(start.elapsed())
    }

    async fn info(&self) -> Result<StoreInfo> {
        let text: String = self
            .healing(|mut c| async move { Ok(redis::cmd("INFO").query_async(&mut c).await?) })
            .await?;
        let fields: Vec<(String, String)> = text
            .lines()
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.to_owned(), v.trim().to_owned()))
            .collect();
        let headline = HEADLINE_FIELDS
            .iter()
            .filter_map(|f| fields.iter().find(|(k, _)| k == f).cloned())
            .collect();
        let version = fields
            .iter()
            .find(|(k, _)| k == "redis_version")
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        Ok(StoreInfo {
            kind: StoreKind::Redis,
            version,
            headline,
            fields,
        })
    }
}

#[async_trait]
impl Queueing for RedisStore {
    async fn push_encoded(&self, jobs: &[EncodedJob]) -> Result<()> {
        write::push(&mut self.con(), jobs).await
    }
}

#[async_trait]
impl UsageLedger for RedisStore {
    async fn add_worker_time(&self, ms: u64, now_ms: u64) -> Result<()> {
        usage::add(&mut self.con(), ms, now_ms).await
    }

    async fn worker_time(&self) -> Result<Option<WorkerTime>> {
        self.healing(|mut c| async move { usage::get(&mut c).await })
            .await
    }

    async fn reset_worker_time(&self) -> Result<()> {
        usage::reset(&mut self.con()).await
    }
}
