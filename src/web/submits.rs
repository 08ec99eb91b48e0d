//! A submit's own time, carried through its redirect: the timing middleware
//! keeps each timed 303's total and steps under a number, sets a cookie
//! `kiqlab_submit=NUMBER` for the path it redirects to (that page only, and
//! its refreshes, for five minutes), and fills the page it lands on with a
//! panel (at the layout's submit marker): the submit's time, its steps as a
//! bar (queue / load / work or enqueue / render), the landing page's own
//! load and render, and the ratio to the async median so far.

use std::collections::VecDeque;

use serde::Serialize;

use super::mode::{Mode, Summary};
use super::steps::{describe, Step};
use super::templates::format_ms;
pub use super::templates::SUBMIT_TIME_MARKER;

/// Submits kept for their landing pages.
const KEEP: usize = 500;

/// One timed submit.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Submit {
    pub app: &'static str,
    pub mode: Mode,
    pub ms: f64,
    pub steps: Vec<Step>,
}

/// The recent submits, by number.
#[derive(Debug, Default)]
pub struct Submits {
    next: u64,
    kept: VecDeque<(u64, Submit)>,
}

impl Submits {
    pub fn keep(&mut self, s: Submit) -> u64 {
        self.next += 1;
        if self.kept.len() == KEEP {
            self.kept.pop_front();
        }
        self.kept.push_back((self.next, s));
        self.next
    }

    pub fn get(&self, id: u64) -> Option<&Submit> {
        self.kept.iter().find(|(i, _)| *i == id).map(|(_, s)| s)
    }
}

/// The cookie that carries a submit's number.
pub const COOKIE: &str = "kiqlab_submit";

/// The `Set-Cookie` value carrying submit `id` to the page at `to` (a
/// path on this site; else none).
pub fn cookie(to: &str, id: u64) -> Option<String> {
    let path = to.split(['?', '#']).next()?;
    let plain = path.starts_with('/')
        && path
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/-_.~%".contains(&b));
    plain.then(|| format!("{COOKIE}={id}; Path={path}; HttpOnly; SameSite=Lax; Max-Age=300"))
}

/// The submit number in a `Cookie` header's value.
pub fn submit_id(cookies: &str) -> Option<u64> {
    cookies.split(';').find_map(|c| {
        let (k, v) = c.trim().split_once('=')?;
        (k == COOKIE).then(|| v.parse().ok()).flatten()
    })
}

