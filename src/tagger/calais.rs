//! An analysis as OpenCalais' JSON: one object keyed by URIs, `doc` with
//! `info` and `meta.language`, and one entry per social tag, topic and
//! entity, each with its `_typeGroup` (`socialTag`, `topics`, `entities`).
//! This is the shape the `open_calais` gem reads.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Map, Value};

use super::analysis::{gazetteer as g, Analysis, Entity};

const DOC_BASE: &str = "http://d.opencalais.com/dochash-1";
const GENERIC_BASE: &str = "http://d.opencalais.com/genericHasher-1";
const TYPE_BASE: &str = "http://s.opencalais.com/1/type/em/e";

/// What the response says about the request itself.
#[derive(Debug, Clone)]
pub struct RequestInfo {
    /// The request's Content-Type, as OpenCalais echoes it (`text/raw`).
    pub content_type: String,
    pub submitted_at: DateTime<Utc>,
    /// A UUID for `calaisRequestID`.
    pub request_id: String,
}

impl RequestInfo {
    pub fn new(content_type: &str) -> RequestInfo {
        let r: u128 = rand::random();
        // A version-4 UUID: random bits with the version and variant set.
        let r = (((r & !(0xf << 76)) | (0x4 << 76)) & !(0x3 << 62)) | (0x2 << 62);
        let h = format!("{r:032x}");
        RequestInfo {
            content_type: content_type.to_owned(),
            submitted_at: Utc::now(),
            request_id: format!(
                "{}-{}-{}-{}-{}",
                &h[..8],
                &h[8..12],
                &h[12..16],
                &h[16..20],
                &h[20..]
            ),
        }
    }
}

/// The OpenCalais JSON for `analysis` of `text`.
pub fn response(text: &str, analysis: &Analysis, info: &RequestInfo) -> Value {
    let doc_hash = hash_hex(&[text]);
    let doc_id = format!("{DOC_BASE}/{doc_hash}");
    let mut out = Map::new();
    out.insert(
        "doc".to_owned(),
        json!({
            "info": {
                "calaisRequestID": info.request_id,
                "id": format!("http://id.opencalais.com/{doc_hash}"),
                "docId": doc_id,
                "docTitle": "",
                "docDate": info.submitted_at.to_rfc3339_opts(SecondsFormat::Millis, true),
            },
            "meta": {
                "contentType": info.content_type,
                "processingVer": "AllMetadata",
                "serverVersion": concat!("kiqlab-tagger-", env!("CARGO_PKG_VERSION")),
                "submissionDate": info.submitted_at.to_rfc3339_opts(SecondsFormat::Millis, true),
                "language": analysis.language.as_str(),
                "messages": [],
            },
        }),
    );
    for (n, tag) in analysis.tags.iter().enumerate() {
        let id = format!("{doc_id}/SocialTag/{}", n + 1);
        out.insert(
            id.clone(),
            json!({
                "_typeGroup": "socialTag",
                "id": id,
                "socialTag": format!("{GENERIC_BASE}/{}", hash_hex(&["tag", &tag.name])),
                "typeReference": "http://s.opencalais.com/1/type/tag/SocialTag",
                "forenduserdisplay": "true",
                "name": tag.name,
                "importance": tag.importance.to_string(),
                "originalValue": tag.name,
            }),
        );
    }
    for (n, topic) in analysis.topics.iter().enumerate() {
        out.insert(
            format!("{doc_id}/cat/{}", n + 1),
            json!({
                "_typeGroup": "topics",
                "forenduserdisplay": "false",
                "score": topic.score,
                "name": topic.name,
            }),
        );
    }
    for e in &analysis.entities {
        out.insert(
            format!("{GENERIC_BASE}/{}", hash_hex(&[e.kind, &e.name])),
            entity(e),
        );
    }
    Value::Object(out)
}

fn entity(e: &Entity) -> Value {
    let instances: Vec<Value> = e
        .instances
        .iter()
        .map(|i| {
            json!({
                "detection": format!("[{}]{}[{}]", i.prefix, i.exact, i.suffix),
                "prefix": i.prefix,
                "exact": i.exact,
                "suffix": i.suffix,
                "offset": i.offset,
                "length": i.length,
            })
        })
        .collect();
    let mut v = json!({
        "_typeGroup": "entities",
        "_type": e.kind,
        "forenduserdisplay": "false",
        "name": e.name,
        "_typeReference": format!("{TYPE_BASE}/{}", e.kind),
        "instances": instances,
        "relevance": e.relevance,
    });
    let geo = [g::CITY, g::COUNTRY, g::CONTINENT, g::PROVINCE_OR_STATE];
    if geo.contains(&e.kind) {
        let mut r = json!({"name": e.name, "shortname": e.name});
        if let Some(country) = e.country {
            r["containedbycountry"] = json!(country);
        }
        v["resolutions"] = json!([r]);
    }
    v
}

/// 32 hex digits naming `parts` (two FNV-1a 64 hashes): stable across
/// runs, like OpenCalais' content hashes.
fn hash_hex(parts: &[&str]) -> String {
    let fnv = |seed: u64| {
        let mut h = seed;
        for p in parts {
            for b in p.bytes().chain([0u8]) {
                h ^= u64::from(b);
                h = h.wrapping_mul(0x0100_0000_01b3);
            }
        }
        h
    };
    format!(
        "{:016x}{:016x}",
        fnv(0xcbf2_9ce4_8422_2325),
        fnv(0x8422_2325_cbf2_9ce4)
    )
}

#[cfg(test)]
mod tests {
    use super::super::analysis::analyze;
    use super::*;

    #[test]
    fn the_gem_finds_what_it_looks_for() {
        let text = "Ruby on Rails is a fantastic web framework. It uses MVC, and the Ruby \
                    programming language invented by Matz in Japan.";
        let v = response(text, &analyze(text), &RequestInfo::new("text/raw"));
        assert_eq!(v["doc"]["meta"]["language"], "English");
        let groups = |g: &str| -> Vec<&Value> {
            v.as_object()
                .unwrap()
                .values()
                .filter(|e| e["_typeGroup"] == g)
                .collect()
        };
        let tags = groups("socialTag");
        assert!(tags.iter().any(|t| t["name"] == "Ruby on Rails"));
        assert!(tags
            .iter()
            .all(|t| ["1", "2", "3"].contains(&t["importance"].as_str().unwrap())));
        assert_eq!(groups("topics")[0]["name"], "Technology_Internet");
        let japan = groups("entities")
            .into_iter()
            .find(|e| e["name"] == "Japan")
            .unwrap();
        assert_eq!(japan["_type"], "Country");
        assert_eq!(japan["instances"][0]["exact"], "Japan");
        assert_eq!(japan["resolutions"][0]["shortname"], "Japan");
    }

    #[test]
    fn request_ids_look_like_uuids() {
        let id = RequestInfo::new("text/raw").request_id;
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
        assert!(["8", "9", "a", "b"].contains(&&id[19..20]), "{id}");
    }

    #[test]
    fn hashes_are_stable_and_distinct() {
        assert_eq!(hash_hex(&["a", "b"]), hash_hex(&["a", "b"]));
        assert_ne!(hash_hex(&["ab"]), hash_hex(&["a", "b"]));
        assert_eq!(hash_hex(&["x"]).len(), 32);
    }
}
