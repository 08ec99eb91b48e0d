//! The `posts` and `post_tags` tables: blog posts with hand-edited (manual)
//! and tagger-made (auto) tags.

use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::Serialize;

use super::post::{PostBody, PostTitle};
use super::tag_list::{TagList, TagName};
use crate::apps::stamp::{self, WorkerStamp};
use crate::web::db::DbError;

#[derive(Debug, Clone, Serialize)]
pub struct Post {
    pub id: i64,
    pub title: String,
    pub body: String,
    pub created_at: f64,
    pub updated_at: f64,
    pub jid: Option<String>,
    pub tagged_by: Option<WorkerStamp>,
    pub manual_tags: Vec<String>,
    pub auto_tags: Vec<AutoTag>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AutoTag {
    pub name: String,
    pub score: f64,
}

pub struct PostInput<'a> {
    pub title: &'a PostTitle,
    pub body: &'a PostBody,
    pub tags: &'a TagList,
}

/// Inserts on `tx` (the caller's transaction, which also stages the job).
pub fn insert(tx: &Connection, p: &PostInput<'_>, now: f64) -> Result<i64, DbError> {
    tx.execute(
        "INSERT INTO posts (title, body, created_at, updated_at) VALUES (?1, ?2, ?3, ?3)",
        params![p.title.as_str(), p.body.as_str(), now],
    )?;
    let id = tx.last_insert_rowid();
    replace_manual_tags(tx, id, p.tags)?;
    Ok(id)
}

/// False when there is no such post. On `tx`, as `insert`.
pub fn update(tx: &Connection, id: i64, p: &PostInput<'_>, now: f64) -> Result<bool, DbError> {
    let n = tx.execute(
        "UPDATE posts SET title = ?2, body = ?3, updated_at = ?4 WHERE id = ?1",
        params![id, p.title.as_str(), p.body.as_str(), now],
    )?;
    if n == 0 {
        return Ok(false);
    }
    replace_manual_tags(tx, id, p.tags)?;
    Ok(true)
}

fn replace_manual_tags(c: &Connection, id: i64, tags: &TagList) -> Result<(), DbError> {
    c.execute(
        "DELETE FROM post_tags WHERE post_id = ?1 AND kind = 'manual'",
        [id],
    )?;
    for t in tags.tags() {
        c.execute(
            "INSERT INTO post_tags (post_id, name, kind) VALUES (?1, ?2, 'manual')",
            params![id, t.as_str()],
        )?;
    }
    Ok(())
}

pub fn set_jid(c: &Connection, id: i64, jid: &str) -> Result<(), DbError> {
    c.execute("UPDATE posts SET jid = ?2 WHERE id = ?1", params![id, jid])?;
    Ok(())
}

pub fn delete(c: &Connection, id: i64) -> Result<bool, DbError> {
    Ok(c.execute("DELETE FROM posts WHERE id = ?1", [id])? == 1)
}

/// Replaces the post's automatic tags; false when there is no such post.
pub fn store_auto_tags(
    c: &mut Connection,
    id: i64,
    tags: &[(TagName, f64)],
    by: &WorkerStamp,
) -> Result<bool, DbError> {
    let tx = c.transaction()?;
    let n = tx.execute(
        "UPDATE posts SET tagged_by = ?2 WHERE id = ?1",
        params![id, stamp::to_json(by)?],
    )?;
    if n == 0 {
        return Ok(false);
    }
    tx.execute(
        "DELETE FROM post_tags WHERE post_id = ?1 AND kind = 'auto'",
        [id],
    )?;
    for (name, score) in tags {
        tx.execute(
            "INSERT OR IGNORE INTO post_tags (post_id, name, kind, score) VALUES (?1, ?2, 'auto', ?3)",
            params![id, name.as_str(), score],
        )?;
    }
    tx.commit()?;
    Ok(true)
}

const COLUMNS: &str = "id, title, body, created_at, updated_at, jid, tagged_by";

fn from_row(r: &Row<'_>) -> rusqlite::Result<(Post, Option<String>)> {
    Ok((
        Post {
            id: r.get(0)?,
            title: r.get(1)?,
            body: r.get(2)?,
            created_at: r.get(3)?,
            updated_at: r.get(4)?,
            jid: r.get(5)?,
            tagged_by: None,
            manual_tags: Vec::new(),
            auto_tags: Vec::new(),
        },
        r.get(6)?,
    ))
}

fn with_tags(c: &Connection, (mut p, stamp): (Post, Option<String>)) -> Result<Post, DbError> {
    p.tagged_by = stamp::from_json(stamp)?;
    let mut stmt = c.prepare_cached(
        "SELECT name, kind, score FROM post_tags WHERE post_id = ?1
         ORDER BY kind, score DESC, name",
    )?;
    let rows = stmt.query_map([p.id], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, Option<f64>>(2)?,
        ))
    })?;
    for row in rows {
        let (name, kind, score) = row?;
        if kind == "auto" {
            p.auto_tags.push(AutoTag {
                name,
                score: score.unwrap_or(0.5),
            });
        } else {
            p.manual_tags.push(name);
        }
    }
    Ok(p)
}

pub fn get(c: &Connection, id: i64) -> Result<Option<Post>, DbError> {
    let row = c
        .query_row(
            &format!("SELECT {COLUMNS} FROM posts WHERE id = ?1"),
            [id],
            from_row,
        )
        .optional()?;
    row.map(|r| with_tags(c, r)).transpose()
}

/// Newest first.
pub fn list(c: &Connection, limit: u32) -> Result<Vec<Post>, DbError> {
    let mut stmt = c.prepare(&format!(
        "SELECT {COLUMNS} FROM posts ORDER BY id DESC LIMIT ?1"
    ))?;
    let rows: Vec<_> = stmt
        .query_map([limit], from_row)?
        .collect::<Result<_, _>>()?;
    rows.into_iter().map(|r| with_tags(c, r)).collect()
}

/// Posts carrying `tag` (manual or automatic), newest first.
pub fn with_tag(c: &Connection, tag: &TagName) -> Result<Vec<Post>, DbError> {
    let mut stmt = c.prepare(&format!(
        "SELECT {COLUMNS} FROM posts WHERE id IN
           (SELECT post_id FROM post_tags WHERE name = ?1) ORDER BY id DESC"
    ))?;
    let rows: Vec<_> = stmt
        .query_map([tag.as_str()], from_row)?
        .collect::<Result<_, _>>()?;
    rows.into_iter().map(|r| with_tags(c, r)).collect()
}
