//! The JSON API in MailCatcher's shape and the raw formats of a message
//! (`.json`, `.html`, `.plain`, `.source`, `.eml`, parts), plus deletes.

use std::str::FromStr;

use actix_web::http::header::{
    Charset, ContentDisposition, DispositionParam, DispositionType, ExtendedValue,
};
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::SecondsFormat;
use serde::Serialize;

use super::error::WebError;
use super::{base_path, WebState};
use crate::mailcatcher::store::{MessageId, StoredMessage};

/// The HTML part runs with no scripts and no access to this origin even
/// when opened outside its sandboxed iframe.
const HTML_CSP: &str = "sandbox allow-popups allow-popups-to-escape-sandbox; default-src 'none'; \
img-src * data:; style-src * 'unsafe-inline'; font-src * data:";

/// One message in the list, as MailCatcher's `GET /messages` gives it,
/// plus the From and To headers for the live list.
#[derive(Debug, Serialize)]
pub(super) struct Summary<'a> {
    pub id: u64,
    pub sender: String,
    pub recipients: Vec<String>,
    pub subject: &'a str,
    pub size: usize,
    pub created_at: String,
    pub from: Option<&'a str>,
    pub to: &'a [String],
}

impl<'a> Summary<'a> {
    pub fn of(m: &'a StoredMessage) -> Summary<'a> {
        Summary {
            id: m.id.get(),
            sender: angle(&m.envelope.sender),
            recipients: m.envelope.recipients.iter().map(|r| angle(r)).collect(),
            subject: &m.mail.subject,
            size: m.size(),
            created_at: m.received_at.to_rfc3339_opts(SecondsFormat::Secs, true),
            from: m.mail.from.as_deref(),
            to: &m.mail.to,
        }
    }
}

/// MailCatcher shows envelope addresses as they were given: `<a@b>`.
fn angle(address: &str) -> String {
    format!("<{address}>")
}

#[derive(Debug, Serialize)]
struct Detail<'a> {
    #[serde(flatten)]
    summary: Summary<'a>,
    #[serde(rename = "type")]
    content_type: &'a str,
    formats: Vec<&'static str>,
    attachments: Vec<AttachmentJson<'a>>,
}

#[derive(Debug, Serialize)]
struct AttachmentJson<'a> {
    cid: &'a str,
    #[serde(rename = "type")]
    content_type: &'a str,
    filename: Option<&'a str>,
    size: usize,
    href: String,
}

/// `12.json` and the like: parsed once, at the edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Html,
    Plain,
    Source,
    Eml,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct MessageFile {
    id: MessageId,
    format: Format,
}

impl FromStr for MessageFile {
    type Err = WebError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (id, ext) = s.split_once('.').unwrap_or((s, ""));
        let id: MessageId = id.parse()?;
        let format = match ext {
            "json" => Format::Json,
            "html" => Format::Html,
            "plain" => Format::Plain,
            "source" => Format::Source,
            "eml" => Format::Eml,
            other => return Err(WebError::UnknownFormat(other.to_owned())),
        };
        Ok(MessageFile { id, format })
    }
}

fn find(state: &WebState, id: MessageId) -> Result<std::sync::Arc<StoredMessage>, WebError> {
    state.store.get(id).ok_or(WebError::NoMessage(id))
}

/// A path segment with everything but unreserved characters escaped.
pub(super) fn path_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~@".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

pub(super) fn part_href(base: &str, id: MessageId, cid: &str) -> String {
    format!("{base}messages/{id}/parts/{}", path_segment(cid))
}

pub(super) async fn list(state: web::Data<WebState>) -> Result<HttpResponse, WebError> {
    let messages = state.store.list();
    let body: Vec<Summary<'_>> = messages.iter().map(|m| Summary::of(m)).collect();
    Ok(HttpResponse::Ok().json(body))
}

pub(super) async fn clear(state: web::Data<WebState>) -> HttpResponse {
    state.store.clear();
    HttpResponse::NoContent().finish()
}

pub(super) async fn delete(
    state: web::Data<WebState>,
    path: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let id: MessageId = path.parse()?;
    if state.store.remove(id) {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(WebError::NoMessage(id))
    }
}

