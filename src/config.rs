//! Where the job store is: `--store`/`--redis` flags, then `KIQLAB_STORE`,
//! then Redis through `REDIS_PROVIDER`/`REDIS_URL` (Sidekiq's convention),
//! else the embedded SQLite file under the data directory.

use std::path::PathBuf;

use crate::engine::store::url::{StoreUrl, StoreUrlError};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error(transparent)]
    Url(#[from] StoreUrlError),
    #[error("REDIS_PROVIDER must name an environment variable (like REDISTOGO_URL), not hold a URL: {0:?}")]
    ProviderIsUrl(String),
    #[error("REDIS_PROVIDER names {0}, which is not set")]
    ProviderUnset(String),
}

/// The default data directory: `KIQLAB_DATA_DIR` or `./kiqlab-data`.
pub fn data_dir(env: &dyn Fn(&str) -> Option<String>) -> PathBuf {
    env("KIQLAB_DATA_DIR")
        .filter(|s| !s.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("kiqlab-data"))
}

/// Resolves the store from an explicit flag value and the environment.
pub fn resolve_store(
    flag: Option<&str>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<StoreUrl, ConfigError> {
    if let Some(f) = flag.filter(|f| !f.is_empty()) {
        return Ok(StoreUrl::parse(f)?);
    }
    if let Some(s) = env("KIQLAB_STORE").filter(|s| !s.is_empty()) {
        return Ok(StoreUrl::parse(&s)?);
    }
    if let Some(u) = redis_url_from_env(env)? {
        return Ok(StoreUrl::parse(&u)?);
    }
    Ok(StoreUrl::Sqlite(data_dir(env).join("jobs.db")))
}

/// `ENV[REDIS_PROVIDER || "REDIS_URL"]`, with Sidekiq's check that the
/// provider names a variable.
pub fn redis_url_from_env(
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<String>, ConfigError> {
    let var = match env("REDIS_PROVIDER").filter(|s| !s.is_empty()) {
        Some(p) if p.contains(':') => return Err(ConfigError::ProviderIsUrl(p)),
        Some(p) => match env(&p).filter(|s| !s.is_empty()) {
            Some(u) => return Ok(Some(u)),
            None => return Err(ConfigError::ProviderUnset(p)),
        },
        None => "REDIS_URL".to_owned(),
    };
    Ok(env(&var).filter(|s| !s.is_empty()))
}

/// The process environment, for `resolve_store`.
pub fn process_env(key: &str) -> Option<String> {
    std::env::var(key).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let m: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| m.get(k).cloned()
    }

    #[test]
    fn default_is_embedded_sqlite() {
        let s = resolve_store(None, &env_of(&[])).unwrap();
        assert_eq!(s, StoreUrl::Sqlite("kiqlab-data/jobs.db".into()));
        let s = resolve_store(None, &env_of(&[("KIQLAB_DATA_DIR", "/d")])).unwrap();
        assert_eq!(s, StoreUrl::Sqlite("/d/jobs.db".into()));
    }

    #[test]
    fn flag_beats_env_beats_redis_url() {
        let env = env_of(&[
            ("KIQLAB_STORE", "sqlite:///k.db"),
            ("REDIS_URL", "redis://r:6379"),
        ]);
        assert_eq!(
            resolve_store(Some("redis://f:1"), &env).unwrap().to_string(),
            "redis://f:1"
        );
        assert_eq!(
            resolve_store(None, &env).unwrap(),
            StoreUrl::Sqlite("/k.db".into())
        );
        let env = env_of(&[("REDIS_URL", "redis://r:6379")]);
        assert!(resolve_store(None, &env).unwrap().is_redis());
    }

    #[test]
    fn redis_provider_names_a_variable() {
        let env = env_of(&[
            ("REDIS_PROVIDER", "REDISTOGO_URL"),
            ("REDISTOGO_URL", "redis://togo:1234"),
            ("REDIS_URL", "redis://ignored:1"),
        ]);
        assert_eq!(
            resolve_store(None, &env).unwrap().to_string(),
            "redis://togo:1234"
        );
        let env = env_of(&[("REDIS_PROVIDER", "redis://x:1")]);
        assert!(matches!(
            resolve_store(None, &env),
            Err(ConfigError::ProviderIsUrl(_))
        ));
        let env = env_of(&[("REDIS_PROVIDER", "NOPE_URL")]);
        assert_eq!(
            resolve_store(None, &env),
            Err(ConfigError::ProviderUnset("NOPE_URL".into()))
        );
    }

    #[test]
    fn malformed_redis_url_is_an_error() {
        let env = env_of(&[("REDIS_URL", "redis://host:port")]);
        assert!(resolve_store(None, &env).is_err());
    }
}
