//! The embedded SQLite store (being written).

use std::path::Path;

use super::Result;

#[derive(Debug)]
pub struct SqliteStore;

impl SqliteStore {
    pub async fn open(_path: &Path) -> Result<std::sync::Arc<dyn super::Store>> {
        Err(super::StoreError::Unsupported("sqlite (not built yet)"))
    }
}
