//! The relay: a task in the web node that sends outbox rows to the job store
//! in batches, oldest first, and deletes a batch only once the store has
//! taken it. While the store is unreachable it backs off (doubling up to
//! `max_backoff`) and keeps the rows; a crash between the push and the delete
//! pushes that batch again on the next start (at-least-once).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;

use super::{note_failure, oldest, remove, Outbox, Progress, Row};
use crate::engine::client::Client;
use crate::engine::job::Job;
use crate::shutdown::Shutdown;
use crate::web::db::Db;

#[derive(Debug, Clone)]
pub struct RelayConfig {
    /// Rows per store call.
    pub batch: usize,
    /// The first wait after a failure; doubled on each failure after it.
    pub min_backoff: Duration,
    pub max_backoff: Duration,
    /// How often an idle relay looks at the table without being woken.
    pub idle_poll: Duration,
    /// A store call that takes longer than this counts as failed.
    pub push_timeout: Duration,
}

impl Default for RelayConfig {
    fn default() -> RelayConfig {
        RelayConfig {
            batch: 500,
            min_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(5),
            idle_poll: Duration::from_secs(1),
            push_timeout: Duration::from_secs(10),
        }
    }
}

/// The running relay; `stop` ends it (rows still waiting stay in the table).
pub struct Relay {
    stop: Shutdown,
    task: JoinHandle<()>,
}

impl Relay {
    /// Starts the relay over `db`'s outbox, pushing with `client`.
    pub fn start(db: Db, client: Client, config: RelayConfig) -> (Outbox, Relay) {
        let wake = Arc::new(Notify::new());
        let (tx, rx) = watch::channel(Progress {
            through: 0,
            healthy: true,
        });
        let stop = Shutdown::new();
        let worker = Worker {
            db: db.clone(),
            client,
            config,
            wake: wake.clone(),
            progress: tx,
            stop: stop.clone(),
        };
        let task = tokio::spawn(worker.run());
        let outbox = Outbox {
            db,
            wake,
            progress: rx,
        };
        (outbox, Relay { stop, task })
    }

    pub async fn stop(self) {
        self.stop.trigger();
        if let Err(e) = self.task.await {
            tracing::error!(error = %e, "the outbox relay failed");
        }
    }
}

struct Worker {
    db: Db,
    client: Client,
    config: RelayConfig,
    wake: Arc<Notify>,
    progress: watch::Sender<Progress>,
    stop: Shutdown,
}

enum Step {
    /// A batch reached the store.
    Sent,
    /// Nothing to send.
    Idle,
    Failed(String),
}

impl Worker {
    async fn run(self) {
        let mut backoff = self.config.min_backoff;
        let mut failing = false;
        while !self.stop.is_triggered() {
            let pause = match self.step().await {
                Step::Sent => {
                    if failing {
                        tracing::info!("the job store is back; the outbox relay resumes");
                    }
                    failing = false;
                    backoff = self.config.min_backoff;
                    continue;
                }
                Step::Idle => {
                    failing = false;
                    backoff = self.config.min_backoff;
                    self.config.idle_poll
                }
                Step::Failed(error) => {
                    if !failing {
                        tracing::warn!(%error, "cannot relay jobs to the store; they wait in the outbox");
                    }
                    failing = true;
                    self.progress.send_modify(|p| p.healthy = false);
                    let pause = backoff;
                    backoff = (backoff * 2).min(self.config.max_backoff);
                    pause
                }
            };
            tokio::select! {
                _ = self.stop.wait() => break,
                _ = self.wake.notified(), if !failing => {}
                _ = tokio::time::sleep(pause) => {}
            }
        }
    }

    async fn step(&self) -> Step {
        let batch = self.config.batch;
        let rows = match self.db.call(move |c| oldest(c, batch)).await {
            Ok(rows) => rows,
            Err(e) => return Step::Failed(format!("cannot read the outbox: {e}")),
        };
        let Some(last) = rows.last().map(|r| r.id) else {
            self.progress.send_modify(|p| p.healthy = true);
            return Step::Idle;
        };
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let jobs = parse(rows);
        let pushed = tokio::time::timeout(self.config.push_timeout, self.client.push_jobs(jobs));
        let error = match pushed.await {
            Ok(Ok(_)) => None,
            Ok(Err(e)) => Some(e.to_string()),
            Err(_) => Some(format!(
                "the store did not answer within {:?}",
                self.config.push_timeout
            )),
        };
        if let Some(error) = error {
            let (ids, e) = (ids.clone(), error.clone());
            if let Err(db) = self.db.call(move |c| note_failure(c, &ids, &e)).await {
                tracing::warn!(error = %db, "cannot note the relay's failure");
            }
            return Step::Failed(error);
        }
        // The store has them; a crash before this delete pushes them again.
        if let Err(e) = self.db.call(move |c| remove(c, &ids)).await {
            return Step::Failed(format!("cannot delete relayed rows: {e}"));
        }
        self.progress.send_modify(|p| {
            p.through = p.through.max(last);
            p.healthy = true;
        });
        Step::Sent
    }
}

/// The rows' payloads as jobs. A row that does not parse (the table was
/// edited by hand) is logged with its text and dropped, so it cannot block
/// the rows behind it.
fn parse(rows: Vec<Row>) -> Vec<Job> {
    rows.into_iter()
        .filter_map(|r| match Job::parse(&r.payload) {
            Ok(job) => Some(job),
            Err(e) => {
                tracing::error!(id = r.id, payload = %r.payload, error = %e, "dropping an outbox row that is not a job");
                None
            }
        })
        .collect()
}
