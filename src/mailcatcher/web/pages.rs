//! The HTML pages: the message list and the message view with its HTML
//! (sandboxed iframe), Plain, Source and Headers tabs and attachments.
//! Everything a message says goes through Tera's autoescaping.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::SecondsFormat;
use serde::{Deserialize, Serialize};

use super::api::part_href;
use super::error::WebError;
use super::{base_path, WebState};
use crate::mailcatcher::store::{MessageId, StoredMessage};

#[derive(Debug, Serialize)]
struct Row<'a> {
    id: u64,
    from: String,
    to: String,
    subject: &'a str,
    size: String,
    created_at: String,
    received: String,
}

impl<'a> Row<'a> {
    fn of(m: &'a StoredMessage) -> Row<'a> {
        Row {
            id: m.id.get(),
            from: m
                .mail
                .from
                .clone()
                .unwrap_or_else(|| m.envelope.sender.clone()),
            to: if m.mail.to.is_empty() {
                m.envelope.recipients.join(", ")
            } else {
                m.mail.to.join(", ")
            },
            subject: &m.mail.subject,
            size: human_size(m.size()),
            created_at: m.received_at.to_rfc3339_opts(SecondsFormat::Secs, true),
            received: m.received_at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
        }
    }
}

pub(super) async fn index(
    req: HttpRequest,
    state: web::Data<WebState>,
) -> Result<HttpResponse, WebError> {
    let base = base_path(&req);
    if req.path() != base {
        // Mounted at /mail and asked for /mail: relative URLs need the slash.
        return Ok(HttpResponse::PermanentRedirect()
            .insert_header((header::LOCATION, base))
            .finish());
    }
    let messages = state.store.list();
    // Newest first, as MailCatcher lists them.
    let rows: Vec<Row<'_>> = messages.iter().rev().map(|m| Row::of(m)).collect();
    let mut ctx = tera::Context::new();
    ctx.insert("base", &base);
    ctx.insert("messages", &rows);
    render(&state, "mail/index.html", &ctx)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub(super) enum Tab {
    Html,
    Plain,
    Source,
    Headers,
}

#[derive(Debug, Deserialize)]
pub(super) struct ViewQuery {
    tab: Option<Tab>,
}

#[derive(Debug, Serialize)]
struct TabLink {
    name: Tab,
    label: &'static str,
    active: bool,
}

#[derive(Debug, Serialize)]
struct AttachmentRow<'a> {
    name: &'a str,
    content_type: &'a str,
    size: String,
    href: String,
}

pub(super) async fn message(
    req: HttpRequest,
    state: web::Data<WebState>,
    path: web::Path<String>,
    query: web::Query<ViewQuery>,
) -> Result<HttpResponse, WebError> {
    let id: MessageId = path.parse()?;
    let m = state.store.get(id).ok_or(WebError::NoMessage(id))?;
    let base = base_path(&req);
    let default_tab = if m.mail.html.is_some() {
        Tab::Html
    } else if m.mail.plain.is_some() {
        Tab::Plain
    } else {
        Tab::Source
    };
    let tab = query.tab.unwrap_or(default_tab);
    let mut available = Vec::new();
    if m.mail.html.is_some() {
        available.push((Tab::Html, "HTML"));
    }
    if m.mail.plain.is_some() {
        available.push((Tab::Plain, "Plain text"));
    }
    available.extend([(Tab::Source, "Source"), (Tab::Headers, "Headers")]);
    let tabs: Vec<TabLink> = available
        .into_iter()
        .map(|(name, label)| TabLink {
            name,
            label,
            active: name == tab,
        })
        .collect();
    let attachments: Vec<AttachmentRow<'_>> = m
        .mail
        .parts
        .iter()
        .map(|p| AttachmentRow {
            name: p.filename.as_deref().unwrap_or(&p.cid),
            content_type: &p.content_type,
            size: human_size(p.body.len()),
            href: part_href(&base, m.id, &p.cid),
        })
        .collect();
    let mut ctx = tera::Context::new();
    ctx.insert("base", &base);
    ctx.insert("m", &Row::of(&m));
    ctx.insert("sender", &m.envelope.sender);
    ctx.insert("recipients", &m.envelope.recipients.join(", "));
    ctx.insert("tabs", &tabs);
    ctx.insert("tab", &tab);
    ctx.insert("has_html", &m.mail.html.is_some());
    ctx.insert("plain", &m.mail.plain);
    ctx.insert("attachments", &attachments);
    match tab {
        Tab::Source => ctx.insert("source", &String::from_utf8_lossy(&m.raw)),
        Tab::Headers => ctx.insert("headers", &m.mail.headers),
        Tab::Html | Tab::Plain => {}
    }
    render(&state, "mail/message.html", &ctx)
}

fn render(state: &WebState, name: &str, ctx: &tera::Context) -> Result<HttpResponse, WebError> {
    let html = state.templates.render(name, ctx)?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(html))
}

/// `512 B`, `1.5 KB`, `2.0 MB`.
pub(super) fn human_size(n: usize) -> String {
    // Precision does not matter for a display size.
    #[allow(clippy::cast_precision_loss)]
    let f = n as f64;
    if n < 1024 {
        format!("{n} B")
    } else if n < 1024 * 1024 {
        format!("{:.1} KB", f / 1024.0)
    } else {
        format!("{:.1} MB", f / (1024.0 * 1024.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_like_a_person_wrote_them() {
        assert_eq!(human_size(12), "12 B");
        assert_eq!(human_size(1536), "1.5 KB");
        assert_eq!(human_size(3 * 1024 * 1024), "3.0 MB");
    }
}
