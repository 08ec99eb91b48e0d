//! The worker-seconds meter as reported: worker-seconds recorded by worker
//! processes since the meter started, against one worker kept on for the
//! whole time (the bill the autoscaler saves). Workers and the autoscaler
//! write the meter (`autoscale::usage`); this reads and restarts it.

use serde::Serialize;

use super::{Api, ApiResult};
use crate::engine::clock::now_ms;
use crate::engine::store::{Result, UsageLedger};

/// Worker-seconds used against always-on, since the meter started.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UsageReport {
    /// When the meter started, epoch seconds.
    pub since: f64,
    /// Seconds since then.
    pub window_s: f64,
    /// Worker-seconds recorded by worker processes.
    pub used_s: f64,
    /// What one worker kept on for the whole window would have used.
    pub always_on_s: f64,
    /// `used_s / always_on_s` (above 1 when several workers ran at once).
    pub share: f64,
}

impl UsageReport {
    pub fn from_meter(since_ms: u64, worker_ms: u64, now_ms: u64) -> UsageReport {
        let window_s = now_ms.saturating_sub(since_ms) as f64 / 1000.0;
        let used_s = worker_ms as f64 / 1000.0;
        UsageReport {
            since: since_ms as f64 / 1000.0,
            window_s,
            used_s,
            always_on_s: window_s,
            share: if window_s > 0.0 {
                used_s / window_s
            } else {
                0.0
            },
        }
    }

    /// One line: "12.3 worker-seconds used of 600.0 always-on (2.1%)".
    pub fn summary(&self) -> String {
        format!(
            "{:.1} worker-seconds used of {:.1} always-on ({})",
            self.used_s,
            self.always_on_s,
            self.share_text()
        )
    }

    /// "2.1%" of one always-on worker; past one worker's worth (two ran at
    /// once), "1.98 × one always-on worker" rather than "198%".
    pub fn share_text(&self) -> String {
        if self.share <= 1.0 {
            format!("{:.1}%", self.share * 100.0)
        } else {
            format!("{:.2} × one always-on worker", self.share)
        }
    }
}

/// The report at `now_ms` (epoch milliseconds), `None` before any worker
/// or autoscaler started the meter.
pub async fn report(ledger: &dyn UsageLedger, now_ms: u64) -> Result<Option<UsageReport>> {
    Ok(ledger
        .worker_time()
        .await?
        .map(|t| UsageReport::from_meter(t.since_ms, t.worker_ms, now_ms)))
}

impl Api {
    /// The meter's report now (the Busy page, `kiqlab stats`).
    pub async fn usage(&self) -> ApiResult<Option<UsageReport>> {
        report(self.ledger.as_ref(), now_ms()).await
    }

    /// Restarts the meter from now (`kiqlab stats --reset-usage`).
    pub async fn restart_usage(&self) -> ApiResult<()> {
        self.ledger.reset_worker_time().await?;
        self.ledger.add_worker_time(0, now_ms()).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_compares_with_one_always_on_worker() {
        let r = UsageReport::from_meter(1_000_000, 30_000, 1_600_000);
        assert_eq!(r.window_s, 600.0);
        assert_eq!(r.used_s, 30.0);
        assert_eq!(r.always_on_s, 600.0);
        assert!((r.share - 0.05).abs() < 1e-9);
        assert_eq!(
            r.summary(),
            "30.0 worker-seconds used of 600.0 always-on (5.0%)"
        );
        let two = UsageReport::from_meter(1_000_000, 1_188_000, 1_600_000);
        assert_eq!(
            two.summary(),
            "1188.0 worker-seconds used of 600.0 always-on (1.98 × one always-on worker)"
        );
        let empty = UsageReport::from_meter(5, 0, 5);
        assert_eq!(empty.share, 0.0);
    }
}
