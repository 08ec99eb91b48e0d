//! The dashboard's inputs, parsed at the edge into typed values: page and
//! count, direction, which sorted set a URL names, entry keys, actions (from
//! Sidekiq's button names or an `action` field), history days, metrics
//! periods, and URL-encoded bodies with repeated `key[]` fields.

use serde::Deserialize;

use super::error::DashError;
use crate::engine::api::{EntryKey, SetAction, SetKind};

/// Most rows one page may ask for.
pub const MAX_COUNT: u64 = 1000;

/// `?page=&count=&direction=&substr=` as sent.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    pub page: Option<String>,
    pub count: Option<String>,
    pub direction: Option<String>,
    pub substr: Option<String>,
}

/// A validated page of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    pub page: u64,
    pub count: u64,
}

impl Paging {
    pub fn parse(q: &ListQuery, default_count: u64) -> Result<Paging, DashError> {
        let num = |v: &Option<String>, what: &str, default: u64| -> Result<u64, DashError> {
            match v.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                None => Ok(default),
                Some(s) => s.parse::<u64>().ok().filter(|n| *n >= 1).ok_or_else(|| {
                    DashError::bad(format!(
                        "{what} must be a whole number from 1 up, not {s:?}."
                    ))
                }),
            }
        };
        let page = num(&q.page, "page", 1)?;
        let count = num(&q.count, "count", default_count)?;
        if count > MAX_COUNT {
            return Err(DashError::bad(format!("count may be at most {MAX_COUNT}.")));
        }
        page.checked_mul(count)
            .ok_or_else(|| DashError::bad("That page number is too large."))?;
        Ok(Paging { page, count })
    }

    /// What the pager partial reads: `page`, `count` and `paging_links`.
    pub fn insert_into(&self, ctx: &mut tera::Context, links: &[u64]) {
        ctx.insert("page", &self.page);
        ctx.insert("count", &self.count);
        ctx.insert("paging_links", links);
    }

    pub fn offset(&self) -> u64 {
        (self.page - 1) * self.count
    }

    /// Page numbers to link to for `total` rows (first, last, and around this one).
    pub fn links(&self, total: u64) -> Vec<u64> {
        let last = total.div_ceil(self.count).max(1);
        let mut out: Vec<u64> = [
            1,
            self.page.saturating_sub(2),
            self.page.saturating_sub(1),
            self.page,
            self.page + 1,
            self.page + 2,
            last,
        ]
        .into_iter()
        .filter(|p| (1..=last).contains(p))
        .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    pub fn last(&self, total: u64) -> u64 {
        total.div_ceil(self.count).max(1)
    }
}

/// `direction=asc|desc`.
pub fn newest_first(q: &ListQuery, default_desc: bool) -> Result<bool, DashError> {
    match q.direction.as_deref().map(str::trim) {
        None | Some("") => Ok(default_desc),
        Some("asc") => Ok(false),
        Some("desc") => Ok(true),
        Some(other) => Err(DashError::bad(format!(
            "direction must be asc or desc, not {other:?}."
        ))),
    }
}

/// The filter text, if any (at most 200 characters).
pub fn substr(q: &ListQuery) -> Result<Option<String>, DashError> {
    match q.substr.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) if s.chars().count() > 200 => {
            Err(DashError::bad("The filter may be at most 200 characters."))
        }
        Some(s) => Ok(Some(s.to_owned())),
    }
}

/// The sorted-set tabs, by their URL segment (Sidekiq's, plus sidekiq-failures').
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetTab {
    Retries,
    Scheduled,
    Morgue,
    Failures,
}

impl SetTab {
    pub const ALL: [SetTab; 4] = [
        SetTab::Retries,
        SetTab::Scheduled,
        SetTab::Morgue,
        SetTab::Failures,
    ];

    pub fn parse(segment: &str) -> Result<SetTab, DashError> {
        SetTab::ALL
            .into_iter()
            .find(|t| t.segment() == segment)
            .ok_or_else(|| DashError::not_found(format!("There is no {segment:?} tab.")))
    }

    pub fn segment(self) -> &'static str {
        match self {
            SetTab::Retries => "retries",
            SetTab::Scheduled => "scheduled",
            SetTab::Morgue => "morgue",
            SetTab::Failures => "failures",
        }
    }

    pub fn set(self) -> SetKind {
        match self {
            SetTab::Retries => SetKind::Retry,
            SetTab::Scheduled => SetKind::Schedule,
            SetTab::Morgue => SetKind::Dead,
            SetTab::Failures => SetKind::Failed,
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            SetTab::Retries => "Retries",
            SetTab::Scheduled => "Scheduled",
            SetTab::Morgue => "Dead",
            SetTab::Failures => "Failures",
        }
    }

    /// Newest first by default (the Dead and Failures tabs), as Sidekiq does.
    pub fn newest_first(self) -> bool {
        matches!(self, SetTab::Morgue | SetTab::Failures)
    }

    /// What may be done to one entry or to the selected ones.
    pub fn actions(self) -> &'static [Action] {
        match self {
            SetTab::Retries => &[Action::Retry, Action::Delete, Action::Kill],
            SetTab::Scheduled => &[Action::AddToQueue, Action::Delete],
            SetTab::Morgue | SetTab::Failures => &[Action::Retry, Action::Delete],
        }
    }

    /// What may be done to every entry at once.
    pub fn all_actions(self) -> &'static [Action] {
        match self {
            SetTab::Retries => &[Action::Retry, Action::Delete, Action::Kill],
            SetTab::Scheduled => &[Action::AddToQueue, Action::Delete],
            SetTab::Morgue => &[Action::Retry, Action::Delete],
            SetTab::Failures => &[Action::Retry, Action::Delete, Action::Reset],
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Retry,
    AddToQueue,
    Delete,
    Kill,
    /// sidekiq-failures' "Reset Counter" (the failed counter to 0).
    Reset,
}

