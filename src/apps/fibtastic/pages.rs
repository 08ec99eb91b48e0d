//! `/fibtastic` ("Fibonacci as a Service"): an email address and a sequence
//! length; create enqueues `SequenceEmailWorker(email, length)` (or sends
//! inline) and shows a thank-you page that follows the delivery.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use super::job::{SequenceEmailArgs, SequenceEmailWorker};
use super::queries as fib;
use super::sequence_length::SequenceLength;
use crate::domain::EmailAddress;
use crate::engine::job_class::JobClass;
use crate::web::errors::{parse_id, PageError, SubmitError};
use crate::web::outbox;
use crate::web::response::{html, redirect_timed};
use crate::web::state::AppState;
use crate::web::templates;
use crate::web::timing::Mode;

#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(default)]
pub struct SequenceForm {
    pub email: String,
    pub sequence_length: String,
    pub mode: Option<String>,
}

#[derive(Debug, Default, Serialize)]
struct FormErrors {
    email: Option<String>,
    sequence_length: Option<String>,
}

pub async fn new(state: web::Data<AppState>) -> Result<HttpResponse, PageError> {
    let form = SequenceForm {
        sequence_length: "10".into(),
        ..SequenceForm::default()
    };
    render_form(&state, StatusCode::OK, &form, &FormErrors::default()).await
}

async fn render_form(
    state: &AppState,
    status: StatusCode,
    form: &SequenceForm,
    errors: &FormErrors,
) -> Result<HttpResponse, PageError> {
    let recent = state.db.call(|c| fib::list(c, 10)).await?;
    let mut ctx = templates::context("fibtastic", "FibTastic");
    ctx.insert("form", form);
    ctx.insert("errors", errors);
    ctx.insert("recent", &recent);
    ctx.insert("max_length", &SequenceLength::MAX);
    Ok(html(status, templates::render("fibtastic/new.html", &ctx)?))
}

pub async fn create(
    state: web::Data<AppState>,
    form: web::Form<SequenceForm>,
) -> Result<HttpResponse, SubmitError> {
    let form = form.into_inner();
    let mode = Mode::from_form(form.mode.as_deref());
    let (email, length) = match (
        EmailAddress::parse(&form.email),
        SequenceLength::parse(&form.sequence_length),
    ) {
        (Ok(e), Ok(l)) => (e, l),
        (e, l) => {
            let errors = FormErrors {
                email: e.err().map(|e| e.to_string()),
                sequence_length: l.err().map(|e| e.to_string()),
            };
            return Ok(
                render_form(&state, StatusCode::UNPROCESSABLE_ENTITY, &form, &errors).await?,
            );
        }
    };
    let job = SequenceEmailWorker::job(&SequenceEmailArgs {
        email: email.clone(),
        length,
    });
    let jid = job.jid().to_owned();
    // The request and its job commit together (the job into the outbox).
    let (id, job, staged) = state
        .db
        .call(move |c| {
            let tx = c.transaction()?;
            let id = fib::insert(
                &tx,
                &email,
                length,
                mode.as_str(),
                &jid,
                crate::engine::clock::now_secs(),
            )?;
            let staged = outbox::stage(&tx, &job, mode)?;
            tx.commit()?;
            Ok((id, job, staged))
        })
        .await?;
    state.settle(job, mode, staged).await?;
    Ok(redirect_timed(
        &format!("/fibtastic/requests/{id}"),
        "fibtastic",
        mode,
    ))
}

pub async fn show(
    state: web::Data<AppState>,
    req: actix_web::HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let id = parse_id(&path).ok_or(PageError::NotFound("request"))?;
    let request = state
        .db
        .call(move |c| fib::get(c, id))
        .await?
        .ok_or(PageError::NotFound("request"))?;
    let waiting = state.outbox.is_waiting(request.jid.clone()).await?;
    let mut ctx = templates::context("fibtastic", "Thanks!");
    let job_state = crate::apps::job_state::view(
        &state,
        &req,
        Some(&request.jid),
        request.delivered_by.as_ref(),
        request.delivered_by.is_some(),
        "Sending again",
    )
    .await;
    ctx.insert(
        "refresh",
        &(request.delivered_by.is_none() && (job_state.live || waiting)),
    );
    ctx.insert("job_state", &job_state);
    ctx.insert("waiting_for_queue", &waiting);
    ctx.insert("request", &request);
    Ok(html(
        StatusCode::OK,
        templates::render("fibtastic/show.html", &ctx)?,
    ))
}
