//! Connections that heal: a read (or an idempotent write) that fails because
//! the connection dropped (Redis restarted, a proxy cut it) is tried again on
//! the connection manager's fresh connection, a few times over about two
//! seconds, so the first request after a restart does not fail. Writes that
//! are not idempotent (pushes, moves) are never retried here: the outbox
//! relay and the worker runtime retry those with their own bookkeeping.

use std::future::Future;
use std::time::Duration;

use redis::aio::ConnectionManager;

use super::RedisStore;
use crate::engine::store::{Result, StoreError};

/// Pauses before each new attempt (the manager reconnects in the meantime).
const PAUSES_MS: [u64; 5] = [0, 50, 150, 400, 1000];

/// Whether `e` means the connection, not the command, failed.
pub fn is_dropped(e: &StoreError) -> bool {
    match e {
        StoreError::Redis(e) => {
            e.is_connection_dropped()
                || e.is_io_error()
                || e.is_connection_refusal()
                || e.is_unrecoverable_error()
        }
        _ => false,
    }
}

impl RedisStore {
    /// Runs `op` on the connection, again after a dropped connection.
    /// Only for reads and idempotent writes.
    pub(crate) async fn healing<T, F, Fut>(&self, mut op: F) -> Result<T>
    where
        F: FnMut(ConnectionManager) -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let mut last = None;
        for pause in PAUSES_MS {
            if pause > 0 {
                tokio::time::sleep(Duration::from_millis(pause)).await;
            }
            match op(self.con()).await {
                Err(e) if is_dropped(&e) => {
                    tracing::debug!(error = %e, "the Redis connection dropped; trying again");
                    last = Some(e);
                }
                other => return other,
            }
        }
        Err(last.unwrap_or(StoreError::Unsupported("an empty retry schedule")))
    }
}
