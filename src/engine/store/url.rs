//! Store addresses: `redis://…`, `rediss://…`, `unix://…` and `sqlite://PATH`,
//! validated once at the edge and printed without passwords; the Redis
//! client for one, with TLS set up for `rediss://`. `StoreUrl` is the one
//! list of store kinds; what differs per kind for callers (the address a
//! child process gets, the server to route towards) is asked of it here
//! rather than matched on elsewhere.

use std::fmt;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum StoreUrlError {
    #[error(
        "{url:?} is not a store address: use redis://[:PASSWORD@]HOST[:PORT][/DB] or sqlite://PATH"
    )]
    UnknownScheme { url: String },
    #[error("malformed Redis URL {url:?}: {reason}")]
    BadRedis { url: String, reason: String },
    #[error("sqlite:// needs a file path, e.g. sqlite://kiqlab-data/jobs.db")]
    EmptySqlitePath,
    #[error("{url}: a worker's own source address (--source-ip) works with redis://HOST:PORT and sqlite:// stores only ({reason})")]
    NoSourceAddress { url: String, reason: &'static str },
    #[error("cannot use {path} (KIQLAB_REDIS_CA_FILE) as the Redis CA: {reason}")]
    CaFile { path: String, reason: String },
}

/// The environment variable naming a PEM file of CA certificates that a
/// `rediss://` server's certificate must chain to (instead of the system's).
pub const REDIS_CA_FILE_VAR: &str = "KIQLAB_REDIS_CA_FILE";

/// A Redis URL; `Display` masks the password.
#[derive(Clone, PartialEq, Eq)]
pub struct RedisUrl(String);

impl RedisUrl {
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// True for `rediss://…#insecure`: TLS without verifying the server.
    pub fn is_insecure_tls(&self) -> bool {
        self.0.starts_with("rediss://") && self.0.ends_with("#insecure")
    }

    /// The client for this address. `rediss://` verifies the server
    /// against the system's roots, or only against the CA file named by
    /// `KIQLAB_REDIS_CA_FILE`; `#insecure` (the redis crate's convention)
    /// skips verification, for hosted Redis with a self-signed certificate.
    pub fn client(&self) -> Result<redis::Client, StoreUrlError> {
        let ca = std::env::var_os(REDIS_CA_FILE_VAR)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from);
        self.client_with_ca(ca.as_deref())
    }

    /// Host and port of a plain `redis://` server, the only kind a
    /// connection from a chosen source address can reach (through a relay
    /// that sees bytes, a TLS client would check the relay's name; a Unix
    /// socket has no source address).
    pub fn tcp_server(&self) -> Result<(String, u16), StoreUrlError> {
        let refuse = |reason| StoreUrlError::NoSourceAddress {
            url: self.to_string(),
            reason,
        };
        if !self.0.starts_with("redis://") {
            return Err(refuse("TLS and Unix sockets are not relayed"));
        }
        let u = url::Url::parse(&self.0).map_err(|_| refuse("the URL has no host"))?;
        let host = u
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| refuse("the URL has no host"))?;
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        Ok((host, u.port().unwrap_or(6379)))
    }

    /// The same server, database and password, reached at `addr` (the
    /// source-address relay).
    pub fn through(&self, addr: std::net::SocketAddr) -> Result<RedisUrl, StoreUrlError> {
        let bad = |reason: String| StoreUrlError::BadRedis {
            url: self.to_string(),
            reason,
        };
        let mut u = url::Url::parse(&self.0).map_err(|e| bad(e.to_string()))?;
        u.set_ip_host(addr.ip())
            .map_err(|()| bad("cannot set the host".into()))?;
        u.set_port(Some(addr.port()))
            .map_err(|()| bad("cannot set the port".into()))?;
        Ok(RedisUrl(u.to_string()))
    }

    /// A connection error, with what to do when it is the TLS handshake
    /// refusing the server's certificate.
    pub fn explain(&self, e: redis::RedisError) -> redis::RedisError {
        if !self.0.starts_with("rediss://") || !e.to_string().contains("certificate") {
            return e;
        }
        redis::RedisError::from((
            e.kind(),
            "TLS: the server's certificate is not trusted",
            format!(
                "{e}; set {REDIS_CA_FILE_VAR} to a PEM file of the CA that signed it, \
                 or add #insecure to the URL to skip verification (self-signed hosted Redis)"
            ),
        ))
    }

    /// [`RedisUrl::client`] with the CA file given (`None`: system roots).
    pub fn client_with_ca(&self, ca_file: Option<&Path>) -> Result<redis::Client, StoreUrlError> {
        let bad = |e: redis::RedisError| StoreUrlError::BadRedis {
            url: self.to_string(),
            reason: e.to_string(),
        };
        if !self.0.starts_with("rediss://") {
            return redis::Client::open(self.expose()).map_err(bad);
        }
        // rustls is built with ring only; say so once for the process, so
        // every TLS config (including #insecure's) finds it.
        let _ = rustls::crypto::ring::default_provider().install_default();
        if self.is_insecure_tls() {
            tracing::warn!(
                url = %self,
                "TLS to Redis without verifying its certificate (#insecure): anyone on the path can read the jobs and the password"
            );
        }
        let Some(path) = ca_file else {
            return redis::Client::open(self.expose()).map_err(bad);
        };
        let ca_err = |reason: String| StoreUrlError::CaFile {
            path: path.display().to_string(),
            reason,
        };
        let pem = std::fs::read(path).map_err(|e| ca_err(e.to_string()))?;
        if !String::from_utf8_lossy(&pem).contains("-----BEGIN CERTIFICATE-----") {
            return Err(ca_err("no PEM certificate in it".into()));
        }
        redis::Client::build_with_tls(
            self.expose(),
            redis::TlsCertificates {
                client_tls: None,
                root_cert: Some(pem),
            },
        )
        .map_err(|e| ca_err(e.to_string()))
    }
}

