//! The tagging API (a local OpenCalais for the blog's auto-tagging):
//! `POST /enrich` with a text body (or JSON `{"text": …}`) answers
//! OpenCalais-shaped JSON with social tags (importance), topics (score)
//! and entities (type, relevance, instances with offsets). Keywords come
//! from YAKE; entities from a gazetteer and cue words. `--latency` and
//! `--fail-rate` make a slow, flaky service for the retry lesson.
//!
//! # Layout
//!
//! - `config`: settings and their newtypes (`ApiKey`, `FailRate`)
//! - `api`: the enrich handler (auth, latency, failures, analysis)
//! - `input`: reading the body (size limit, text or JSON)
//! - `analysis`: keywords, entities, topics (pure functions)
//! - `calais`: an analysis as OpenCalais JSON
//! - `error`: status codes and fault bodies
//!
//! # Routes
//!
//! `POST /enrich` and the same at OpenCalais' own path, `POST
//! /permid/calais`. Statuses: 200, 400 (malformed JSON, not UTF-8), 401
//! (missing or wrong `X-AG-Access-Token` when an API key is set), 413
//! (body over the limit, 100 KiB by default), 503 (injected failure,
//! with `Retry-After`). A text under three words answers 200 with
//! `doc.meta.language = "InputTextTooShort"`, as OpenCalais does.
//!
//! # Use
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use kiqlab::tagger::{self, Tagger, TaggerConfig};
//!
//! let tagger = Tagger::new(TaggerConfig::default());
//! // In the web node: App::new().configure(|cfg| tagger.configure(cfg))
//! // Alone, on a listener the caller bound (port 0 in tests):
//! let server = tagger::serve(std::net::TcpListener::bind("127.0.0.1:0")?, tagger)?;
//! println!("tagger on http://{}/enrich", server.addr());
//! server.stop().await;
//! # Ok(()) }
//! ```

pub mod analysis;
mod api;
pub mod calais;
pub mod config;
mod error;
mod input;

use std::io;

use actix_web::web;

pub use api::TOKEN_HEADER;
pub use config::{ApiKey, FailRate, TaggerConfig};
pub use error::EnrichError;

/// The tagging API's routes over one configuration. Cheap to clone.
#[derive(Clone)]
pub struct Tagger {
    config: web::Data<TaggerConfig>,
}

impl Tagger {
    pub fn new(config: TaggerConfig) -> Tagger {
        Tagger {
            config: web::Data::new(config),
        }
    }

    pub fn config(&self) -> &TaggerConfig {
        &self.config
    }

    /// Registers `POST /enrich` and `POST /permid/calais` on an `App` or `Scope`.
    pub fn configure(&self, cfg: &mut web::ServiceConfig) {
        cfg.app_data(self.config.clone())
            .service(web::resource("/enrich").route(web::post().to(api::enrich)))
            .service(web::resource("/permid/calais").route(web::post().to(api::enrich)));
    }
}

/// The tagger served alone (`kiqlab tagger`).
pub type TaggerServer = crate::standalone::Standalone;

/// Serves `tagger` on `listener` until [`TaggerServer::stop`].
pub fn serve(listener: std::net::TcpListener, tagger: Tagger) -> io::Result<TaggerServer> {
    crate::standalone::serve("tagger", listener, move |cfg| tagger.configure(cfg))
}
