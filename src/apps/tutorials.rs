//! `/tutorials`: the five tutorials' steps as a checklist, read from the
//! walkthrough pages themselves (`docs/walkthroughs/*.md`, embedded at build
//! time), so the list cannot drift from them: each `##` section is a step,
//! with the app pages it names (`http://127.0.0.1:3000/…` becomes a link
//! here) and its first command, and a link to the page on the project site.

use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use serde::Serialize;

use crate::web::errors::PageError;
use crate::web::response::html;
use crate::web::templates::{self, Part};

/// The page's template (`templates/tutorials/`).
pub const TEMPLATES: Part = Part::folder("tutorials");

/// The walkthrough pages, in order: (file name, text).
const PAGES: [(&str, &str); 5] = [
    (
        "000-sidekiq-on-separate-servers.md",
        include_str!("../../docs/walkthroughs/000-sidekiq-on-separate-servers.md"),
    ),
    (
        "001-sidekiq-in-development-and-production.md",
        include_str!("../../docs/walkthroughs/001-sidekiq-in-development-and-production.md"),
    ),
    (
        "002-background-workers-revisited.md",
        include_str!("../../docs/walkthroughs/002-background-workers-revisited.md"),
    ),
    (
        "003-a-scalable-worker.md",
        include_str!("../../docs/walkthroughs/003-a-scalable-worker.md"),
    ),
    (
        "004-delayed-jobs.md",
        include_str!("../../docs/walkthroughs/004-delayed-jobs.md"),
    ),
];

const APP: &str = "http://127.0.0.1:3000";

#[derive(Debug, Serialize, PartialEq)]
pub struct Tutorial {
    pub id: String,
    pub title: String,
    pub file: String,
    pub steps: Vec<Step>,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct Step {
    pub id: String,
    pub title: String,
    /// Pages of this web node the step uses (`/fibtastic`, `/sidekiq/busy`).
    pub links: Vec<String>,
    /// The step's first shell command, if it has one.
    pub command: Option<String>,
}

/// The section without its code blocks (their URLs are curl's, often POSTs).
fn prose(section: &str) -> String {
    section
        .split("```")
        .step_by(2)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Pages a step is about when its text names them but links none.
const BY_WORD: &[(&str, &str)] = &[
    ("playground", "/playground"),
    ("FibTastic", "/fibtastic"),
    ("snippet", "/snippets/new"),
    ("blog", "/blog"),
    ("Busy", "/sidekiq/busy"),
    ("Retries", "/sidekiq/retries"),
    ("dashboard", "/sidekiq"),
    ("mail catcher", "/mail"),
    ("MailCatcher", "/mail"),
    ("/timings", "/timings"),
];

/// The app pages a section's prose names (links first, then words), in
/// order, without repeats.
fn links(section: &str) -> Vec<String> {
    let text = prose(section);
    let mut out = page_links(&text);
    if out.is_empty() {
        for (word, path) in BY_WORD {
            if text.contains(word) && !out.iter().any(|p| p == path) && out.len() < 3 {
                out.push((*path).to_owned());
            }
        }
    }
    out
}

fn page_links(section: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut rest = section;
    while let Some(i) = rest.find(APP) {
        rest = &rest[i + APP.len()..];
        let path: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || "/-_.?=&%".contains(*c))
            .collect();
        let path = path.trim_end_matches(['.', '?', '&']).to_owned();
        let path = if path.is_empty() {
            "/".to_owned()
        } else {
            path
        };
        if path.starts_with('/') && !out.contains(&path) && out.len() < 4 {
            out.push(path);
        }
    }
    out
}

/// The first command of the section's first `sh` block (continuation
/// lines joined).
fn command(section: &str) -> Option<String> {
    let start = section.find("```sh")?;
    let body = &section[start..];
    let body = &body[body.find('\n')? + 1..];
    let block = &body[..body.find("```")?];
    let mut cmd = String::new();
    for line in block.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        match line.strip_suffix('\\') {
            Some(part) => cmd.push_str(part),
            None => {
                cmd.push_str(line);
                break;
            }
        }
    }
    (!cmd.is_empty()).then_some(cmd)
}

/// The steps of one walkthrough page.
pub fn parse(file: &str, text: &str) -> Tutorial {
    let id = file.split('-').next().unwrap_or(file).to_owned();
    let title = text
        .lines()
        .find_map(|l| l.strip_prefix("# "))
        .unwrap_or(file)
        .to_owned();
    let mut steps = Vec::new();
    let mut sections = text.split("\n## ");
    sections.next();
    for (n, s) in sections.enumerate() {
        let heading = s.lines().next().unwrap_or("").trim().replace('`', "");
        steps.push(Step {
            id: format!("t{id}-{}", n + 1),
            title: heading,
            links: links(s),
            command: command(s),
        });
    }
    Tutorial {
        id,
        title,
        file: file.to_owned(),
        steps,
    }
}

pub fn all() -> Vec<Tutorial> {
    PAGES.iter().map(|(f, t)| parse(f, t)).collect()
}

pub async fn page() -> Result<HttpResponse, PageError> {
    let mut ctx = templates::context("tutorials", "Tutorials");
    ctx.insert("tutorials", &all());
    Ok(html(
        StatusCode::OK,
        templates::render("tutorials/index.html", &ctx)?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_walkthrough_has_steps_with_links_or_commands() {
        let all = all();
        assert_eq!(all.len(), 5);
        for t in &all {
            assert!(t.steps.len() >= 3, "{}: {:?}", t.file, t.steps);
            assert!(
                t.steps.iter().any(|s| s.command.is_some()),
                "{} has commands",
                t.file
            );
        }
        let t004 = &all[4];
        assert!(t004.title.starts_with("004"), "{}", t004.title);
        assert!(t004
            .steps
            .iter()
            .any(|s| s.links.iter().any(|l| l.starts_with("/sidekiq"))));
    }

    #[test]
    fn links_and_commands_are_read_from_the_text() {
        let s = "A\nopen http://127.0.0.1:3000/fibtastic. Then http://127.0.0.1:3000/sidekiq/busy?x=1 \
                 and http://127.0.0.1:3000/fibtastic again.\n```sh background\nkiqlab web \\\n  --port 3000\nkiqlab worker\n```\n";
        assert_eq!(links(s), ["/fibtastic", "/sidekiq/busy?x=1"]);
        assert!(links("```sh\ncurl -d x=1 http://127.0.0.1:3000/blog/posts\n```\n").is_empty());
        assert_eq!(
            links("Open the playground, then the Busy tab."),
            ["/playground", "/sidekiq/busy"]
        );
        assert_eq!(command(s).as_deref(), Some("kiqlab web --port 3000"));
    }
}
