//! The apps' request pool, like Puma's thread pool: at most `threads`
//! requests to the apps' pages are inside the app at once (`kiqlab web
//! --threads N`, or `RAILS_MAX_THREADS`; default 5, Rails' default). A
//! request holds its thread from the moment it gets one until its response
//! is ready, so a "run inline" submit holds it for the whole slow work, as a
//! Rails controller holds a Puma thread; the others wait in line (Puma's
//! backlog), and the wait is the `queue` entry of their `Server-Timing`.
//!
//! Only the paths the pool is given (the apps' pages) go through it; the
//! dashboard, `/mail`, static files, the lessons and the internal API are
//! served beside it, so the class can watch while the apps are saturated
//! (as if they were a second Puma).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web;
use serde::Serialize;
use tokio::sync::Semaphore;

use super::steps;

/// Rails' and Puma's default (`RAILS_MAX_THREADS`).
pub const DEFAULT_THREADS: usize = 5;

#[derive(Debug, Clone)]
pub struct RequestPool {
    threads: usize,
    permits: Arc<Semaphore>,
    waiting: Arc<AtomicUsize>,
    /// Exact paths and prefixes (`/snippets` covers `/snippets/1`); `/` is exact.
    paths: &'static [&'static str],
}

/// How busy the pool is now.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub struct PoolLoad {
    pub threads: usize,
    pub busy: usize,
    pub waiting: usize,
}

impl RequestPool {
    pub fn new(threads: usize, paths: &'static [&'static str]) -> RequestPool {
        let threads = threads.max(1);
        RequestPool {
            threads,
            permits: Arc::new(Semaphore::new(threads)),
            waiting: Arc::new(AtomicUsize::new(0)),
            paths,
        }
    }

    pub fn threads(&self) -> usize {
        self.threads
    }

    /// Whether requests to `path` are served by the pool.
    pub fn covers(&self, path: &str) -> bool {
        self.paths.iter().any(|p| {
            path == *p
                || (*p != "/" && path.starts_with(p) && path.as_bytes().get(p.len()) == Some(&b'/'))
        })
    }

    pub fn load(&self) -> PoolLoad {
        PoolLoad {
            threads: self.threads,
            busy: self.threads - self.permits.available_permits().min(self.threads),
            waiting: self.waiting.load(Ordering::Relaxed),
        }
    }
}

/// The middleware (`middleware::from_fn(pool::gate)`), inside the timing
/// middleware so the wait counts in the request's time.
pub async fn gate(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let pool = req
        .app_data::<web::Data<RequestPool>>()
        .filter(|p| p.covers(req.path()))
        .map(|p| p.get_ref().clone());
    let Some(pool) = pool else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let started = Instant::now();
    pool.waiting.fetch_add(1, Ordering::Relaxed);
    let permit = pool.permits.clone().acquire_owned().await;
    pool.waiting.fetch_sub(1, Ordering::Relaxed);
    steps::add("queue", started.elapsed().as_secs_f64() * 1000.0);
    let res = next.call(req).await;
    drop(permit);
    Ok(res?.map_into_boxed_body())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn it_covers_the_paths_it_is_given() {
        let pool = RequestPool::new(0, &["/", "/snippets", "/timings"]);
        assert_eq!(pool.threads(), 1);
        for p in ["/", "/snippets", "/snippets/1", "/timings"] {
            assert!(pool.covers(p), "{p}");
        }
        for p in [
            "/sidekiq",
            "/snippetsx",
            "/static/style.css",
            "/internal/snippets/1",
        ] {
            assert!(!pool.covers(p), "{p}");
        }
        assert_eq!(
            pool.load(),
            PoolLoad {
                threads: 1,
                busy: 0,
                waiting: 0
            }
        );
    }
}
