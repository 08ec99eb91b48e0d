//! The autoscaler, after the autoscaler gem (JustinLove/autoscaler): start a
//! worker when jobs wait and no worker is alive, let it go once the queues
//! have been idle for a while, and meter the worker-seconds this uses
//! against a worker that is always on.
//!
//! # Layout
//!
//! - `workload`: what counts as work for a set of queues (queued, scheduled,
//!   retrying, and which of those are due)
//! - `idle`: `kiqlab worker --idle-exit`: completes after an idle stretch
//! - `usage`: the worker-seconds meter (workers record, `report` reads)
//! - `scaler`: how a worker is started and stopped: child processes of this
//!   binary, or shell commands (`vagrant up worker-02`)
//! - `controller`: the loop in `kiqlab web --autoscale` that decides when

pub mod controller;
pub mod idle;
pub mod scaler;
pub mod usage;
pub mod workload;

pub use controller::{Autoscaler, AutoscalerConfig};
pub use scaler::{CommandScaler, LocalScaler, LocalWorkerSpec, Scaler};
pub use usage::{report, UsageMeter, UsageReport};
pub use workload::{Queues, Workload};
