//! Sign-in sessions kept server-side in the application database: the
//! browser holds a random token in an HttpOnly, SameSite=Lax cookie; the
//! database holds only its BLAKE2 hash (a leaked database opens no session),
//! the user, the CSRF secret and the expiry. A session starts anonymous when
//! a sign-in or sign-up form is shown, and is replaced by a new one (new
//! token, new CSRF secret) on sign-in, so a planted token is worthless.

use actix_web::HttpRequest;
use blake2::{Blake2b512, Digest};

use crate::engine::clock::now_secs;
use crate::secret::Secret;
use crate::web::db::sessions::{self, SessionRow};
use crate::web::db::users::{self, User};
use crate::web::db::{Db, DbError};

pub const COOKIE: &str = "kiqlab_session";
/// A signed-in session lasts this long.
pub const SIGNED_IN_SECS: f64 = 12.0 * 3600.0;
/// An anonymous one (a form waiting to be sent) this long.
const ANONYMOUS_SECS: f64 = 3600.0;

/// The session of the request, with its user if signed in.
#[derive(Debug, Clone)]
pub struct Session {
    pub token_hash: String,
    pub user: Option<User>,
    pub csrf: Secret,
}

/// A session just made, with the cookie that hands it to the browser.
#[derive(Debug)]
pub struct NewSession {
    pub session: Session,
    pub set_cookie: String,
}

fn hash_token(token: &str) -> String {
    let digest = Blake2b512::digest(token.as_bytes());
    crate::engine::job::hex(&digest[..32])
}

/// The session token in the request's cookies, if any.
fn cookie_token(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get_all(actix_web::http::header::COOKIE)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v.trim().to_owned())
        .filter(|v| !v.is_empty() && v.len() <= 128)
}

/// Loads the request's live session (and its user).
pub async fn load(req: &HttpRequest, db: &Db) -> Result<Option<Session>, DbError> {
    let Some(token) = cookie_token(req) else {
        return Ok(None);
    };
    let hash = hash_token(&token);
    db.call(move |c| {
        let Some(row) = sessions::find(c, &hash, now_secs())? else {
            return Ok(None);
        };
        let user = match row.user_id {
            Some(id) => match users::by_id(c, id)? {
                Some(u) => Some(u),
                None => return Ok(None),
            },
            None => None,
        };
        Ok(Some(Session {
            token_hash: row.token_hash,
            user,
            csrf: Secret::new(row.csrf),
        }))
    })
    .await
}

/// Starts a session (anonymous when `user` is `None`), replacing `old`.
pub async fn start(
    req: &HttpRequest,
    db: &Db,
    user: Option<User>,
    old: Option<&Session>,
) -> Result<NewSession, DbError> {
    let token = Secret::generate();
    let csrf = Secret::generate();
    let now = now_secs();
    let life = if user.is_some() {
        SIGNED_IN_SECS
    } else {
        ANONYMOUS_SECS
    };
    let row = SessionRow {
        token_hash: hash_token(token.expose()),
        user_id: user.as_ref().map(|u| u.id),
        csrf: csrf.expose().to_owned(),
        expires_at: now + life,
    };
    let old_hash = old.map(|s| s.token_hash.clone());
    let r = row.clone();
    db.call(move |c| {
        if let Some(h) = old_hash {
            sessions::delete(c, &h)?;
        }
        sessions::insert(c, &r, now)
    })
    .await?;
    Ok(NewSession {
        session: Session {
            token_hash: row.token_hash,
            user,
            csrf,
        },
        set_cookie: cookie(req, token.expose(), life as u64),
    })
}

/// Ends the session; returns the cookie that clears it in the browser.
pub async fn end(req: &HttpRequest, db: &Db, session: &Session) -> Result<String, DbError> {
    let h = session.token_hash.clone();
    db.call(move |c| sessions::delete(c, &h)).await?;
    Ok(cookie(req, "", 0))
}

/// The `Set-Cookie` value: HttpOnly, SameSite=Lax, whole site, `Secure`
/// when the request came over HTTPS.
fn cookie(req: &HttpRequest, value: &str, max_age: u64) -> String {
    let secure = if req.connection_info().scheme() == "https" {
        "; Secure"
    } else {
        ""
    };
    format!("{COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_stored_hashed() {
        let h = hash_token("abc");
        assert_eq!(h.len(), 64);
        assert_ne!(h, hash_token("abd"));
        let req = actix_web::test::TestRequest::default()
            .insert_header(("Cookie", "a=1; kiqlab_session=tok; b=2"))
            .to_http_request();
        assert_eq!(cookie_token(&req).as_deref(), Some("tok"));
        let c = cookie(&req, "v", 60);
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Lax") && !c.contains("Secure"));
    }
}
