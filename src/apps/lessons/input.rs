//! What a load run is asked for, checked at the edge: the app whose form
//! the users post (and its fields), how many users, how many requests, how
//! long at most. `kiqlab load`'s flags and the page's form parse into these.

use std::time::Duration;

use serde::Serialize;

use crate::web::timing::Mode;

/// At most this many simulated users.
pub const MAX_USERS: u16 = 50;
/// At most this many requests a mode.
pub const MAX_REQUESTS: u16 = 1000;
/// The longest a mode may run.
pub const MAX_DURATION: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoadInputError {
    #[error("unknown app {0:?}: choose snippets, fibtastic or blog")]
    App(String),
    #[error("users must be a whole number from 1 to {MAX_USERS}, not {0:?}")]
    Users(String),
    #[error("requests must be a whole number from 1 to {MAX_REQUESTS}, not {0:?}")]
    Requests(String),
    #[error("the duration limit must be a time from 1s to 60s (e.g. 30s), not {0:?}")]
    Limit(String),
}

/// The app whose form the users post.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LoadApp {
    Snippets,
    Fibtastic,
    Blog,
}

impl LoadApp {
    pub const ALL: [LoadApp; 3] = [LoadApp::Snippets, LoadApp::Fibtastic, LoadApp::Blog];

    pub fn parse(s: &str) -> Result<LoadApp, LoadInputError> {
        LoadApp::ALL
            .into_iter()
            .find(|a| a.as_str() == s.trim())
            .ok_or_else(|| LoadInputError::App(s.to_owned()))
    }

    pub fn as_str(self) -> &'static str {
        match self {
            LoadApp::Snippets => "snippets",
            LoadApp::Fibtastic => "fibtastic",
            LoadApp::Blog => "blog",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            LoadApp::Snippets => "Snippets",
            LoadApp::Fibtastic => "FibTastic",
            LoadApp::Blog => "Blog",
        }
    }

    /// Where the form posts, and request `n`'s fields as a person would fill
    /// them in, with the button that picks the mode.
    pub fn form(self, n: usize, mode: Mode) -> (&'static str, Vec<(&'static str, String)>) {
        let mode = ("mode", mode.as_str().to_owned());
        match self {
            LoadApp::Snippets => (
                "/snippets",
                vec![
                    ("language", "ruby".into()),
                    ("code", format!("puts \"load lesson, request {n}\"")),
                    mode,
                ],
            ),
            LoadApp::Fibtastic => (
                "/fibtastic",
                vec![
                    ("email", format!("student{}@example.com", n % 50 + 1)),
                    ("sequence_length", "20".into()),
                    mode,
                ],
            ),
            LoadApp::Blog => (
                "/blog/posts",
                vec![
                    ("title", format!("Load lesson, post {n}")),
                    (
                        "body",
                        "Sidekiq runs background jobs in Ruby with Redis, so the web app \
                         answers while workers do the slow work."
                            .into(),
                    ),
                    ("tag_list", String::new()),
                    mode,
                ],
            ),
        }
    }
}

impl std::str::FromStr for LoadApp {
    type Err = LoadInputError;
    fn from_str(s: &str) -> Result<LoadApp, LoadInputError> {
        LoadApp::parse(s)
    }
}

/// How many users post at once (1–50).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Users(u16);

impl Users {
    pub fn parse(s: &str) -> Result<Users, LoadInputError> {
        match s.trim().parse::<u16>() {
            Ok(n) if (1..=MAX_USERS).contains(&n) => Ok(Users(n)),
            _ => Err(LoadInputError::Users(s.to_owned())),
        }
    }
    pub fn get(self) -> usize {
        usize::from(self.0)
    }
}

impl std::str::FromStr for Users {
    type Err = LoadInputError;
    fn from_str(s: &str) -> Result<Users, LoadInputError> {
        Users::parse(s)
    }
}

/// How many requests a mode makes in all (1–1000).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Requests(u16);

impl Requests {
    pub fn parse(s: &str) -> Result<Requests, LoadInputError> {
        match s.trim().parse::<u16>() {
            Ok(n) if (1..=MAX_REQUESTS).contains(&n) => Ok(Requests(n)),
            _ => Err(LoadInputError::Requests(s.to_owned())),
        }
    }
    pub fn get(self) -> usize {
        usize::from(self.0)
    }
}

impl std::str::FromStr for Requests {
    type Err = LoadInputError;
    fn from_str(s: &str) -> Result<Requests, LoadInputError> {
        Requests::parse(s)
    }
}

/// How long a mode may run (1 s – 60 s).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DurationLimit(Duration);

impl DurationLimit {
    pub fn parse(s: &str) -> Result<DurationLimit, LoadInputError> {
        match humantime::parse_duration(s.trim()) {
            Ok(d) if d >= Duration::from_secs(1) && d <= MAX_DURATION => Ok(DurationLimit(d)),
            _ => Err(LoadInputError::Limit(s.to_owned())),
        }
    }
    pub fn get(self) -> Duration {
        self.0
    }
}

impl Default for DurationLimit {
    fn default() -> DurationLimit {
        DurationLimit(MAX_DURATION)
    }
}

impl std::str::FromStr for DurationLimit {
    type Err = LoadInputError;
    fn from_str(s: &str) -> Result<DurationLimit, LoadInputError> {
        DurationLimit::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_are_checked_at_the_edge() {
        assert_eq!(LoadApp::parse("blog"), Ok(LoadApp::Blog));
        assert!(LoadApp::parse("sidekiq").is_err());
        assert_eq!(Users::parse("50").map(Users::get), Ok(50));
        for bad in ["0", "51", "-1", "x", ""] {
            assert!(Users::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(Requests::parse("1000").map(Requests::get), Ok(1000));
        assert!(Requests::parse("1001").is_err());
        assert_eq!(
            DurationLimit::parse("60s").map(DurationLimit::get),
            Ok(MAX_DURATION)
        );
        for bad in ["61s", "0s", "500ms", "soon"] {
            assert!(DurationLimit::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn each_app_posts_its_own_form_with_the_mode_button() {
        for app in LoadApp::ALL {
            let (path, fields) = app.form(3, Mode::Sync);
            assert!(path.starts_with('/'));
            assert!(fields.contains(&("mode", "sync".into())), "{app:?}");
        }
        let (_, f) = LoadApp::Fibtastic.form(0, Mode::Async);
        assert!(f.contains(&("email", "student1@example.com".into())));
    }
}
