//! The mail catcher's web side as one actix-web `configure` function:
//! pages (list, message view), the JSON API in MailCatcher's shape, the
//! live event stream (SSE), and static assets. It can be mounted at the
//! root (`kiqlab mailcatcher`, see [`serve`]) or under a scope such as
//! `/mail` (the web node); every link is built from the mount point.
//!
//! Routes, relative to the mount point:
//!
//! | method | path | what |
//! | --- | --- | --- |
//! | GET | `/` | the message list, live-updated |
//! | GET | `/view/{id}?tab=html\|plain\|source\|headers` | one message |
//! | GET | `/events` | `text/event-stream`: `add`, `remove`, `clear` |
//! | GET | `/messages` | JSON list `[{id, sender, recipients, subject, size, created_at}]` |
//! | DELETE | `/messages` | delete all (204) |
//! | GET | `/messages/{id}.json\|.html\|.plain\|.source\|.eml` | one message |
//! | GET | `/messages/{id}/parts/{cid}` | an attachment or inline part |
//! | DELETE | `/messages/{id}` | delete one (204, 404) |
//! | GET | `/static/{file}` | CSS and JS |
//!
//! Layout: `api` (JSON and raw formats), `pages` (HTML), `events` (SSE),
//! `assets` (embedded templates and static files), `error` (status codes).

mod api;
mod assets;
mod error;
mod events;
mod pages;

use std::io;

use crate::shutdown::Shutdown;
use actix_web::{web, HttpRequest};

use super::store::MessageStore;

/// The route name of the list page; every link is built from its URL.
const INDEX_ROUTE: &str = "mailcatcher_index";

struct WebState {
    store: MessageStore,
    templates: tera::Tera,
    shutdown: Shutdown,
}

/// The mail catcher's web UI and API over one store. Cheap to clone.
#[derive(Clone)]
pub struct MailWeb {
    state: web::Data<WebState>,
}

impl MailWeb {
    /// `shutdown` ends the live event streams (so a server can stop
    /// without waiting for open browser tabs).
    pub fn new(store: MessageStore, shutdown: Shutdown) -> Result<MailWeb, tera::Error> {
        Ok(MailWeb {
            state: web::Data::new(WebState {
                store,
                templates: assets::templates()?,
                shutdown,
            }),
        })
    }

    /// Registers the routes (see the module docs) on an `App` or a `Scope`.
    pub fn configure(&self, cfg: &mut web::ServiceConfig) {
        cfg.app_data(self.state.clone())
            .service(
                web::resource("/")
                    .name(INDEX_ROUTE)
                    .route(web::get().to(pages::index)),
            )
            // The scope's own path without the slash ("/mail"): redirected.
            .service(web::resource("").route(web::get().to(pages::index)))
            .service(web::resource("/view/{id}").route(web::get().to(pages::message)))
            .service(web::resource("/events").route(web::get().to(events::stream)))
            .service(web::resource("/static/{file}").route(web::get().to(assets::static_file)))
            .service(
                web::resource("/messages")
                    .route(web::get().to(api::list))
                    .route(web::delete().to(api::clear)),
            )
            .service(web::resource("/messages/{id}/parts/{cid:.+}").route(web::get().to(api::part)))
            .service(
                web::resource("/messages/{file}")
                    .route(web::get().to(api::show))
                    .route(web::delete().to(api::delete)),
            );
    }
}

/// The path the UI is mounted at, with a trailing slash: `/` or `/mail/`.
fn base_path(req: &HttpRequest) -> String {
    match req.url_for_static(INDEX_ROUTE) {
        Ok(url) => {
            let p = url.path();
            if p.ends_with('/') {
                p.to_owned()
            } else {
                format!("{p}/")
            }
        }
        Err(_) => "/".to_owned(),
    }
}

/// The web UI served alone on its own listener (`kiqlab mailcatcher`).
pub type WebServer = crate::standalone::Standalone;

/// Serves `web` at the root of `listener` until [`WebServer::stop`].
pub fn serve(listener: std::net::TcpListener, web: MailWeb) -> io::Result<WebServer> {
    crate::standalone::serve("mail catcher web UI", listener, move |cfg| {
        web.configure(cfg)
    })
}