impl fmt::Display for RedisUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&mask_userinfo(&self.0))
    }
}

/// Replaces the password in `scheme://user:password@host…` with `****`,
/// without needing the URL to be well-formed otherwise.
fn mask_userinfo(s: &str) -> String {
    let Some(start) = s.find("://").map(|i| i + 3) else {
        return s.to_owned();
    };
    let authority_end = s[start..].find('/').map_or(s.len(), |i| start + i);
    let Some(at) = s[start..authority_end].rfind('@').map(|i| start + i) else {
        return s.to_owned();
    };
    let userinfo = &s[start..at];
    let masked = match userinfo.split_once(':') {
        Some((user, _)) => format!("{user}:****"),
        None => "****".to_owned(),
    };
    format!("{}{}{}", &s[..start], masked, &s[at..])
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

    /// The URL as a child process must get it: with its password (so pass
    /// it in the environment, never on a command line or in a log), and a
    /// SQLite path made absolute (the child may run elsewhere).
    pub fn for_child(&self) -> String {
        match self {
            StoreUrl::Redis(u) => u.expose().to_owned(),
            StoreUrl::Sqlite(p) => {
                let p = std::path::absolute(p).unwrap_or_else(|_| p.clone());
                format!("sqlite://{}", p.display())
            }
        }
    }

    /// Host and port of the server behind a networked store (`None` for an
    /// embedded one, or a Unix socket), to pick the local IP routed towards it.
    pub fn server(&self) -> Option<(String, u16)> {
        let StoreUrl::Redis(r) = self else {
            return None;
        };
        let u = url::Url::parse(r.expose()).ok()?;
        let host = u.host_str().filter(|h| !h.is_empty())?.to_owned();
        Some((host, u.port().unwrap_or(6379)))
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

    fn redis(s: &str) -> RedisUrl {
        match StoreUrl::parse(s).unwrap() {
            StoreUrl::Redis(r) => r,
            StoreUrl::Sqlite(_) => unreachable!(),
        }
    }

    #[test]
    fn a_relay_keeps_the_password_and_database_and_tls_is_refused() {
        let r = redis("redis://:s3cret@redis.example:6380/3");
        assert_eq!(r.tcp_server().unwrap(), ("redis.example".to_owned(), 6380));
        let via = r.through("127.0.0.1:4242".parse().unwrap()).unwrap();
        assert_eq!(via.expose(), "redis://:s3cret@127.0.0.1:4242/3");
        assert_eq!(
            redis("redis://127.0.0.1").tcp_server().unwrap(),
            ("127.0.0.1".to_owned(), 6379)
        );
        let e = redis("rediss://:pw@h:6380/0").tcp_server().unwrap_err();
        assert!(e.to_string().contains("--source-ip"), "{e}");
        assert!(!e.to_string().contains("pw@"), "no password in {e}");
    }

    #[test]
    fn parses_redis_and_sqlite() {
        assert!(StoreUrl::parse("redis://127.0.0.1:6379/0")
            .unwrap()
            .is_redis());
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
    fn children_get_the_secret_and_an_absolute_path() {
        let u = StoreUrl::parse("redis://:pw@10.0.0.1:6380/2").unwrap();
        assert_eq!(u.for_child(), "redis://:pw@10.0.0.1:6380/2");
        assert_eq!(u.server(), Some(("10.0.0.1".to_owned(), 6380)));
        let r = StoreUrl::parse("redis://h").unwrap();
        assert_eq!(r.server(), Some(("h".to_owned(), 6379)));
        let s = StoreUrl::parse("sqlite://rel/jobs.db").unwrap();
        let child = s.for_child();
        assert!(child.starts_with("sqlite:///") && child.ends_with("rel/jobs.db"));
        assert_eq!(s.server(), None);
    }

    #[test]
    fn passwords_never_print() {
        let u = StoreUrl::parse("redis://:s3cret@10.0.0.1:6379/2").unwrap();
        assert!(!u.to_string().contains("s3cret"));
        assert!(!format!("{u:?}").contains("s3cret"));
        let err = StoreUrl::parse("redis://:s3cret@h:bad").unwrap_err();
        assert!(!err.to_string().contains("s3cret"), "{err}");
        assert_eq!(mask_userinfo("redis://u:p@h:1/0"), "redis://u:****@h:1/0");
        assert_eq!(mask_userinfo("redis://h:1/0"), "redis://h:1/0");
    }

    fn redis_url(s: &str) -> RedisUrl {
        match StoreUrl::parse(s).unwrap() {
            StoreUrl::Redis(u) => u,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn rediss_parses_with_and_without_insecure() {
        let u = redis_url("rediss://:pw@redis.example:6380/0");
        assert!(!u.is_insecure_tls());
        assert!(u.client_with_ca(None).is_ok());
        let u = redis_url("rediss://:pw@redis.example:6380/0#insecure");
        assert!(u.is_insecure_tls());
        assert!(u.client_with_ca(None).is_ok());
        assert!(!redis_url("redis://h:1/0#insecure").is_insecure_tls());
        assert!(matches!(
            StoreUrl::parse("rediss://h:1/0#whatever"),
            Err(StoreUrlError::BadRedis { .. })
        ));
    }

    #[test]
    fn a_missing_or_empty_ca_file_is_a_clear_error() {
        let u = redis_url("rediss://:s3cret@h:6380/0");
        let err = u
            .client_with_ca(Some(Path::new("/nonexistent/ca.pem")))
            .unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("/nonexistent/ca.pem"), "{msg}");
        assert!(msg.contains("KIQLAB_REDIS_CA_FILE"), "{msg}");
        let dir = tempfile::tempdir().unwrap();
        let junk = dir.path().join("junk.pem");
        std::fs::write(&junk, "not a certificate").unwrap();
        let msg = u.client_with_ca(Some(&junk)).unwrap_err().to_string();
        assert!(msg.contains("no PEM certificate"), "{msg}");
        assert!(!msg.contains("s3cret"), "{msg}");
    }
}
