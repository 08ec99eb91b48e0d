//! The `--store` flag every store-using subcommand shares.

use clap::Args;

use crate::config::{process_env, resolve_store};
use crate::domain::SourceIp;
use crate::engine::store::{self, url::StoreUrl, SharedStore};

#[derive(Debug, Clone, Args)]
pub struct StoreArgs {
    /// Job store: redis://[:PASSWORD@]HOST[:PORT][/DB] or sqlite://PATH.
    /// Default: KIQLAB_STORE, then REDIS_PROVIDER/REDIS_URL, then sqlite://kiqlab-data/jobs.db
    #[arg(long, value_name = "URL")]
    pub store: Option<String>,

    /// Redis URL (same as --store redis://…)
    #[arg(long, value_name = "URL", conflicts_with = "store")]
    pub redis: Option<String>,
}

impl StoreArgs {
    pub fn url(&self) -> anyhow::Result<StoreUrl> {
        let flag = self.store.as_deref().or(self.redis.as_deref());
        Ok(resolve_store(flag, &process_env)?)
    }

    pub async fn open(&self) -> anyhow::Result<SharedStore> {
        self.open_from(None).await
    }

    /// The store, with its connections made from `source` (`--source-ip`).
    pub async fn open_from(&self, source: Option<SourceIp>) -> anyhow::Result<SharedStore> {
        let url = self.url()?;
        store::open_from(&url, source)
            .await
            .map_err(|e| anyhow::anyhow!("cannot open the job store {url}: {e}"))
    }
}
