//! The `snippets` table: create, load, store the highlight, list.

use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::Serialize;

use super::code::SnippetCode;
use super::language::SnippetLanguage;
use crate::apps::stamp::{self, WorkerStamp};
use crate::web::db::DbError;

#[derive(Debug, Clone, Serialize)]
pub struct Snippet {
    pub id: i64,
    pub language: SnippetLanguage,
    pub language_label: &'static str,
    pub plain_code: String,
    pub highlighted_code: Option<String>,
    pub mode: String,
    pub jid: String,
    pub created_by_host: String,
    pub created_by_ip: String,
    pub created_at: f64,
    pub highlighted_by: Option<WorkerStamp>,
}

pub struct NewSnippet<'a> {
    pub language: SnippetLanguage,
    pub code: &'a SnippetCode,
    pub mode: &'a str,
    pub jid: &'a str,
    pub host: &'a str,
    pub ip: &'a str,
    pub now: f64,
}

pub fn insert(c: &Connection, s: &NewSnippet<'_>) -> Result<i64, DbError> {
    c.execute(
        "INSERT INTO snippets (language, plain_code, mode, jid, created_by_host, created_by_ip, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![s.language.code(), s.code.as_str(), s.mode, s.jid, s.host, s.ip, s.now],
    )?;
    Ok(c.last_insert_rowid())
}

const COLUMNS: &str = "id, language, plain_code, highlighted_code, mode, jid, created_by_host, \
                       created_by_ip, created_at, highlighted_by";

fn from_row(r: &Row<'_>) -> rusqlite::Result<(Snippet, Option<String>)> {
    let lang: String = r.get(1)?;
    let language = SnippetLanguage::parse(&lang).unwrap_or(SnippetLanguage::Ruby);
    Ok((
        Snippet {
            id: r.get(0)?,
            language,
            language_label: language.label(),
            plain_code: r.get(2)?,
            highlighted_code: r.get(3)?,
            mode: r.get(4)?,
            jid: r.get(5)?,
            created_by_host: r.get(6)?,
            created_by_ip: r.get(7)?,
            created_at: r.get(8)?,
            highlighted_by: None,
        },
        r.get(9)?,
    ))
}

fn finish((mut s, stamp): (Snippet, Option<String>)) -> Result<Snippet, DbError> {
    s.highlighted_by = stamp::from_json(stamp)?;
    Ok(s)
}

pub fn get(c: &Connection, id: i64) -> Result<Option<Snippet>, DbError> {
    c.query_row(
        &format!("SELECT {COLUMNS} FROM snippets WHERE id = ?1"),
        [id],
        from_row,
    )
    .optional()?
    .map(finish)
    .transpose()
}

/// Newest first.
pub fn list(c: &Connection, limit: u32) -> Result<Vec<Snippet>, DbError> {
    let mut stmt = c.prepare(&format!(
        "SELECT {COLUMNS} FROM snippets ORDER BY id DESC LIMIT ?1"
    ))?;
    let rows = stmt.query_map([limit], from_row)?;
    rows.map(|r| finish(r?)).collect()
}

/// Stores the highlighted HTML; false when there is no such snippet.
pub fn store_highlight(
    c: &Connection,
    id: i64,
    html: &str,
    by: &WorkerStamp,
) -> Result<bool, DbError> {
    let n = c.execute(
        "UPDATE snippets SET highlighted_code = ?2, highlighted_by = ?3 WHERE id = ?1",
        params![id, html, stamp::to_json(by)?],
    )?;
    Ok(n == 1)
}
