//! Property tests (the fuzz target) for payload parsing: whatever bytes sit
//! in a queue, parsing never panics; valid payloads survive a round trip byte
//! for byte; a malformed one always becomes a readable dead-set entry.
//! `scripts/fuzz-payload.sh SECONDS` runs these for a bounded time with new
//! random seeds each round.

use kiqlab::engine::job::{Job, PayloadError};
use kiqlab::engine::processor::{malformed_dead_json, DEFAULT_MAX_PAYLOAD};
use proptest::prelude::*;
use serde_json::{Map, Value};

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        ".{0,20}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,12}", inner, 0..8)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Objects that look like jobs, with fields that are sometimes wrong.
fn job_like() -> impl Strategy<Value = Value> {
    (
        prop::option::of(prop_oneof![".{0,16}".prop_map(Value::String), json_value()]),
        prop::option::of(prop_oneof![
            prop::collection::vec(json_value(), 0..6).prop_map(Value::Array),
            json_value()
        ]),
        prop::option::of(prop_oneof![
            "[a-z_.:-]{1,10}".prop_map(Value::String),
            json_value()
        ]),
        prop::option::of(json_value()),
        prop::option::of(json_value()),
        prop::collection::btree_map("[a-z_]{1,12}", json_value(), 0..5),
    )
        .prop_map(|(class, args, queue, retry, jid, extra)| {
            let mut m = Map::new();
            for (k, v) in [
                ("class", class),
                ("args", args),
                ("queue", queue),
                ("retry", retry),
                ("jid", jid),
            ] {
                if let Some(v) = v {
                    m.insert(k.to_owned(), v);
                }
            }
            for (k, v) in extra {
                m.entry(k).or_insert(v);
            }
            Value::Object(m)
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(raw in prop::collection::vec(any::<u8>(), 0..512)) {
        let parsed = Job::from_bytes(&raw, DEFAULT_MAX_PAYLOAD);
        if let Err(e) = &parsed {
            let dead = malformed_dead_json(&raw, "default", e, 1.0);
            let job = Job::parse(&dead).expect("a dead entry is a valid job");
            prop_assert_eq!(job.error_class(), Some("Kiqlab::MalformedPayload"));
        }
    }

    #[test]
    fn job_like_objects_parse_or_fail_cleanly(v in job_like()) {
        let text = v.to_string();
        match Job::parse(&text) {
            Ok(job) => {
                // Valid ones round-trip: same fields, same order, same values.
                let again: Value = serde_json::from_str(&job.to_json()).unwrap();
                let orig = v.as_object().unwrap();
                for (k, val) in orig {
                    prop_assert_eq!(again.get(k), Some(val));
                }
                prop_assert!(job.args().len() < 100);
                prop_assert!(!job.class().is_empty());
            }
            Err(e) => {
                let dead = malformed_dead_json(text.as_bytes(), "default", &e, 1.0);
                prop_assert!(Job::parse(&dead).is_ok());
                prop_assert!(!e.to_string().is_empty());
            }
        }
    }

    #[test]
    fn valid_payloads_round_trip_byte_for_byte(
        class in "[A-Z][A-Za-z0-9:]{0,20}",
        args in prop::collection::vec(json_value(), 0..5),
        extra in prop::collection::btree_map("[a-z]{1,8}_x", json_value(), 0..4),
        created in 1.0e9f64..2.0e9,
    ) {
        let mut m = Map::new();
        m.insert("retry".into(), Value::Bool(true));
        m.insert("queue".into(), Value::from("default"));
        m.insert("args".into(), Value::Array(args));
        m.insert("class".into(), Value::from(class));
        m.insert("jid".into(), Value::from("0123456789abcdef01234567"));
        for (k, v) in extra {
            m.insert(k, v);
        }
        m.insert("created_at".into(), serde_json::Number::from_f64(created).map(Value::Number).unwrap());
        let text = Value::Object(m).to_string();
        let job = Job::parse(&text).unwrap();
        prop_assert_eq!(job.to_json(), text);
        prop_assert_eq!(job.created_at(), Some(created));
    }

    #[test]
    fn truncated_valid_payloads_are_errors_not_panics(cut in 0usize..120) {
        let text = r#"{"retry":true,"queue":"default","args":[1,"foo"],"class":"OkJob","jid":"d3c4a75f1edf14aa355683ed","created_at":1795617752.0111961}"#;
        let cut = cut.min(text.len() - 1);
        let r = Job::parse(&text[..cut]);
        prop_assert!(matches!(r, Err(PayloadError::InvalidJson(_))));
    }
}
