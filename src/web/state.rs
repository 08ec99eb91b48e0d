//! What every handler shares: the database, the job client and registry
//! (for enqueueing and for running jobs inline), who this web node is, and
//! the internal API's token.

use std::sync::Arc;

use super::db::Db;
use super::outbox::{Outbox, SETTLE_WAIT};
use crate::engine::api::{Api, StoreError};
use crate::engine::client::Client;
use crate::engine::job::Job;
use crate::engine::queue::QueueName;
use crate::engine::registry::{JobContext, JobError, Registry, WorkerInfo};
use crate::secret::Secret;
use crate::web::timing::Mode;

/// Why a form's job was neither enqueued nor run.
#[derive(Debug, thiserror::Error)]
pub enum DispatchError {
    #[error("cannot enqueue {class}: {error}")]
    Enqueue { class: String, error: StoreError },
    #[error("{class} failed inline: {error}")]
    Inline { class: String, error: JobError },
}

pub struct AppState {
    pub db: Db,
    /// The jobs committed with their records, on their way to the store.
    pub outbox: Outbox,
    pub client: Client,
    /// The store's read and admin side (the dashboard).
    pub api: Api,
    pub registry: Arc<Registry>,
    /// "created by web (host, IP)".
    pub hostname: String,
    pub ip: String,
    pub internal_token: Secret,
    pub mail_ui_url: String,
    inline_worker: Arc<WorkerInfo>,
}

impl AppState {
    pub fn new(
        db: Db,
        outbox: Outbox,
        client: Client,
        api: Api,
        registry: Arc<Registry>,
        internal_token: Secret,
        mail_ui_url: String,
    ) -> AppState {
        let hostname = crate::engine::heartbeat::default_hostname();
        let ip = crate::engine::heartbeat::detect_ip(None);
        let inline_worker = Arc::new(WorkerInfo {
            hostname: format!("{hostname} (inline)"),
            ip: ip.clone(),
            pid: std::process::id(),
            identity: format!("{hostname}:{}:inline", std::process::id()),
        });
        AppState {
            db,
            outbox,
            client,
            api,
            registry,
            hostname,
            ip,
            internal_token,
            mail_ui_url,
            inline_worker,
        }
    }

    /// Enqueues (`perform_async`); returns the jid.
    pub async fn enqueue(&self, job: Job) -> Result<String, StoreError> {
        self.client.push_job(job).await
    }

    /// The form's job, by its "enqueue (async)" or "run inline (sync)" button.
    pub async fn dispatch(&self, job: Job, mode: Mode) -> Result<(), DispatchError> {
        let class = job.class().to_owned();
        match mode {
            Mode::Async => super::steps::timed("enqueue", self.enqueue(job))
                .await
                .map(drop)
                .map_err(|error| DispatchError::Enqueue { class, error }),
            Mode::Sync => super::steps::timed("work", self.run_inline(job))
                .await
                .map_err(|error| DispatchError::Inline { class, error }),
        }
    }

    /// After the record's transaction committed: an async job staged in the
    /// outbox (`staged`, its row) is handed to the relay, and the request
    /// waits briefly for it to reach the store (not at all while the store
    /// is down: the job waits in the outbox, and the record's page says so);
    /// a sync job runs inline.
    pub async fn settle(
        &self,
        job: Job,
        mode: Mode,
        staged: Option<i64>,
    ) -> Result<(), DispatchError> {
        match (mode, staged) {
            (Mode::Async, Some(row)) => {
                let queued =
                    super::steps::timed("enqueue", self.outbox.settle(row, SETTLE_WAIT)).await;
                if !queued {
                    tracing::info!(
                        jid = job.jid(),
                        class = job.class(),
                        "the job waits in the outbox for the store"
                    );
                }
                Ok(())
            }
            _ => self.dispatch(job, mode).await,
        }
    }

    /// Runs the job here and now, through the same handler a worker runs
    /// (the "sync" button: the tutorials' "before background jobs" state).
    pub async fn run_inline(&self, mut job: Job) -> Result<(), JobError> {
        let class = self.registry.get(job.class()).ok_or_else(|| {
            JobError::new(
                "NameError",
                format!("uninitialized constant {}", job.class()),
            )
        })?;
        if let Ok(q) = QueueName::parse("inline") {
            job.set_queue(q);
        }
        let ctx = JobContext {
            job,
            worker: self.inline_worker.clone(),
        };
        (class.handler)(ctx).await
    }
}
