//! Processes as `Sidekiq::ProcessSet` and `WorkSet` show them: the live
//! worker processes, the jobs in progress on them, and quiet/stop sent to
//! one process or to all (embedded ones excepted, as Sidekiq does).

use super::{Api, ApiResult, ProcessRecord, Signal, WorkRecord};

/// Whom a signal is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// One process, by identity.
    Process(String),
    /// Every live process that is not embedded in another program.
    All,
}

/// What sending a signal did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignalOutcome {
    /// Sent to this many processes.
    Sent(usize),
    /// The process named is not live (it may have stopped).
    NoSuchProcess,
}

impl Api {
    /// Live processes, by identity (expired ones are pruned).
    pub async fn processes(&self) -> ApiResult<Vec<ProcessRecord>> {
        self.read.processes(self.now()).await
    }

    /// Jobs in progress on every live process, oldest first.
    pub async fn work(&self) -> ApiResult<Vec<WorkRecord>> {
        self.read.work(self.now()).await
    }

    /// Sends `signal` (quiet or stop) through the store; each process reads
    /// it with its next heartbeat.
    pub async fn signal(&self, target: &Target, signal: &Signal) -> ApiResult<SignalOutcome> {
        let procs = self.processes().await?;
        let identities: Vec<&str> = match target {
            Target::Process(identity) => {
                if !procs.iter().any(|p| &p.identity == identity) {
                    return Ok(SignalOutcome::NoSuchProcess);
                }
                vec![identity.as_str()]
            }
            Target::All => procs
                .iter()
                .filter(|p| !p.is_embedded())
                .map(|p| p.identity.as_str())
                .collect(),
        };
        for identity in &identities {
            self.admin.signal(identity, signal).await?;
        }
        tracing::info!(
            %signal,
            processes = identities.len(),
            all = matches!(target, Target::All),
            "signalled through the store"
        );
        Ok(SignalOutcome::Sent(identities.len()))
    }
}
