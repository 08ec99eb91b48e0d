//! The figures on every dashboard page and in `kiqlab stats`: what
//! `Sidekiq::Stats` reports, the daily processed/failed history, and what
//! the store says about itself (its kind, version and figures).

use std::time::Duration;

use super::{Api, ApiResult, DayStat, Stats, StoreInfo};

impl Api {
    /// The store's address, without secrets.
    pub fn describe(&self) -> String {
        self.read.describe()
    }

    /// Round-trip time of a trivial request (a health check).
    pub async fn ping(&self) -> ApiResult<Duration> {
        self.read.ping().await
    }

    pub async fn stats(&self) -> ApiResult<Stats> {
        self.read.stats(self.now()).await
    }

    /// Processed and failed per day for the last `days` days, oldest first
    /// (as a graph draws them).
    pub async fn history(&self, days: u32) -> ApiResult<Vec<DayStat>> {
        let mut h = self.read.history(self.now(), days).await?;
        h.reverse();
        Ok(h)
    }

    pub async fn store_info(&self) -> ApiResult<StoreInfo> {
        self.read.info().await
    }
}
