//! The HTML templates (Tera, auto-escaping on), composed at startup: each
//! part of the web node (the layout, each app, sign-in, the dashboard) is a
//! `Part` naming its folder under `templates/` and its filters; the
//! composition root builds one `Templates` from the parts and puts it in app
//! data. `provide` (an app middleware) makes that instance the current
//! request's, so a handler renders with `render(name, ctx)` without threading
//! it through every call.

use std::collections::HashMap;
use std::sync::Arc;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web;
use serde_json::Value;
use tera::Tera;

/// Replaced by the server time in the footer of every HTML page (see `timing`).
pub const SERVER_TIME_MARKER: &str = "<!--kiqlab:server-time-->";

/// Who is signed in, for the header of every page (`auth::provide_account`
/// sets it for the request; `context` hands it to the layout).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Account {
    pub name: String,
    pub admin: bool,
    /// The masked CSRF token the header's sign-out form sends.
    pub csrf_token: String,
}

tokio::task_local! {
    static ACCOUNT: Option<Account>;
}

/// Runs `f` (the rest of the request) with `account` as the signed-in user.
pub async fn with_account<F: std::future::Future>(account: Option<Account>, f: F) -> F::Output {
    ACCOUNT.scope(account, f).await
}
/// Where the layout puts the panel (filled in, or removed, by the middleware).
pub const SUBMIT_TIME_MARKER: &str = "<!--kiqlab:submit-time-->";

/// What one part of the web node adds: the templates directly in its
/// folder (`""`: the top folder) and the filters they use.
#[derive(Clone, Copy)]
pub struct Part {
    pub folder: &'static str,
    pub filters: Option<fn(&mut Tera)>,
}

impl Part {
    /// A folder of templates that need no filters of their own.
    pub const fn folder(folder: &'static str) -> Part {
        Part {
            folder,
            filters: None,
        }
    }
}

/// The layout every page extends, its macros and the error page, with the
/// filters every part may use (`time`, `ms`, `path_segment`).
pub const LAYOUT: Part = Part {
    folder: "",
    filters: Some(layout_filters),
};

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("the embedded templates do not compile: {0}")]
    Broken(String),
    #[error("cannot render {name}: {source:?}")]
    Render {
        name: String,
        #[source]
        source: tera::Error,
    },
    #[error("cannot render {0} outside a request: no templates were provided")]
    NotProvided(String),
}

/// One Tera instance with every part's templates.
#[derive(Clone)]
pub struct Templates(Arc<Tera>);

impl std::fmt::Debug for Templates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Templates")
            .field(&self.0.get_template_names().count())
            .finish()
    }
}

impl Templates {
    /// The templates of `parts` (embedded from `templates/`), checked: a
    /// template that does not compile, or extends one no part brings, is an
    /// error here rather than on some later page view.
    pub fn compose(parts: &[Part]) -> Result<Templates, RenderError> {
        let mut t = Tera::default();
        let sources: Vec<(&str, &str)> = parts
            .iter()
            .flat_map(|p| crate::assets::templates_in(p.folder))
            .collect();
        t.add_raw_templates(sources)
            .map_err(|e| RenderError::Broken(format!("{e:?}")))?;
        for filters in parts.iter().filter_map(|p| p.filters) {
            filters(&mut t);
        }
        t.autoescape_on(vec![".html"]);
        Ok(Templates(Arc::new(t)))
    }

    pub fn render(&self, name: &str, ctx: &tera::Context) -> Result<String, RenderError> {
        self.0
            .render(name, ctx)
            .map_err(|source| RenderError::Render {
                name: name.to_owned(),
                source,
            })
    }

    /// Every template name, sorted.
    pub fn names(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self.0.get_template_names().collect();
        v.sort_unstable();
        v
    }
}

tokio::task_local! {
    static CURRENT: Templates;
}

/// The middleware (`middleware::from_fn(templates::provide)`): the request
/// runs with the app's `Templates` as the current ones. (Handlers' errors
/// become their pages inside the request, so error pages have them too.)
pub async fn provide(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let Some(t) = req
        .app_data::<web::Data<Templates>>()
        .map(|t| t.get_ref().clone())
    else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    CURRENT
        .scope(
            t,
            async move { Ok(next.call(req).await?.map_into_boxed_body()) },
        )
        .await
}

/// Renders template `name` with `ctx`, with the current request's templates.
pub fn render(name: &str, ctx: &tera::Context) -> Result<String, RenderError> {
    super::steps::timed_sync("render", || CURRENT.try_with(|t| t.render(name, ctx)))
        .unwrap_or_else(|_| Err(RenderError::NotProvided(name.to_owned())))
}

/// A context with what the layout needs: the active section and the marker
/// the timing middleware fills in.
pub fn context(section: &str, title: &str) -> tera::Context {
    let mut ctx = tera::Context::new();
    ctx.insert("section", section);
    ctx.insert("title", title);
    ctx.insert("server_time_marker", SERVER_TIME_MARKER);
    ctx.insert("account", &ACCOUNT.try_with(Clone::clone).ok().flatten());
    ctx.insert("submit_time_marker", SUBMIT_TIME_MARKER);
    ctx
}

fn layout_filters(t: &mut Tera) {
    t.register_filter("time", time_filter);
    t.register_filter("ms", ms_filter);
    t.register_filter("path_segment", path_segment_filter);
}

/// Epoch seconds → "2026-11-25 15:04:05.123 UTC".
fn time_filter(v: &Value, _: &HashMap<String, Value>) -> tera::Result<Value> {
    let secs = v.as_f64().unwrap_or(0.0);
    let t = chrono::DateTime::from_timestamp_micros((secs * 1e6) as i64).unwrap_or_default();
    Ok(Value::String(
        t.format("%Y-%m-%d %H:%M:%S%.3f UTC").to_string(),
    ))
}

/// Milliseconds → "4.2 ms" / "2.01 s".
fn ms_filter(v: &Value, _: &HashMap<String, Value>) -> tera::Result<Value> {
    let ms = v.as_f64().unwrap_or(0.0);
    Ok(Value::String(format_ms(ms)))
}

/// Percent-encodes a value for use as one URL path segment (tag names).
fn path_segment_filter(v: &Value, _: &HashMap<String, Value>) -> tera::Result<Value> {
    let s = v.as_str().unwrap_or_default();
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    Ok(Value::String(out))
}

pub fn format_ms(ms: f64) -> String {
    if ms >= 1000.0 {
        format!("{:.2} s", ms / 1000.0)
    } else if ms >= 10.0 {
        format!("{ms:.0} ms")
    } else {
        format!("{ms:.1} ms")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn render_uses_the_templates_in_scope() {
        let t = Templates::compose(&[LAYOUT]).unwrap();
        assert!(t.names().contains(&"error.html"), "{:?}", t.names());
        let mut ctx = context("", "Oops");
        ctx.insert("status", &404);
        ctx.insert("message", "<gone>");
        assert!(matches!(
            render("error.html", &ctx),
            Err(RenderError::NotProvided(_))
        ));
        let html = CURRENT
            .scope(t, async { render("error.html", &ctx) })
            .await
            .unwrap();
        assert!(html.contains("&lt;gone&gt;"), "escaped: {html}");
    }
}
