//! The contract of the web node's internal JSON API, shared by the server
//! (`web::routes::internal`) and the workers' client (`jobs::web_api`).
//! Workers hold no database: they load records and store results here,
//! authorised by `Authorization: Bearer <KIQLAB_INTERNAL_TOKEN>`.
//!
//! | method | path | body → answer |
//! | --- | --- | --- |
//! | GET | `/internal/snippets/{id}` | → `SnippetRecord` |
//! | PUT | `/internal/snippets/{id}/highlight` | `HighlightResult` → 204 |
//! | GET | `/internal/posts/{id}` | → `PostRecord` |
//! | PUT | `/internal/posts/{id}/auto_tags` | `AutoTagResult` → 204 |
//! | POST | `/internal/fib/deliveries` | `DeliveryReport` → 204 |

use serde::{Deserialize, Serialize};

use crate::domain::SnippetLanguage;
use crate::engine::registry::JobContext;
use crate::work::tagger_client::SuggestedTag;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SnippetRecord {
    pub id: i64,
    pub language: SnippetLanguage,
    pub code: String,
}

/// Who did a job and how long it took: "highlighted by worker-01 (10.0.0.11),
/// pid 4242, queue default, in 12 ms at …".
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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HighlightResult {
    pub html: String,
    pub by: WorkerStamp,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PostRecord {
    pub id: i64,
    pub title: String,
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AutoTagResult {
    pub tags: Vec<SuggestedTag>,
    pub by: WorkerStamp,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeliveryReport {
    pub email: String,
    pub length: u32,
    pub by: WorkerStamp,
}
