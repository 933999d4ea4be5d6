//! Fuzzing request JSON → validation → render (issue 13): the fixtures'
//! request bodies (`fixtures/acts/*.json`, what users send), mutated
//! structurally — a member dropped, replaced by a value of another type, a
//! huge or oddly written string (combining marks, bidi controls, separators,
//! Typst markup, emoji), a deep nesting, duplicated or renamed — then taken
//! the way the server takes them: the JSON input limits
//! ([`crate::http::input::parse`]), then [`Acta::preview`], which validates
//! and renders.
//!
//! Property: nothing panics, and every body is either refused (input limits,
//! or field errors each naming a field with a French message) or rendered as
//! a PDF. A render failure on data that passed validation is a bug (the
//! template does not handle what its schema allows) and fails the test.
//! Cases: `PROPTEST_CASES` (see docs/operations.md, Fuzzing).

use std::sync::OnceLock;

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::{Index, select};
use serde_json::{Map, Value, json};
use time::macros::datetime;

use super::{Acta, ServiceError};
use crate::config::Settings;

fn config() -> ProptestConfig {
    // The number of cases comes from PROPTEST_CASES (proptest's default).
    ProptestConfig { failure_persistence: None, ..ProptestConfig::default() }
}

/// One core for every case, on a throw-away data directory.
fn acta() -> &'static Acta {
    static ACTA: OnceLock<(Acta, tempfile::TempDir)> = OnceLock::new();
    &ACTA
        .get_or_init(|| {
            let dir = tempfile::tempdir().unwrap();
            let settings = Settings { data_dir: dir.path().to_owned(), ..Settings::default() };
            (Acta::open(&settings).unwrap(), dir)
        })
        .0
}

/// The fixtures' request bodies.
fn fixtures() -> &'static [Value] {
    static FIXTURES: OnceLock<Vec<Value>> = OnceLock::new();
    FIXTURES.get_or_init(|| {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/acts");
        let mut paths: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
        paths.sort();
        paths.iter().map(|p| serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()).collect()
    })
}

/// Characters that break naive text handling, or mean something to Typst.
#[rustfmt::skip]
static ODD: [&str; 48] = [
    "#", "$", "[", "]", "*", "_", "`", "\\", "@", "<", ">", "=", "/", "\"", "'", "’", "\u{301}", "\u{202E}",
    "\u{2028}", "\u{AD}", "\u{200B}", "\u{200D}", "\u{FEFF}", "\u{A0}", "\u{202F}", "𝕏", "👩\u{200D}⚖️", "漢",
    "ﷺ", "\u{10FFFF}", "\u{FFFD}", "\t", "\n", "\r", "\u{0}", "\u{7F}", "\u{85}", "œ", "İ", "—", "«", "{",
    "}", "~", "//", "/*", " ", "a",
];

fn odd_text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => vec(select(&ODD[..]), 0..24).prop_map(|v| v.concat()),
        3 => "[A-Za-zÀ-ÿ' .,()-]{0,40}",
        2 => "\\PC{0,30}",
        1 => (select(&ODD[..]), 1_usize..70_000).prop_map(|(s, n)| s.repeat(n)),
        1 => (1_usize..3000).prop_map(|n| "mot ".repeat(n)),
    ]
}

/// A value of any type, sometimes deeply nested.
fn any_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        Just(json!(u64::MAX)),
        Just(json!(1e308)),
        Just(json!(-0.5)),
        odd_text().prop_map(Value::String),
        prop_oneof![Just("2026-02-30"), Just("2026-03-02"), Just("0000-01-01"), Just("")]
            .prop_map(|s| Value::String(s.into())),
    ];
    let nested = leaf.clone().prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(Value::Array),
            vec(("[a-z_]{1,10}", inner), 0..4).prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    });
    let deep = (1_usize..40, any::<bool>()).prop_map(|(n, arrays)| {
        (0..n).fold(json!("x"), |v, _| if arrays { json!([v]) } else { json!({ "a": v }) })
    });
    prop_oneof![6 => leaf, 3 => nested, 1 => deep]
}

/// One structural change, at the member or element a path of indices
/// leads to.
#[derive(Debug, Clone)]
enum Op {
    /// Text written into a string (in its middle), or replacing another
    /// value: the likeliest change to pass validation and reach the template
    /// (escaping, line breaking, fonts).
    Text(String),
    Drop,
    Replace(Value),
    Duplicate,
    Rename(String),
    Insert(String, Value),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        8 => odd_text().prop_map(Op::Text),
        2 => Just(Op::Drop),
        3 => any_value().prop_map(Op::Replace),
        1 => Just(Op::Duplicate),
        1 => "[a-z_]{1,12}".prop_map(Op::Rename),
        1 => ("[a-z_]{1,12}", any_value()).prop_map(|(k, v)| Op::Insert(k, v)),
    ]
}

