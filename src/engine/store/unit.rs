//! A fetched job (Sidekiq's `UnitOfWork`): its queue, its payload as stored,
//! and an opaque receipt the store that handed it out needs to acknowledge
//! or requeue it; then what became of it (`Outcome`, `Completion`).

use std::any::Any;
use std::fmt;
use std::sync::Arc;

use bytes::Bytes;

use super::record::JobRecord;
use super::{Result, StoreError};
use crate::engine::job::Job;
use crate::engine::queue::QueueName;

/// What a store needs to find a held job again. Only the store that made
/// it can read it; anyone else sees an opaque value.
#[derive(Clone, Default)]
pub struct Receipt(Option<Arc<dyn Any + Send + Sync>>);

impl Receipt {
    /// A receipt carrying `value` (a row id, the exact stored bytes…).
    pub(in crate::engine::store) fn new<T: Any + Send + Sync>(value: T) -> Receipt {
        Receipt(Some(Arc::new(value)))
    }

    /// The value a store put in, or an error when this unit did not come
    /// from a store of that kind.
    pub(in crate::engine::store) fn get<T: Any>(&self) -> Result<&T> {
        self.0
            .as_deref()
            .and_then(|v| v.downcast_ref::<T>())
            .ok_or(StoreError::ForeignUnit)
    }
}

impl fmt::Debug for Receipt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_some() {
            "Receipt(..)"
        } else {
            "Receipt(none)"
        })
    }
}

/// A job taken from a queue and held (reliably) until it is completed or requeued.
#[derive(Debug, Clone)]
pub struct UnitOfWork {
    pub queue: QueueName,
    /// The payload exactly as stored.
    pub payload: Bytes,
    receipt: Receipt,
}

impl UnitOfWork {
    /// A unit a store hands out, with what it needs to find it again.
    pub(in crate::engine::store) fn held(
        queue: QueueName,
        payload: Bytes,
        receipt: Receipt,
    ) -> UnitOfWork {
        UnitOfWork {
            queue,
            payload,
            receipt,
        }
    }

    /// A unit no store holds (a job run by hand, a test); acknowledging it
    /// to a store is an error.
    pub fn unheld(queue: QueueName, payload: impl Into<Bytes>) -> UnitOfWork {
        UnitOfWork {
            queue,
            payload: payload.into(),
            receipt: Receipt::default(),
        }
    }

    pub(in crate::engine::store) fn receipt(&self) -> &Receipt {
        &self.receipt
    }
}

/// What became of a unit of work.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// Ran successfully.
    Done,
    /// Failed; to run again at `at` (the `retry` set).
    Retry { job: Job, at: f64 },
    /// Failed for the last time (or unparseable): into the dead set.
    Dead { job_json: String },
    /// Failed with `retry: false`: dropped, only counted.
    Discard,
}

#[derive(Debug, Clone)]
pub struct Completion {
    pub unit: UnitOfWork,
    pub outcome: Outcome,
    /// Execution record for the recent-jobs feed and per-class metrics.
    pub record: Option<JobRecord>,
}

impl Completion {
    pub fn failed(&self) -> bool {
        !matches!(self.outcome, Outcome::Done)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_receipt_opens_only_for_its_own_kind() {
        let r = Receipt::new(42i64);
        assert_eq!(r.get::<i64>().unwrap(), &42);
        assert!(matches!(r.get::<Bytes>(), Err(StoreError::ForeignUnit)));
        let u = UnitOfWork::unheld(QueueName::default_queue(), "{}");
        assert!(u.receipt().get::<i64>().is_err());
        assert_eq!(format!("{:?}", u.receipt()), "Receipt(none)");
    }
}
