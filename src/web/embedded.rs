//! The services the web node runs in its own process unless disabled: the
//! mail catcher's UI and API at `/mail` (its SMTP listener is started by the
//! composition root) and the tagger at `/tagger/enrich`.
//! Without an embedded mail catcher, `/mail` leads to an external one.

use actix_web::{web, HttpResponse};

use super::state::AppState;
use crate::mailcatcher::MailWeb;
use crate::tagger::Tagger;

/// Where the embedded tagger answers, relative to the web node's root.
pub const TAGGER_PATH: &str = "tagger/enrich";

#[derive(Clone, Default)]
pub struct Embedded {
    pub mail: Option<MailWeb>,
    pub tagger: Option<Tagger>,
}

impl std::fmt::Debug for Embedded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Embedded")
            .field("mail", &self.mail.is_some())
            .field("tagger", &self.tagger.is_some())
            .finish()
    }
}

impl Embedded {
    pub fn configure(&self, cfg: &mut web::ServiceConfig) {
        match &self.mail {
            Some(mail) => {
                let mail = mail.clone();
                cfg.service(web::scope("/mail").configure(move |c| mail.configure(c)));
            }
            None => {
                cfg.route("/mail", web::get().to(external_mail));
            }
        }
        if let Some(tagger) = &self.tagger {
            let tagger = tagger.clone();
            cfg.service(web::scope("/tagger").configure(move |c| tagger.configure(c)));
        }
    }
}

/// `/mail` when the mail catcher runs elsewhere: its own web UI.
async fn external_mail(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Found()
        .insert_header(("Location", state.mail_ui_url.as_str()))
        .finish()
}