/// Walk `path` down from `v` while the chosen child is a container, then
/// apply `op` to the chosen child of the container reached.
fn mutate(v: &mut Value, path: &[Index], op: &Op) {
    let Some((first, rest)) = path.split_first() else { return };
    match v {
        Value::Object(map) if !map.is_empty() => {
            let Some(key) = map.keys().nth(first.index(map.len())).cloned() else { return };
            if !rest.is_empty() && map.get(&key).is_some_and(|c| c.is_object() || c.is_array()) {
                if let Some(child) = map.get_mut(&key) {
                    mutate(child, rest, op);
                }
                return;
            }
            apply_in_object(map, key, op);
        }
        Value::Array(items) if !items.is_empty() => {
            let i = first.index(items.len());
            if !rest.is_empty() && (items[i].is_object() || items[i].is_array()) {
                mutate(&mut items[i], rest, op);
                return;
            }
            match op {
                Op::Drop => {
                    items.remove(i);
                }
                Op::Replace(new) => items[i] = new.clone(),
                Op::Text(text) => items[i] = with_text(&items[i], text),
                Op::Duplicate | Op::Rename(_) => items.insert(i, items[i].clone()),
                Op::Insert(_, new) => items.insert(i, new.clone()),
            }
        }
        _ => {}
    }
}

/// `text` written in the middle of `v` if it is a string, else `text`.
fn with_text(v: &Value, text: &str) -> Value {
    let Some(s) = v.as_str() else { return Value::String(text.to_owned()) };
    let middle = s.char_indices().nth(s.chars().count() / 2).map_or(s.len(), |(i, _)| i);
    Value::String(format!("{}{text}{}", &s[..middle], &s[middle..]))
}

fn apply_in_object(map: &mut Map<String, Value>, key: String, op: &Op) {
    match op {
        Op::Drop => {
            map.remove(&key);
        }
        Op::Replace(new) => {
            map.insert(key, new.clone());
        }
        Op::Text(text) => {
            let new = map.get(&key).map(|v| with_text(v, text)).unwrap_or_default();
            map.insert(key, new);
        }
        Op::Duplicate => {
            let copy = map.get(&key).cloned().unwrap_or_default();
            map.insert(format!("{key}_2"), copy);
        }
        Op::Rename(to) => {
            if let Some(v) = map.remove(&key) {
                map.insert(to.clone(), v);
            }
        }
        Op::Insert(k, new) => {
            map.insert(k.clone(), new.clone());
        }
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn fuzz_mutated_requests_are_refused_with_field_errors_or_rendered(
        fixture in any::<Index>(),
        // Mostly one change, sometimes two: weighted, never filtered (a filter
        // rejecting cases aborts long runs at proptest's local-reject limit).
        changes in prop_oneof![
            3 => vec((proptest::bool::weighted(0.9), vec(any::<Index>(), 1..8), op()), 1..2),
            1 => vec((proptest::bool::weighted(0.9), vec(any::<Index>(), 1..8), op()), 2..3),
        ],
    ) {
        let fixtures = fixtures();
        let mut body = fixtures[fixture.index(fixtures.len())].clone();
        // Mostly the act's data, sometimes the envelope.
        for (in_data, path, op) in &changes {
            match body.get_mut("data") {
                Some(data) if *in_data => mutate(data, path, op),
                _ => mutate(&mut body, path, op),
            }
        }
        let bytes = serde_json::to_vec(&body).unwrap();
        // The server's input limits first (a refusal there is a documented 4xx).
        let Ok(body) = crate::http::input::parse(&bytes) else { return Ok(()) };
        match acta().preview(&body, datetime!(2026-03-02 10:00 UTC)) {
            Ok(pdf) => prop_assert!(pdf.starts_with(b"%PDF-")),
            Err(ServiceError::Invalid(errors)) => {
                prop_assert!(!errors.is_empty());
                for e in &errors {
                    prop_assert!(e.path.is_empty() || e.path.starts_with('/'), "{:?}", e);
                    prop_assert!(!e.message.trim().is_empty(), "{:?}", e);
                }
            }
            Err(ServiceError::UnknownTemplate(_) | ServiceError::UnknownCollectivite(_)) => {}
            Err(other) => prop_assert!(false, "valid data failed to render: {other}\n{body:#}"),
        }
    }
}

#[test]
fn every_fixture_renders_unchanged() {
    for body in fixtures() {
        let pdf = acta().preview(body, datetime!(2026-03-02 10:00 UTC)).unwrap();
        assert!(pdf.starts_with(b"%PDF-"), "{}", body["template"]);
    }
}
