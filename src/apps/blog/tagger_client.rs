//! A client for an OpenCalais-shaped tagging API (the tutorial's `open_calais`
//! gem): POST the text with `X-AG-Access-Token`, read the `socialTag` entries
//! of the JSON answer and turn them into tags as the gem does.

use std::time::Duration;

use serde_json::Value;

use super::tag_list::TagName;
use crate::secret::Secret;

#[derive(Debug, thiserror::Error)]
pub enum TaggerError {
    #[error("the tagger at {url} cannot be reached: {source}")]
    Unreachable {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("the tagger answered {status}: {body}")]
    Status { status: u16, body: String },
    #[error("the tagger's answer is not OpenCalais JSON: {0}")]
    Malformed(String),
}

impl TaggerError {
    /// A 4xx answer other than 408 (timeout) and 429 (slow down): the same
    /// request would be refused again, so retrying cannot help.
    pub fn is_permanent(&self) -> bool {
        matches!(self, TaggerError::Status { status, .. }
            if (400..500).contains(status) && *status != 408 && *status != 429)
    }
}

/// A tag the tagger suggested, with the gem's score (importance 1 → 0.9,
/// 2 → 0.7, else 0.5).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SuggestedTag {
    pub name: String,
    pub score: f64,
}

pub struct Tagger<'a> {
    pub http: &'a reqwest::Client,
    pub url: &'a str,
    pub key: Option<&'a Secret>,
    pub timeout: Duration,
}

impl Tagger<'_> {
    /// Tags for a post's title and body, best first.
    pub async fn suggest(&self, title: &str, body: &str) -> Result<Vec<SuggestedTag>, TaggerError> {
        let text = format!("{title}\n\n{body}");
        let mut req = self
            .http
            .post(self.url)
            .timeout(self.timeout)
            .header("Content-Type", "text/raw")
            .header("outputFormat", "application/json")
            .header("x-calais-language", "English")
            .header("Accept", "application/json")
            .body(text);
        if let Some(k) = self.key {
            req = req.header("X-AG-Access-Token", k.expose());
        }
        let unreachable = |source| TaggerError::Unreachable {
            url: self.url.to_owned(),
            source,
        };
        let resp = req.send().await.map_err(unreachable)?;
        let status = resp.status();
        let body = resp.text().await.map_err(unreachable)?;
        if !status.is_success() {
            return Err(TaggerError::Status {
                status: status.as_u16(),
                body: body.chars().take(300).collect(),
            });
        }
        let json: Value =
            serde_json::from_str(&body).map_err(|e| TaggerError::Malformed(e.to_string()))?;
        parse_response(&json)
    }
}

/// The gem's `tags`: social tags, lower-cased, `_` read as " and ", without
/// those equal to a topic name.
pub fn parse_response(json: &Value) -> Result<Vec<SuggestedTag>, TaggerError> {
    let obj = json
        .as_object()
        .ok_or_else(|| TaggerError::Malformed("expected a JSON object".into()))?;
    let group = |v: &Value| {
        v.get("_typeGroup")
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let topics: Vec<String> = obj
        .values()
        .filter(|v| group(v).as_deref() == Some("topics"))
        .filter_map(|v| v.get("name").and_then(Value::as_str))
        .map(|n| n.replace('_', " and ").to_lowercase())
        .collect();
    let mut tags: Vec<SuggestedTag> = Vec::new();
    for v in obj
        .values()
        .filter(|v| group(v).as_deref() == Some("socialTag"))
    {
        let Some(raw) = v.get("name").and_then(Value::as_str) else {
            return Err(TaggerError::Malformed("a socialTag has no name".into()));
        };
        let name = raw.replace('_', " and ").to_lowercase();
        let score = match importance(v.get("importance")) {
            Some(1) => 0.9,
            Some(2) => 0.7,
            _ => 0.5,
        };
        if topics.contains(&name) || TagName::parse(&name).is_err() {
            continue;
        }
        if !tags.iter().any(|t| t.name == name) {
            tags.push(SuggestedTag { name, score });
        }
    }
    tags.sort_by(|a, b| b.score.total_cmp(&a.score));
    Ok(tags)
}

/// OpenCalais sends importance as a string ("1") or a number.
fn importance(v: Option<&Value>) -> Option<u64> {
    match v? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn social_tags_as_the_gem_reads_them() {
        let j = json!({
            "doc": {"info": {}, "meta": {"language": "English"}},
            "http://x/1": {"_typeGroup": "socialTag", "name": "Ruby_Programming", "importance": "2"},
            "http://x/2": {"_typeGroup": "socialTag", "name": "Rails", "importance": 1},
            "http://x/3": {"_typeGroup": "topics", "name": "Technology_Internet", "score": 0.9},
            "http://x/4": {"_typeGroup": "socialTag", "name": "Technology_Internet", "importance": "1"},
            "http://x/5": {"_typeGroup": "entities", "_type": "Person", "name": "Matz"}
        });
        let tags = parse_response(&j).unwrap();
        let names: Vec<&str> = tags.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["rails", "ruby and programming"]);
        assert_eq!(tags[0].score, 0.9);
        assert!(parse_response(&json!([1])).is_err());
    }

    #[test]
    fn only_4xx_but_408_and_429_are_permanent() {
        let status = |status| TaggerError::Status {
            status,
            body: String::new(),
        };
        for (code, permanent) in [(400, true), (401, true), (403, true), (413, true)] {
            assert_eq!(status(code).is_permanent(), permanent, "{code}");
        }
        for code in [408, 429, 500, 502, 503] {
            assert!(!status(code).is_permanent(), "{code}");
        }
        assert!(!TaggerError::Malformed("x".into()).is_permanent());
    }
}
