//! Who did a job and how long it took (`WorkerStamp`): the worker sends it
//! with every result, the apps keep it as JSON in one column and show it
//! ("highlighted by worker-01 (10.0.0.11), pid 4242, queue default, in 12 ms").

use serde::{Deserialize, Serialize};

use crate::engine::registry::JobContext;
use crate::web::db::DbError;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkerStamp {
    pub hostname: String,
    pub ip: String,
    pub pid: u32,
    pub jid: String,
    pub queue: String,
    pub duration_ms: f64,
    /// Epoch seconds.
    pub finished_at: f64,
}

impl WorkerStamp {
    pub fn new(ctx: &JobContext, started: std::time::Instant) -> WorkerStamp {
        WorkerStamp {
            hostname: ctx.worker.hostname.clone(),
            ip: ctx.worker.ip.clone(),
            pid: ctx.worker.pid,
            jid: ctx.jid().to_owned(),
            queue: ctx.job.queue().as_str().to_owned(),
            duration_ms: started.elapsed().as_secs_f64() * 1000.0,
            finished_at: crate::engine::clock::now_secs(),
        }
    }
}

/// A stamp read back from its column.
pub(crate) fn from_json(s: Option<String>) -> Result<Option<WorkerStamp>, DbError> {
    s.map(|s| serde_json::from_str(&s).map_err(|e| DbError::Corrupt(e.to_string())))
        .transpose()
}

/// A stamp as its column holds it.
pub(crate) fn to_json(s: &WorkerStamp) -> Result<String, DbError> {
    serde_json::to_string(s).map_err(|e| DbError::Corrupt(e.to_string()))
}
