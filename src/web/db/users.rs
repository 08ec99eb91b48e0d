//! The `users` table (the dashboard's sign-in): usernames and argon2 hashes.

use rusqlite::{params, Connection, OptionalExtension};

use super::DbError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub password_hash: String,
    pub is_admin: bool,
}

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<User> {
    Ok(User {
        id: r.get(0)?,
        username: r.get(1)?,
        password_hash: r.get(2)?,
        is_admin: r.get(3)?,
    })
}

/// By username, ignoring ASCII case (email addresses are typed both ways).
pub fn find(c: &Connection, username: &str) -> Result<Option<User>, DbError> {
    Ok(c.query_row(
        "SELECT id, username, password_hash, is_admin FROM users
         WHERE username = ?1 OR lower(username) = lower(?1)
         ORDER BY username = ?1 DESC LIMIT 1",
        [username],
        row,
    )
    .optional()?)
}

pub fn by_id(c: &Connection, id: i64) -> Result<Option<User>, DbError> {
    Ok(c.query_row(
        "SELECT id, username, password_hash, is_admin FROM users WHERE id = ?1",
        [id],
        row,
    )
    .optional()?)
}

/// Creates a user; `false` when the username is taken (ignoring case).
pub fn create(
    c: &Connection,
    username: &str,
    password_hash: &str,
    is_admin: bool,
    now: f64,
) -> Result<bool, DbError> {
    if find(c, username)?.is_some() {
        return Ok(false);
    }
    c.execute(
        "INSERT INTO users (username, password_hash, is_admin, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![username, password_hash, is_admin, now],
    )?;
    Ok(true)
}

/// Sets the admin flag; `false` when there is no such user.
pub fn set_admin(c: &Connection, username: &str, is_admin: bool) -> Result<bool, DbError> {
    let Some(user) = find(c, username)? else {
        return Ok(false);
    };
    c.execute(
        "UPDATE users SET is_admin = ?2 WHERE id = ?1",
        params![user.id, is_admin],
    )?;
    Ok(true)
}

/// Creates the user or replaces its password hash and admin flag.
pub fn upsert(
    c: &Connection,
    username: &str,
    password_hash: &str,
    is_admin: bool,
    now: f64,
) -> Result<(), DbError> {
    c.execute(
        "INSERT INTO users (username, password_hash, is_admin, created_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (username) DO UPDATE SET password_hash = excluded.password_hash,
                                              is_admin = excluded.is_admin",
        params![username, password_hash, is_admin, now],
    )?;
    Ok(())
}
