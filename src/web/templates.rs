//! The HTML templates (Tera, auto-escaping on), embedded in the binary so one
//! file can be copied to a VM, plus the filters they use.

use std::collections::HashMap;
use std::sync::LazyLock;

use serde_json::Value;
use tera::Tera;

/// Replaced by the server time in the footer of every HTML page (see `timing`).
pub const SERVER_TIME_MARKER: &str = "<!--kiqlab:server-time-->";

macro_rules! embedded {
    ($($name:literal),* $(,)?) => {
        [$(($name, include_str!(concat!("../../templates/", $name)))),*]
    };
}

const TEMPLATES: [(&str, &str); 19] = embedded![
    "base.html",
    "error.html",
    "index.html",
    "snippets/index.html",
    "snippets/new.html",
    "snippets/show.html",
    "fibtastic/new.html",
    "fibtastic/show.html",
    "blog/index.html",
    "blog/form.html",
    "blog/show.html",
    "blog/tag.html",
    "blog/_post_item.html",
    "playground/index.html",
    "playground/_jobs.html",
    "timings/index.html",
    "macros.html",
    "fibtastic/index.html",
    "blog/_tags.html",
];

static TERA: LazyLock<Result<Tera, String>> = LazyLock::new(|| {
    let mut t = Tera::default();
    t.add_raw_templates(TEMPLATES.to_vec())
        .map_err(|e| format!("{e:?}"))?;
    t.add_raw_templates(
        super::auth::TEMPLATES
            .into_iter()
            .chain(super::dashboard::TEMPLATES),
    )
    .map_err(|e| format!("{e:?}"))?;
    super::dashboard::filters::register(&mut t);
    t.autoescape_on(vec![".html"]);
    t.register_filter("time", time_filter);
    t.register_filter("ms", ms_filter);
    t.register_filter("path_segment", path_segment_filter);
    Ok(t)
});

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
}

/// Renders template `name` with `ctx`.
pub fn render(name: &str, ctx: &tera::Context) -> Result<String, RenderError> {
    let tera = TERA.as_ref().map_err(|e| RenderError::Broken(e.clone()))?;
    tera.render(name, ctx)
        .map_err(|source| RenderError::Render {
            name: name.to_owned(),
            source,
        })
}

/// A context with what the layout needs: the active section and the marker
/// the timing middleware fills in.
pub fn context(section: &str, title: &str) -> tera::Context {
    let mut ctx = tera::Context::new();
    ctx.insert("section", section);
    ctx.insert("title", title);
    ctx.insert("server_time_marker", SERVER_TIME_MARKER);
    ctx
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

    #[test]
    fn templates_compile_and_escape() {
        let mut ctx = context("index", "Home");
        ctx.insert("apps", &Vec::<String>::new());
        let html = render("error.html", &{
            let mut c = context("", "Oops");
            c.insert("status", &404);
            c.insert("message", "<script>x</script>");
            c
        })
        .unwrap();
        assert!(html.contains("&lt;script&gt;"));
        assert!(html.contains(SERVER_TIME_MARKER));
        assert_eq!(format_ms(4.23), "4.2 ms");
        assert_eq!(format_ms(2010.0), "2.01 s");
    }
}
