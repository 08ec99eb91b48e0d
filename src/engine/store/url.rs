//! Store addresses: `redis://…`, `rediss://…`, `unix://…` and `sqlite://PATH`,
//! validated once at the edge and printed without passwords.

use std::fmt;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum StoreUrlError {
    #[error("{url:?} is not a store address: use redis://[:PASSWORD@]HOST[:PORT][/DB] or sqlite://PATH")]
    UnknownScheme { url: String },
    #[error("malformed Redis URL {url:?}: {reason}")]
    BadRedis { url: String, reason: String },
    #[error("sqlite:// needs a file path, e.g. sqlite://kiqlab-data/jobs.db")]
    EmptySqlitePath,
}

/// A Redis URL; `Display` masks the password.
#[derive(Clone, PartialEq, Eq)]
pub struct RedisUrl(String);

impl RedisUrl {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RedisUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match url::Url::parse(&self.0) {
            Ok(mut u) if u.password().is_some() => {
                let _ = u.set_password(Some("****"));
                f.write_str(u.as_str())
            }
            _ => f.write_str(&self.0),
        }
    }
}

impl fmt::Debug for RedisUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RedisUrl({self})")
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreUrl {
    Redis(RedisUrl),
    Sqlite(PathBuf),
}

impl StoreUrl {
    pub fn parse(s: &str) -> Result<StoreUrl, StoreUrlError> {
        let s = s.trim();
        if let Some(path) = s.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err(StoreUrlError::EmptySqlitePath);
            }
            return Ok(StoreUrl::Sqlite(PathBuf::from(path)));
        }
        let scheme = s.split_once("://").map(|(a, _)| a).unwrap_or("");
        if !matches!(scheme, "redis" | "rediss" | "unix" | "redis+unix") {
            return Err(StoreUrlError::UnknownScheme { url: s.to_owned() });
        }
        let bad = |reason: String| StoreUrlError::BadRedis {
            url: RedisUrl(s.to_owned()).to_string(),
            reason,
        };
        let parsed = url::Url::parse(s).map_err(|e| bad(e.to_string()))?;
        if matches!(scheme, "redis" | "rediss") && parsed.host_str().unwrap_or("").is_empty() {
            return Err(bad("no host".into()));
        }
        redis::Client::open(s).map_err(|e| bad(e.to_string()))?;
        Ok(StoreUrl::Redis(RedisUrl(s.to_owned())))
    }

    pub fn is_redis(&self) -> bool {
        matches!(self, StoreUrl::Redis(_))
    }
}

impl fmt::Display for StoreUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreUrl::Redis(u) => u.fmt(f),
            StoreUrl::Sqlite(p) => write!(f, "sqlite://{}", p.display()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_redis_and_sqlite() {
        assert!(StoreUrl::parse("redis://127.0.0.1:6379/0").unwrap().is_redis());
        assert_eq!(
            StoreUrl::parse("sqlite:///tmp/x.db").unwrap(),
            StoreUrl::Sqlite("/tmp/x.db".into())
        );
        assert_eq!(
            StoreUrl::parse("sqlite://rel/x.db").unwrap(),
            StoreUrl::Sqlite("rel/x.db".into())
        );
    }

    #[test]
    fn rejects_garbage_with_a_reason() {
        assert!(matches!(
            StoreUrl::parse("http://x"),
            Err(StoreUrlError::UnknownScheme { .. })
        ));
        assert!(matches!(
            StoreUrl::parse("redis://"),
            Err(StoreUrlError::BadRedis { .. })
        ));
        assert!(matches!(
            StoreUrl::parse("redis://h:notaport"),
            Err(StoreUrlError::BadRedis { .. })
        ));
        assert_eq!(
            StoreUrl::parse("sqlite://"),
            Err(StoreUrlError::EmptySqlitePath)
        );
    }

    #[test]
    fn passwords_never_print() {
        let u = StoreUrl::parse("redis://:s3cret@10.0.0.1:6379/2").unwrap();
        assert!(!u.to_string().contains("s3cret"));
        assert!(!format!("{u:?}").contains("s3cret"));
        let err = StoreUrl::parse("redis://:s3cret@h:bad").unwrap_err();
        assert!(!err.to_string().contains("s3cret"));
    }
}