impl Action {
    const NAMES: [(&'static str, Action); 5] = [
        ("retry", Action::Retry),
        ("add_to_queue", Action::AddToQueue),
        ("delete", Action::Delete),
        ("kill", Action::Kill),
        ("reset", Action::Reset),
    ];

    pub fn parse(s: &str) -> Option<Action> {
        Action::NAMES.iter().find(|(n, _)| *n == s).map(|(_, a)| *a)
    }

    /// What the action does to entries; `None` for Reset, which is about
    /// the counter.
    pub fn on_entries(self) -> Option<SetAction> {
        match self {
            Action::Retry => Some(SetAction::Retry),
            Action::AddToQueue => Some(SetAction::AddToQueue),
            Action::Delete => Some(SetAction::Delete),
            Action::Kill => Some(SetAction::Kill),
            Action::Reset => None,
        }
    }

    pub fn name(self) -> &'static str {
        Action::NAMES
            .iter()
            .find(|(_, a)| *a == self)
            .map(|(n, _)| *n)
            .unwrap_or("")
    }

    /// Checks the action is allowed in `allowed`.
    pub fn allowed_in(s: &str, allowed: &[Action], tab: &str) -> Result<Action, DashError> {
        Action::parse(s)
            .filter(|a| allowed.contains(a))
            .ok_or_else(|| DashError::bad(format!("{s:?} is not something the {tab} tab can do.")))
    }
}

/// A URL-encoded body: Sidekiq's `key[]` selections and its action buttons.
#[derive(Debug, Default)]
pub struct ActionForm {
    pub keys: Vec<EntryKey>,
    pub action: Option<String>,
    pub fields: Vec<(String, String)>,
}

impl ActionForm {
    pub fn parse(body: &[u8]) -> Result<ActionForm, DashError> {
        let mut form = ActionForm::default();
        for (k, v) in url::form_urlencoded::parse(body) {
            match k.as_ref() {
                "key[]" | "key" => form.keys.push(EntryKey::parse(&v).ok_or_else(|| {
                    DashError::bad(format!("{v:?} is not a job key (<score>-<jid>)."))
                })?),
                "action" => form.action = Some(v.into_owned()),
                // Sidekiq's buttons are named after what they do.
                name if Action::parse(name).is_some() && form.action.is_none() => {
                    form.action = Some(name.to_owned())
                }
                _ => form.fields.push((k.into_owned(), v.into_owned())),
            }
        }
        Ok(form)
    }

    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn action(&self) -> Result<&str, DashError> {
        self.action
            .as_deref()
            .ok_or_else(|| DashError::bad("The form names no action."))
    }
}

/// An entry key from a URL segment.
pub fn entry_key(s: &str) -> Result<EntryKey, DashError> {
    EntryKey::parse(s)
        .ok_or_else(|| DashError::bad(format!("{s:?} is not a job key (<score>-<jid>).")))
}

/// `days=` of the history graph: 1 to 180, default 30.
pub fn days(s: Option<&str>) -> Result<u32, DashError> {
    match s.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(30),
        Some(s) => s
            .parse::<u32>()
            .ok()
            .filter(|d| (1..=180).contains(d))
            .ok_or_else(|| DashError::bad(format!("days must be from 1 to 180, not {s:?}."))),
    }
}

/// `period=1h|2h|4h|8h` of the metrics pages, in hours (default 1).
pub fn period_hours(s: Option<&str>) -> Result<u32, DashError> {
    match s.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(1),
        Some("1h") => Ok(1),
        Some("2h") => Ok(2),
        Some("4h") => Ok(4),
        Some("8h") => Ok(8),
        Some(other) => Err(DashError::bad(format!(
            "period must be 1h, 2h, 4h or 8h, not {other:?}."
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(page: &str, count: &str) -> ListQuery {
        ListQuery {
            page: Some(page.into()),
            count: Some(count.into()),
            ..ListQuery::default()
        }
    }

    #[test]
    fn paging_is_checked() {
        assert_eq!(Paging::parse(&q("2", "25"), 25).unwrap().offset(), 25);
        for (p, c) in [
            ("0", "25"),
            ("-1", "25"),
            ("x", "25"),
            ("1", "0"),
            ("1", "1001"),
            ("18446744073709551615", "1000"),
        ] {
            assert!(Paging::parse(&q(p, c), 25).is_err(), "{p} {c}");
        }
        let p = Paging { page: 5, count: 10 };
        assert_eq!(p.links(100), vec![1, 3, 4, 5, 6, 7, 10]);
        assert_eq!(Paging { page: 1, count: 25 }.links(0), vec![1]);
    }

    #[test]
    fn forms_carry_keys_and_actions() {
        let f = ActionForm::parse(
            b"key%5B%5D=1.5-abc&key%5B%5D=2.0-def&retry=Retry&authenticity_token=t",
        )
        .unwrap();
        assert_eq!(f.keys.len(), 2);
        assert_eq!(f.action().unwrap(), "retry");
        assert!(ActionForm::parse(b"key%5B%5D=nonsense").is_err());
        assert!(Action::allowed_in("kill", SetTab::Morgue.actions(), "Dead").is_err());
        assert_eq!(
            Action::allowed_in("kill", SetTab::Retries.actions(), "Retries").unwrap(),
            Action::Kill
        );
        assert!(days(Some("181")).is_err() && days(Some("7")).is_ok());
        assert!(period_hours(Some("3h")).is_err());
    }
}
