//! `/snippets` (Railscast #366, "Sidekiq on separate servers"): paste code,
//! pick a language; create stores the raw code and enqueues
//! `HighlightWorker(id)` (or runs it inline); the show page refreshes until a
//! worker has highlighted it and then says who did.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::code::SnippetCode;
use super::job::{HighlightArgs, HighlightWorker};
use super::language::SnippetLanguage;
use super::queries as snippets;
use crate::engine::job::new_jid;
use crate::engine::job_class::JobClass;
use crate::web::errors::{parse_id, PageError, SubmitError};
use crate::web::outbox;
use crate::web::response::{html, redirect_timed};
use crate::web::state::AppState;
use crate::web::templates;
use crate::web::timing::Mode;

#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(default)]
pub struct SnippetForm {
    pub language: String,
    pub code: String,
    pub mode: Option<String>,
}

#[derive(Debug, Default, Serialize)]
struct FormErrors {
    language: Option<String>,
    code: Option<String>,
}

#[derive(Serialize)]
struct LanguageOption {
    code: &'static str,
    label: &'static str,
}

fn languages() -> Vec<LanguageOption> {
    SnippetLanguage::ALL
        .iter()
        .map(|l| LanguageOption {
            code: l.code(),
            label: l.label(),
        })
        .collect()
}

pub async fn index(state: web::Data<AppState>) -> Result<HttpResponse, PageError> {
    let list = state.db.call(|c| snippets::list(c, 100)).await?;
    let mut ctx = templates::context("snippets", "Snippets");
    ctx.insert("snippets", &list);
    Ok(html(
        StatusCode::OK,
        templates::render("snippets/index.html", &ctx)?,
    ))
}

pub async fn new() -> Result<HttpResponse, PageError> {
    let form = SnippetForm {
        language: "ruby".into(),
        ..SnippetForm::default()
    };
    render_form(StatusCode::OK, &form, &FormErrors::default())
}

fn render_form(
    status: StatusCode,
    form: &SnippetForm,
    errors: &FormErrors,
) -> Result<HttpResponse, PageError> {
    let mut ctx = templates::context("snippets", "New snippet");
    ctx.insert("form", form);
    ctx.insert("errors", errors);
    ctx.insert("languages", &languages());
    Ok(html(status, templates::render("snippets/new.html", &ctx)?))
}

const TOO_LARGE: &str = "The code is larger than 64 KiB; please paste a smaller snippet.";

pub async fn create(
    state: web::Data<AppState>,
    form: web::Form<SnippetForm>,
) -> Result<HttpResponse, SubmitError> {
    let form = form.into_inner();
    if SnippetCode::is_too_long(&form.code) {
        return Err(SubmitError::TooLarge(TOO_LARGE));
    }
    let mode = Mode::from_form(form.mode.as_deref());
    let language = SnippetLanguage::parse(&form.language);
    let code = SnippetCode::parse(form.code.clone());
    let (language, code) = match (language, code) {
        (Ok(l), Ok(c)) => (l, c),
        (l, c) => {
            let errors = FormErrors {
                language: l.err().map(|e| e.to_string()),
                code: c.err().map(|e| e.to_string()),
            };
            return Ok(render_form(
                StatusCode::UNPROCESSABLE_ENTITY,
                &form,
                &errors,
            )?);
        }
    };
    let jid = new_jid();
    let (host, ip) = (state.hostname.clone(), state.ip.clone());
    // The snippet and its job commit together (the job into the outbox).
    let (id, job, staged) = state
        .db
        .call(move |c| {
            let tx = c.transaction()?;
            let id = snippets::insert(
                &tx,
                &snippets::NewSnippet {
                    language,
                    code: &code,
                    mode: mode.as_str(),
                    jid: &jid,
                    host: &host,
                    ip: &ip,
                    now: crate::engine::clock::now_secs(),
                },
            )?;
            let mut job = HighlightWorker::job(&HighlightArgs { snippet_id: id });
            job.set("jid", json!(jid));
            let staged = outbox::stage(&tx, &job, mode)?;
            tx.commit()?;
            Ok((id, job, staged))
        })
        .await?;
    state.settle(job, mode, staged).await?;
    Ok(redirect_timed(&format!("/snippets/{id}"), "snippets", mode))
}

pub async fn show(
    state: web::Data<AppState>,
    req: actix_web::HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let id = parse_id(&path).ok_or(PageError::NotFound("snippet"))?;
    let snippet = state
        .db
        .call(move |c| snippets::get(c, id))
        .await?
        .ok_or(PageError::NotFound("snippet"))?;
    let waiting = state.outbox.is_waiting(snippet.jid.clone()).await?;
    let mut ctx = templates::context("snippets", &format!("Snippet #{id}"));
    let job_state = crate::apps::job_state::view(
        &state,
        &req,
        Some(&snippet.jid),
        snippet.highlighted_by.as_ref(),
        snippet.highlighted_code.is_some(),
        "Re-highlighting",
    )
    .await;
    ctx.insert(
        "refresh",
        &(snippet.highlighted_code.is_none() && (job_state.live || waiting)),
    );
    ctx.insert("job_state", &job_state);
    ctx.insert("waiting_for_queue", &waiting);
    ctx.insert("snippet", &snippet);
    Ok(html(
        StatusCode::OK,
        templates::render("snippets/show.html", &ctx)?,
    ))
}
