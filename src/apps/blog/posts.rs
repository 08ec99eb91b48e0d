//! `/blog` and `/blog/posts/…`: list, create, show, edit, update, delete.
//! Create and update enqueue `AutoTagWorker(post_id)` (or run it inline).

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use super::job::{AutoTagArgs, AutoTagWorker};
use super::post::{PostBody, PostTitle};
use super::queries as posts;
use super::tag_list::TagList;
use crate::engine::job::Job;
use crate::engine::job_class::JobClass;
use crate::web::errors::{parse_id, PageError, SubmitError};
use crate::web::outbox;
use crate::web::response::{html, redirect_timed};
use crate::web::state::{AppState, DispatchError};
use crate::web::templates;
use crate::web::timing::Mode;

#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(default)]
pub struct PostForm {
    pub title: String,
    pub body: String,
    pub tag_list: String,
    pub mode: Option<String>,
}

#[derive(Debug, Default, Serialize)]
struct FormErrors {
    title: Option<String>,
    body: Option<String>,
    tag_list: Option<String>,
}

pub async fn index(state: web::Data<AppState>) -> Result<HttpResponse, PageError> {
    let list = state.db.call(|c| posts::list(c, 100)).await?;
    let mut ctx = templates::context("blog", "Blog");
    ctx.insert("posts", &list);
    Ok(html(
        StatusCode::OK,
        templates::render("blog/index.html", &ctx)?,
    ))
}

pub async fn new() -> Result<HttpResponse, PageError> {
    render_form(
        StatusCode::OK,
        None,
        &PostForm::default(),
        &FormErrors::default(),
    )
}

fn render_form(
    status: StatusCode,
    id: Option<i64>,
    form: &PostForm,
    errors: &FormErrors,
) -> Result<HttpResponse, PageError> {
    let title = if id.is_some() {
        "Edit post"
    } else {
        "New post"
    };
    let mut ctx = templates::context("blog", title);
    ctx.insert("post_id", &id);
    ctx.insert("form", form);
    ctx.insert("errors", errors);
    Ok(html(status, templates::render("blog/form.html", &ctx)?))
}

struct Valid {
    title: PostTitle,
    body: PostBody,
    tags: TagList,
}

fn validate(form: &PostForm) -> Result<Valid, FormErrors> {
    match (
        PostTitle::parse(&form.title),
        PostBody::parse(&form.body),
        TagList::parse(&form.tag_list),
    ) {
        (Ok(title), Ok(body), Ok(tags)) => Ok(Valid { title, body, tags }),
        (t, b, l) => Err(FormErrors {
            title: t.err().map(|e| e.to_string()),
            body: b.err().map(|e| e.to_string()),
            tag_list: l.err().map(|e| e.to_string()),
        }),
    }
}

/// Settles post `id`'s AutoTagWorker after its transaction: handed to the
/// queue through the outbox, or run inline. True when tagging inline failed
/// and the job went to a worker instead (the post is saved either way: no
/// 502 for a saved post, and no reason to post it twice).
async fn tag(
    state: &AppState,
    id: i64,
    job: Job,
    mode: Mode,
    staged: Option<i64>,
) -> Result<bool, SubmitError> {
    match state.settle(job.clone(), mode, staged).await {
        Err(DispatchError::Inline { class, error }) => {
            tracing::warn!(post_id = id, error = %error, "tagging inline failed; enqueued for a worker");
            state
                .enqueue(job)
                .await
                .map_err(|error| DispatchError::Enqueue { class, error })?;
            Ok(true)
        }
        other => other.map(|()| false).map_err(SubmitError::from),
    }
}

pub async fn create(
    state: web::Data<AppState>,
    form: web::Form<PostForm>,
) -> Result<HttpResponse, SubmitError> {
    save(&state, None, form.into_inner()).await
}

/// Create (`id` None) and update: re-renders the form with 422 when it is
/// invalid, otherwise stores the post, tags it and redirects to it.
async fn save(
    state: &AppState,
    id: Option<i64>,
    form: PostForm,
) -> Result<HttpResponse, SubmitError> {
    let mode = Mode::from_form(form.mode.as_deref());
    let v = match validate(&form) {
        Ok(v) => v,
        Err(errors) => {
            return Ok(render_form(
                StatusCode::UNPROCESSABLE_ENTITY,
                id,
                &form,
                &errors,
            )?)
        }
    };
    // The post, its jid and its tagging job commit together (the job into
    // the outbox).
    let saved = state
        .db
        .call(move |c| {
            let input = posts::PostInput {
                title: &v.title,
                body: &v.body,
                tags: &v.tags,
            };
            let now = crate::engine::clock::now_secs();
            let tx = c.transaction()?;
            let id = match id {
                None => posts::insert(&tx, &input, now)?,
                Some(id) if posts::update(&tx, id, &input, now)? => id,
                Some(_) => return Ok(None),
            };
            let job = AutoTagWorker::job(&AutoTagArgs { post_id: id });
            posts::set_jid(&tx, id, job.jid())?;
            let staged = outbox::stage(&tx, &job, mode)?;
            tx.commit()?;
            Ok(Some((id, job, staged)))
        })
        .await?;
    let (id, job, staged) = saved.ok_or(SubmitError::NotFound("post"))?;
    let to = if tag(state, id, job, mode, staged).await? {
        format!("/blog/posts/{id}?inline=failed")
    } else {
        format!("/blog/posts/{id}")
    };
    Ok(redirect_timed(&to, "blog", mode))
}

async fn load(state: &AppState, path: &str) -> Result<posts::Post, PageError> {
    let id = parse_id(path).ok_or(PageError::NotFound("post"))?;
    state
        .db
        .call(move |c| posts::get(c, id))
        .await?
        .ok_or(PageError::NotFound("post"))
}

pub async fn show(
    state: web::Data<AppState>,
    req: actix_web::HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let post = load(&state, &path).await?;
    let waiting = match post.jid.clone() {
        Some(jid) => state.outbox.is_waiting(jid).await?,
        None => false,
    };
    let mut ctx = templates::context("blog", &post.title);
    ctx.insert(
        "inline_failed",
        &req.query_string().contains("inline=failed"),
    );
    let job_state = crate::apps::job_state::view(
        &state,
        &req,
        post.jid.as_deref(),
        post.tagged_by.as_ref(),
        post.tagged_by.is_some(),
        "Re-tagging after your edit",
    )
    .await;
    ctx.insert("refresh", &(job_state.live || waiting));
    ctx.insert("job_state", &job_state);
    ctx.insert("waiting_for_queue", &waiting);
    ctx.insert("post", &post);
    Ok(html(
        StatusCode::OK,
        templates::render("blog/show.html", &ctx)?,
    ))
}

pub async fn edit(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let post = load(&state, &path).await?;
    let form = PostForm {
        title: post.title,
        body: post.body,
        tag_list: post.manual_tags.join(", "),
        mode: None,
    };
    render_form(StatusCode::OK, Some(post.id), &form, &FormErrors::default())
}

pub async fn update(
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: web::Form<PostForm>,
) -> Result<HttpResponse, SubmitError> {
    let id = parse_id(&path).ok_or(SubmitError::NotFound("post"))?;
    save(&state, Some(id), form.into_inner()).await
}

pub async fn delete(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let id = parse_id(&path).ok_or(PageError::NotFound("post"))?;
    if !state.db.call(move |c| posts::delete(c, id)).await? {
        return Err(PageError::NotFound("post"));
    }
    Ok(HttpResponse::SeeOther()
        .insert_header(("Location", "/blog"))
        .finish())
}
