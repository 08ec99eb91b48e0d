//! The usage meter in Redis: `kiqlab:usage:since_ms` (set once) and
//! `kiqlab:usage:worker_ms` (added to by every worker process).

use redis::aio::ConnectionManager;

use crate::engine::store::{Result, WorkerTime};

const SINCE: &str = "kiqlab:usage:since_ms";
const WORKER_MS: &str = "kiqlab:usage:worker_ms";

pub async fn add(con: &mut ConnectionManager, ms: u64, now_ms: u64) -> Result<()> {
    let _: () = redis::pipe()
        .atomic()
        .cmd("SET")
        .arg(SINCE)
        .arg(now_ms)
        .arg("NX")
        .ignore()
        .cmd("INCRBY")
        .arg(WORKER_MS)
        .arg(ms)
        .ignore()
        .query_async(con)
        .await?;
    Ok(())
}

pub async fn get(con: &mut ConnectionManager) -> Result<Option<WorkerTime>> {
    let (since, worker): (Option<u64>, Option<u64>) = redis::cmd("MGET")
        .arg(SINCE)
        .arg(WORKER_MS)
        .query_async(con)
        .await?;
    Ok(since.map(|since_ms| WorkerTime {
        since_ms,
        worker_ms: worker.unwrap_or(0),
    }))
}

pub async fn reset(con: &mut ConnectionManager) -> Result<()> {
    let _: () = redis::cmd("DEL")
        .arg(SINCE)
        .arg(WORKER_MS)
        .query_async(con)
        .await?;
    Ok(())
}
