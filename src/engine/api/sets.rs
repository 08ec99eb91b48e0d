//! The sorted sets as `Sidekiq::JobSet` shows them (Scheduled, Retries,
//! Dead, and sidekiq-failures' Failures): their sizes, a page of entries
//! (filtered by a substring of the payload), and one entry by its key.

use super::{Api, ApiResult, EntryKey, SetKind, SetQuery, SortedEntry};

impl Api {
    pub async fn set_size(&self, set: SetKind) -> ApiResult<u64> {
        self.read.set_size(set).await
    }

    pub async fn set_page(&self, query: &SetQuery) -> ApiResult<Vec<SortedEntry>> {
        self.read.set_entries(query).await
    }

    /// The entry `<score>-<jid>`, left in place.
    pub async fn find_entry(&self, set: SetKind, key: &EntryKey) -> ApiResult<Option<SortedEntry>> {
        self.read.find_entry(set, key).await
    }
}
