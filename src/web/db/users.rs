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

pub fn find(c: &Connection, username: &str) -> Result<Option<User>, DbError> {
    Ok(c.query_row(
        "SELECT id, username, password_hash, is_admin FROM users WHERE username = ?1",
        [username],
        |r| {
            Ok(User {
                id: r.get(0)?,
                username: r.get(1)?,
                password_hash: r.get(2)?,
                is_admin: r.get(3)?,
            })
        },
    )
    .optional()?)
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