pub(super) async fn show(
    req: HttpRequest,
    state: web::Data<WebState>,
    path: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let file: MessageFile = path.parse()?;
    let m = find(&state, file.id)?;
    let base = base_path(&req);
    Ok(match file.format {
        Format::Json => HttpResponse::Ok().json(detail(&m, &base)),
        Format::Html => {
            let html = m.mail.html.as_deref().ok_or(WebError::NoFormat {
                id: m.id,
                format: "HTML",
            })?;
            HttpResponse::Ok()
                .content_type("text/html; charset=utf-8")
                .insert_header(("Content-Security-Policy", HTML_CSP))
                .insert_header(("X-Content-Type-Options", "nosniff"))
                .body(rewrite_cids(html, &m, &base))
        }
        Format::Plain => {
            let plain = m.mail.plain.clone().ok_or(WebError::NoFormat {
                id: m.id,
                format: "plain text",
            })?;
            text_response(plain.into_bytes())
        }
        Format::Source => text_response(m.raw.clone()),
        Format::Eml => HttpResponse::Ok()
            .content_type("message/rfc822")
            .insert_header(attachment_disposition(&format!("message-{}.eml", m.id)))
            .body(m.raw.clone()),
    })
}

pub(super) async fn part(
    state: web::Data<WebState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, WebError> {
    let (id, cid) = path.into_inner();
    let id: MessageId = id.parse()?;
    let m = find(&state, id)?;
    let part = m.mail.part(&cid).ok_or(WebError::NoPart { id, cid })?;
    let filename = part.filename.clone().unwrap_or_else(|| part.cid.clone());
    Ok(HttpResponse::Ok()
        .content_type(part.content_type.as_str())
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header(attachment_disposition(&filename))
        .body(part.body.clone()))
}

fn text_response(body: Vec<u8>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .body(body)
}

fn detail<'a>(m: &'a StoredMessage, base: &str) -> Detail<'a> {
    let mut formats = vec!["source"];
    if m.mail.html.is_some() {
        formats.push("html");
    }
    if m.mail.plain.is_some() {
        formats.push("plain");
    }
    Detail {
        summary: Summary::of(m),
        content_type: &m.mail.content_type,
        formats,
        attachments: m
            .mail
            .parts
            .iter()
            .map(|p| AttachmentJson {
                cid: &p.cid,
                content_type: &p.content_type,
                filename: p.filename.as_deref(),
                size: p.body.len(),
                href: part_href(base, m.id, &p.cid),
            })
            .collect(),
    }
}

/// Points `cid:` references of the HTML body at the parts' URLs, as
/// MailCatcher does.
fn rewrite_cids(html: &str, m: &StoredMessage, base: &str) -> String {
    let mut parts: Vec<_> = m.mail.parts.iter().collect();
    // Longest first, so `cid:a1` is not rewritten inside `cid:a10`.
    parts.sort_by_key(|p| std::cmp::Reverse(p.cid.len()));
    let mut html = html.to_owned();
    for p in parts {
        html = html.replace(&format!("cid:{}", p.cid), &part_href(base, m.id, &p.cid));
    }
    html
}

/// `attachment; filename="…"` with an ASCII fallback and the UTF-8 name.
fn attachment_disposition(name: &str) -> ContentDisposition {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut parameters = vec![DispositionParam::Filename(ascii.clone())];
    if ascii != name {
        parameters.push(DispositionParam::FilenameExt(ExtendedValue {
            charset: Charset::Ext("UTF-8".to_owned()),
            language_tag: None,
            value: name.as_bytes().to_vec(),
        }));
    }
    ContentDisposition {
        disposition: DispositionType::Attachment,
        parameters,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_files_parse_at_the_edge() {
        let f: MessageFile = "12.json".parse().unwrap();
        assert_eq!(f.id.get(), 12);
        assert_eq!(f.format, Format::Json);
        assert_eq!("3.eml".parse::<MessageFile>().unwrap().format, Format::Eml);
        assert!(matches!(
            "3.pdf".parse::<MessageFile>(),
            Err(WebError::UnknownFormat(_))
        ));
        assert!(matches!(
            "x.json".parse::<MessageFile>(),
            Err(WebError::BadId(_))
        ));
        assert!(matches!(
            "3".parse::<MessageFile>(),
            Err(WebError::UnknownFormat(_))
        ));
    }

    #[test]
    fn path_segments_are_escaped() {
        assert_eq!(path_segment("img1@example.com"), "img1@example.com");
        assert_eq!(path_segment("a b/c"), "a%20b%2Fc");
    }

    #[test]
    fn non_ascii_file_names_get_an_ascii_fallback() {
        let d = attachment_disposition("résumé \"1\".pdf").to_string();
        assert!(d.contains("filename=\"r_sum_ _1_.pdf\""), "{d}");
        assert!(d.contains("filename*=UTF-8''r%C3%A9sum%C3%A9"), "{d}");
    }
}