/// The panel for `s`. `sync` and `r#async` are the app's summaries so far;
/// `page` is the landing page's own steps.
pub fn panel(
    s: &Submit,
    sync: Option<&Summary>,
    r#async: Option<&Summary>,
    page: &[Step],
) -> String {
    let how = match s.mode {
        Mode::Sync => "run inline (sync)",
        Mode::Async => "enqueued (async)",
    };
    let total = s.ms.max(0.001);
    let bar: String = s
        .steps
        .iter()
        .filter(|st| st.ms > 0.0)
        .map(|st| {
            format!(
                "<span class=\"step {n}\" style=\"width:{w:.2}%\" title=\"{n}: {ms}\"></span>",
                n = st.name,
                w = (st.ms / total * 100.0).min(100.0),
                ms = format_ms(st.ms)
            )
        })
        .collect();
    let items: String = s
        .steps
        .iter()
        .map(|st| {
            format!(
                "<li data-step=\"{n}\"><span class=\"swatch step {n}\"></span>{n} <small>({d})</small>: <strong>{ms}</strong></li>",
                n = st.name,
                d = describe(&st.name),
                ms = format_ms(st.ms)
            )
        })
        .collect();
    let accounted: f64 = s.steps.iter().map(|st| st.ms).sum();
    let other = (s.ms - accounted).max(0.0);
    let ratio = ratio_line(s, sync, r#async);
    let this_page: Vec<String> = page
        .iter()
        .filter(|st| st.name != "queue" || st.ms >= 0.05)
        .map(|st| format!("{} {}", st.name, format_ms(st.ms)))
        .collect();
    format!(
        "<section class=\"submit-time {mode}\" id=\"submit-time\" data-mode=\"{mode}\" data-ms=\"{ms:.3}\">\
<p><strong>Your submit took <span class=\"submit-ms\">{total_s}</span></strong> ({app}, {how}).</p>\
<div class=\"step-bar\">{bar}</div><ul class=\"steps\">{items}<li>other (the framework, the redirect): {other}</li></ul>\
<p class=\"ratio\">{ratio}</p><p class=\"this-page\">Then this page: {page}.</p></section>",
        mode = s.mode.as_str(),
        ms = s.ms,
        total_s = format_ms(s.ms),
        app = s.app,
        other = format_ms(other),
        page = if this_page.is_empty() {
            "no steps".to_owned()
        } else {
            this_page.join(", ")
        },
    )
}

fn ratio_line(s: &Submit, sync: Option<&Summary>, r#async: Option<&Summary>) -> String {
    match (s.mode, r#async) {
        (_, None) => {
            "No async submit of this app yet to compare with: try the \"enqueue (async)\" button."
                .to_owned()
        }
        (Mode::Sync, Some(a)) => format!(
            "That is <strong class=\"ratio-value\">{}×</strong> the async median so far ({} over {} async submit{}).",
            ratio(s.ms, a.median_ms),
            format_ms(a.median_ms),
            a.count,
            if a.count == 1 { "" } else { "s" }
        ),
        (Mode::Async, Some(a)) => {
            let mut line = format!(
                "That is <strong class=\"ratio-value\">{}×</strong> the async median so far ({} over {} async submit{})",
                ratio(s.ms, a.median_ms),
                format_ms(a.median_ms),
                a.count,
                if a.count == 1 { "" } else { "s" }
            );
            if let Some(sy) = sync {
                line.push_str(&format!(
                    "; the sync median ({}) is {}× the async one",
                    format_ms(sy.median_ms),
                    ratio(sy.median_ms, a.median_ms)
                ));
            }
            line.push('.');
            line
        }
    }
}

/// `a / b`, rounded for reading: "812", "3.4", "1.0".
pub fn ratio(a: f64, b: f64) -> String {
    let r = a / b.max(0.001);
    if r >= 10.0 {
        format!("{r:.0}")
    } else {
        format!("{r:.1}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn submits_are_kept_by_number_and_found_from_the_query() {
        let mut k = Submits::default();
        let s = Submit {
            app: "snippets",
            mode: Mode::Sync,
            ms: 2010.0,
            steps: vec![
                Step {
                    name: "load".into(),
                    ms: 2.0,
                },
                Step {
                    name: "work".into(),
                    ms: 2000.0,
                },
            ],
        };
        let id = k.keep(s.clone());
        assert_eq!(k.get(id), Some(&s));
        assert_eq!(
            cookie("/snippets/3?x=1", id).unwrap(),
            format!("kiqlab_submit={id}; Path=/snippets/3; HttpOnly; SameSite=Lax; Max-Age=300")
        );
        assert_eq!(cookie("http://elsewhere/", 2), None);
        assert_eq!(cookie("/a;b", 2), None);
        assert_eq!(submit_id("a=1; kiqlab_submit=7"), Some(7));
        assert_eq!(submit_id("kiqlab_submit=x"), None);
        let a = Summary {
            count: 3,
            median_ms: 2.5,
            p95_ms: 3.0,
            last_ms: 2.0,
        };
        let html = panel(&s, None, Some(&a), &[]);
        assert!(html.contains("804×"), "{html}");
        assert!(html.contains("data-step=\"work\""));
        assert!(
            html.contains("other (the framework, the redirect): 8.0 ms"),
            "{html}"
        );
        assert!(panel(&s, None, None, &[]).contains("No async submit"));
        assert_eq!(ratio(3.0, 2.0), "1.5");
    }
}
