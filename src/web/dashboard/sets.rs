//! The sorted-set tabs (Retries, Scheduled, Dead at `/morgue`, and
//! sidekiq-failures' Failures): paged lists with a substring filter, the
//! job detail page, and their actions on selected rows, on one entry, and
//! on all entries.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};

use super::error::{DashError, DashResult};
use super::params::{self, Action, ActionForm, ListQuery, Paging, SetTab};
use super::view::{self, JobView};
use crate::engine::api::{ActionOutcome, Page, SetAction, SetQuery};
use crate::web::auth::Admin;
use crate::web::response::html;
use crate::web::state::AppState;
use crate::web::templates;

fn tab_context(ctx: &mut tera::Context, tab: SetTab) {
    ctx.insert("set_tab", tab.segment());
    ctx.insert("set_title", tab.title());
    ctx.insert(
        "actions",
        &tab.actions().iter().map(|a| a.name()).collect::<Vec<_>>(),
    );
    ctx.insert(
        "all_actions",
        &tab.all_actions()
            .iter()
            .map(|a| a.name())
            .collect::<Vec<_>>(),
    );
}

pub async fn index(
    state: web::Data<AppState>,
    admin: Admin,
    path: web::Path<String>,
    query: web::Query<ListQuery>,
) -> DashResult<HttpResponse> {
    let tab = SetTab::parse(&path)?;
    let paging = Paging::parse(&query, 25)?;
    let newest_first = params::newest_first(&query, tab.newest_first())?;
    let filter = params::substr(&query)?;
    let (mut ctx, _) = view::context(&state, &admin, tab.segment(), tab.title()).await?;
    let total = state.api.set_size(tab.set()).await?;
    let page = Page {
        offset: paging.offset(),
        limit: paging.count,
        newest_first,
    };
    let query = SetQuery::new(tab.set(), page).matching(filter.clone());
    let entries = state.api.set_page(&query).await?;
    let full = entries.len() as u64 == paging.count;
    let views: Vec<JobView> = entries
        .iter()
        .map(|e| JobView::entry(e.score, e.key().to_string(), &e.raw, e.job.as_ref()))
        .collect();
    tab_context(&mut ctx, tab);
    ctx.insert("entries", &views);
    ctx.insert("total", &total);
    ctx.insert("substr", &filter);
    ctx.insert("direction", if newest_first { "desc" } else { "asc" });
    // With a filter the number of matches is unknown: offer the next page
    // while pages come back full.
    let links = match filter {
        Some(_) if full => vec![paging.page + 1],
        Some(_) => Vec::new(),
        None => paging.links(total),
    };
    paging.insert_into(&mut ctx, &links);
    Ok(html(
        StatusCode::OK,
        templates::render("sidekiq/set.html", &ctx)?,
    ))
}

pub async fn show(
    state: web::Data<AppState>,
    admin: Admin,
    path: web::Path<(String, String)>,
) -> DashResult<HttpResponse> {
    let (segment, key) = path.into_inner();
    let tab = SetTab::parse(&segment)?;
    let key = params::entry_key(&key)?;
    let entry = state
        .api
        .find_entry(tab.set(), &key)
        .await?
        .ok_or_else(|| gone(tab))?;
    let title = format!("{} job", tab.title());
    let (mut ctx, _) = view::context(&state, &admin, tab.segment(), &title).await?;
    tab_context(&mut ctx, tab);
    let job = JobView::entry(
        entry.score,
        entry.key().to_string(),
        &entry.raw,
        entry.job.as_ref(),
    );
    ctx.insert("job", &job);
    Ok(html(
        StatusCode::OK,
        templates::render("sidekiq/job.html", &ctx)?,
    ))
}

fn gone(tab: SetTab) -> DashError {
    DashError::not_found(format!(
        "That job is no longer in {}: it may have been retried, run or deleted.",
        tab.title()
    ))
}

/// The action a form asks for on entries of `tab`.
fn entry_action(form: &ActionForm, tab: SetTab) -> DashResult<SetAction> {
    Action::allowed_in(form.action()?, tab.actions(), tab.title())?
        .on_entries()
        .ok_or_else(|| DashError::bad("That button is not for single jobs."))
}

/// `POST /TAB` with `key[]` rows and an action.
pub async fn bulk(
    state: web::Data<AppState>,
    _admin: Admin,
    path: web::Path<String>,
    body: web::Bytes,
) -> DashResult<HttpResponse> {
    let tab = SetTab::parse(&path)?;
    let form = ActionForm::parse(&body)?;
    let action = entry_action(&form, tab)?;
    if form.keys.is_empty() {
        return Err(DashError::bad("Select at least one job first."));
    }
    for key in &form.keys {
        // Rows already gone (another admin, a worker) are not an error here.
        state.api.apply(tab.set(), key, action).await?;
    }
    Ok(super::see_other(&format!("/sidekiq/{}", tab.segment())))
}

/// `POST /TAB/KEY` from the detail page.
pub async fn act(
    state: web::Data<AppState>,
    _admin: Admin,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> DashResult<HttpResponse> {
    let (segment, key) = path.into_inner();
    let tab = SetTab::parse(&segment)?;
    let key = params::entry_key(&key)?;
    let form = ActionForm::parse(&body)?;
    let action = entry_action(&form, tab)?;
    if state.api.apply(tab.set(), &key, action).await? == ActionOutcome::NotFound {
        return Err(gone(tab));
    }
    Ok(super::see_other(&format!("/sidekiq/{}", tab.segment())))
}

/// `POST /TAB/all/ACTION`.
pub async fn all(
    state: web::Data<AppState>,
    _admin: Admin,
    path: web::Path<(String, String)>,
) -> DashResult<HttpResponse> {
    let (segment, action) = path.into_inner();
    let tab = SetTab::parse(&segment)?;
    let action = Action::allowed_in(&action, tab.all_actions(), tab.title())?;
    match action.on_entries() {
        Some(a) => {
            state.api.apply_all(tab.set(), a).await?;
        }
        None => state.api.reset_failed_counter().await?,
    }
    Ok(super::see_other(&format!("/sidekiq/{}", tab.segment())))
}

/// `POST /filter/TAB` (sidekiq-failures' form): to the filtered list.
pub async fn filter(path: web::Path<String>, body: web::Bytes) -> DashResult<HttpResponse> {
    let tab = SetTab::parse(&path)?;
    let form = ActionForm::parse(&body)?;
    let substr = form.field("substr").unwrap_or("").trim();
    let q: String = url::form_urlencoded::byte_serialize(substr.as_bytes()).collect();
    Ok(super::see_other(&format!(
        "/sidekiq/{}?substr={q}",
        tab.segment()
    )))
}
