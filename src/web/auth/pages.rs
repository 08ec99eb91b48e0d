//! `/sign_in`, `/sign_up` and `/sign_out`: forms with CSRF tokens (an
//! anonymous session is started to hold the secret), argon2 checks off the
//! async runtime, the failed-sign-in throttle, and a new session on sign-in.

use std::sync::LazyLock;

use actix_web::http::header::RETRY_AFTER;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::csrf;
use super::hashing::{self, Busy};
use super::session::{self, Session};
use super::throttle::{self, Admission};
use crate::domain::{EmailAddress, NewPassword};
use crate::engine::clock::now_secs;
use crate::secret::Secret;
use crate::web::db::users::{self, User};
use crate::web::db::DbError;
use crate::web::errors::page_error;
use crate::web::state::AppState;
use crate::web::templates::{self, RenderError};

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error(
        "This form has expired or did not come from this site. Reload the page and try again."
    )]
    Csrf,
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Render(#[from] RenderError),
    #[error("cannot hash the password: {0}")]
    Hash(String),
}

impl AuthError {
    fn status(&self) -> StatusCode {
        match self {
            AuthError::Csrf => StatusCode::FORBIDDEN,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}
page_error!(AuthError);

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NextQuery {
    next: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SignInForm {
    email: String,
    password: String,
    authenticity_token: String,
    next: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SignUpForm {
    email: String,
    password: String,
    password_confirmation: String,
    authenticity_token: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TokenForm {
    authenticity_token: String,
}

/// Only a path on this site: `/x`, never `//host` or `/\host`.
fn safe_next(next: &str) -> String {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.chars().any(|c| c.is_control());
    if ok {
        next.to_owned()
    } else {
        "/sidekiq".to_owned()
    }
}

/// The request's session, or a new anonymous one (with its cookie).
async fn session_for_form(
    req: &HttpRequest,
    state: &AppState,
) -> Result<(Session, Option<String>), AuthError> {
    if let Some(s) = session::load(req, &state.db).await? {
        return Ok((s, None));
    }
    let new = session::start(req, &state.db, None, None).await?;
    Ok((new.session, Some(new.set_cookie)))
}

/// The request's session if the form's token matches it.
async fn checked_session(
    req: &HttpRequest,
    state: &AppState,
    token: &str,
) -> Result<Session, AuthError> {
    match session::load(req, &state.db).await? {
        Some(s) if csrf::verify(&s.csrf, token) => Ok(s),
        _ => Err(AuthError::Csrf),
    }
}

struct Form<'a> {
    template: &'a str,
    title: &'a str,
    status: StatusCode,
    email: &'a str,
    next: &'a str,
    error: Option<String>,
}

fn render(
    form: Form<'_>,
    session: &Session,
    cookie: Option<String>,
) -> Result<HttpResponse, AuthError> {
    let mut ctx = templates::context("auth", form.title);
    ctx.insert("csrf_token", &csrf::mask(&session.csrf));
    ctx.insert("email", form.email);
    ctx.insert("next", form.next);
    ctx.insert("error", &form.error);
    ctx.insert(
        "signed_in_as",
        &session.user.as_ref().map(|u| u.username.as_str()),
    );
    let body = templates::render(form.template, &ctx)?;
    let mut resp = HttpResponse::build(form.status);
    resp.content_type("text/html; charset=utf-8")
        .insert_header(("Cache-Control", "private, no-store"));
    if let Some(c) = cookie {
        resp.insert_header(("Set-Cookie", c));
    }
    Ok(resp.body(body))
}

pub async fn sign_in_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<NextQuery>,
) -> Result<HttpResponse, AuthError> {
    let (session, cookie) = session_for_form(&req, &state).await?;
    let next = safe_next(&query.next);
    let form = Form {
        template: "auth/sign_in.html",
        title: "Sign in",
        status: StatusCode::OK,
        email: "",
        next: &next,
        error: None,
    };
    render(form, &session, cookie)
}

/// A hash to check against when the account does not exist, so the answer
/// costs as much as for a wrong password (made on a hasher thread).
static DUMMY_HASH: LazyLock<Option<String>> =
    LazyLock::new(|| hashing::hash(&Secret::new("not the password of anyone")).ok());

/// The user if `password` is theirs; an unknown account is checked against
/// `DUMMY_HASH`, so it costs the same.
async fn check_password(user: Option<User>, password: Secret) -> Result<Option<User>, Busy> {
    hashing::run(move || {
        let phc = user
            .as_ref()
            .map(|u| u.password_hash.clone())
            .or_else(|| DUMMY_HASH.clone())
            .unwrap_or_default();
        let ok = hashing::verify(&password, &phc);
        user.filter(|_| ok)
    })
    .await
}

/// A 503 that says when to come back.
fn busy(resp: Result<HttpResponse, AuthError>) -> Result<HttpResponse, AuthError> {
    let mut resp = resp?;
    resp.headers_mut().insert(
        RETRY_AFTER,
        actix_web::http::header::HeaderValue::from(hashing::RETRY_AFTER_SECS),
    );
    Ok(resp)
}

pub async fn sign_in(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<SignInForm>,
) -> Result<HttpResponse, AuthError> {
    let session = checked_session(&req, &state, &form.authenticity_token).await?;
    let next = safe_next(&form.next);
    let email = form.email.trim().to_owned();
    let refuse = |status: StatusCode, message: String| {
        let f = Form {
            template: "auth/sign_in.html",
            title: "Sign in",
            status,
            email: &email,
            next: &next,
            error: Some(message),
        };
        render(f, &session, None)
    };
    let ip = req.peer_addr().map(|a| a.ip());
    let counted = match throttle::sign_in(&state.db, &email, ip).await? {
        Admission::Counted(c) => c,
        Admission::Refused(why) => {
            tracing::warn!(account = %email, "sign-in throttled");
            return refuse(
                StatusCode::TOO_MANY_REQUESTS,
                format!("{why} Wait a quarter of an hour, then try again."),
            );
        }
    };
    let lookup = email.clone();
    let user = state.db.call(move |c| users::find(c, &lookup)).await?;
    let password = Secret::new(form.password.clone());
    let user = match check_password(user, password).await {
        Ok(user) => user,
        Err(busy_now) => {
            counted.not_made(&state.db).await?;
            tracing::warn!(account = %email, "sign-in refused: every password hasher is busy");
            return busy(refuse(
                StatusCode::SERVICE_UNAVAILABLE,
                busy_now.to_string(),
            ));
        }
    };
    let Some(user) = user else {
        tracing::info!(account = %email, "failed sign-in");
        return refuse(
            StatusCode::UNAUTHORIZED,
            "Wrong email or password.".to_owned(),
        );
    };
    counted.succeeded(&state.db).await?;
    tracing::info!(user = %user.username, "signed in");
    let new = session::start(&req, &state.db, Some(user), Some(&session)).await?;
    Ok(HttpResponse::SeeOther()
        .insert_header(("Location", next))
        .insert_header(("Set-Cookie", new.set_cookie))
        .finish())
}

pub async fn sign_up_page(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AuthError> {
    let (session, cookie) = session_for_form(&req, &state).await?;
    let form = Form {
        template: "auth/sign_up.html",
        title: "Sign up",
        status: StatusCode::OK,
        email: "",
        next: "",
        error: None,
    };
    render(form, &session, cookie)
}

pub async fn sign_up(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<SignUpForm>,
) -> Result<HttpResponse, AuthError> {
    let session = checked_session(&req, &state, &form.authenticity_token).await?;
    let refuse_with = |status: StatusCode, message: String| {
        let f = Form {
            template: "auth/sign_up.html",
            title: "Sign up",
            status,
            email: form.email.trim(),
            next: "",
            error: Some(message),
        };
        render(f, &session, None)
    };
    let refuse = |message: String| refuse_with(StatusCode::UNPROCESSABLE_ENTITY, message);
    let email = match EmailAddress::parse(&form.email) {
        Ok(e) => e,
        Err(e) => return refuse(e.to_string()),
    };
    let password = match NewPassword::parse(&form.password, email.as_str()) {
        Ok(p) => p,
        Err(e) => return refuse(e.to_string()),
    };
    if form.password != form.password_confirmation {
        return refuse("The two passwords differ.".to_owned());
    }
    let counted = match throttle::sign_up(&state.db, req.peer_addr().map(|a| a.ip())).await? {
        Admission::Counted(c) => c,
        Admission::Refused(why) => {
            tracing::warn!("sign-up throttled");
            return refuse_with(
                StatusCode::TOO_MANY_REQUESTS,
                format!("{why} Wait an hour, or ask an admin to make your account."),
            );
        }
    };
    let secret = password.secret().clone();
    let hash = match hashing::run(move || hashing::hash(&secret)).await {
        Ok(hash) => hash.map_err(AuthError::Hash)?,
        Err(busy_now) => {
            counted.not_made(&state.db).await?;
            return busy(refuse_with(
                StatusCode::SERVICE_UNAVAILABLE,
                busy_now.to_string(),
            ));
        }
    };
    let name = email.as_str().to_owned();
    let created = state
        .db
        .call(move |c| {
            if users::create(c, &name, &hash, false, now_secs())? {
                users::find(c, &name)
            } else {
                Ok(None)
            }
        })
        .await?;
    let Some(user) = created else {
        return refuse(format!("{email} already has an account; sign in instead."));
    };
    tracing::info!(user = %user.username, "signed up");
    let new = session::start(&req, &state.db, Some(user), Some(&session)).await?;
    // A new account is no admin: /account says how an admin grants access.
    Ok(HttpResponse::SeeOther()
        .insert_header(("Location", "/account"))
        .insert_header(("Set-Cookie", new.set_cookie))
        .finish())
}

pub async fn sign_out(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<TokenForm>,
) -> Result<HttpResponse, AuthError> {
    let session = checked_session(&req, &state, &form.authenticity_token).await?;
    let cookie = session::end(&req, &state.db, &session).await?;
    Ok(HttpResponse::SeeOther()
        .insert_header(("Location", "/sign_in"))
        .insert_header(("Set-Cookie", cookie))
        .finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(
            safe_next("/sidekiq/retries?page=2"),
            "/sidekiq/retries?page=2"
        );
        for bad in [
            "",
            "//evil.example",
            "https://evil.example",
            "/\\evil",
            "/a\nb",
        ] {
            assert_eq!(safe_next(bad), "/sidekiq", "{bad:?}");
        }
    }
}
