//! Issue #8: arbitrary JSON sent to the create-act endpoint never panics the
//! server nor makes it fail: every answer is a success or a documented 4xx.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use reqwest::StatusCode;
use serde_json::{Map, Value, json};

use crate::helpers::spawn_app;

/// Codes docs/errors.md documents for `POST /api/v1/acts`.
const DOCUMENTED: [&str; 9] = [
    "malformed_json",
    "json_too_deep",
    "string_too_long",
    "too_many_items",
    "template_not_found",
    "collectivite_not_found",
    "payload_too_large",
    "validation_failed",
    "unauthenticated",
];

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(|f| json!(f)),
        ".{0,40}".prop_map(Value::String),
        prop_oneof![Just("216295105"), Just("arrete-avancement-echelon"), Just("2026-02-30"), Just("")]
            .prop_map(|s| Value::String(s.into())),
    ];
    leaf.prop_recursive(6, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{0,12}", inner, 0..8)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// Whole bodies, and envelopes around arbitrary data (which reach the
/// template's schema and rules), and the fixture with one member replaced.
fn bodies() -> impl Strategy<Value = Value> {
    let template =
        prop_oneof![Just(json!("arrete-avancement-echelon")), Just(json!("deliberation")), any_json()];
    let envelope = (template, any_json())
        .prop_map(|(t, data)| json!({"template": t, "collectivite": "216295105", "data": data}));
    let fixture = crate::helpers::fixture("arrete-avancement-echelon");
    let mutated = ("[a-z_]{1,16}", any_json()).prop_map(move |(k, v)| {
        let mut body = fixture.clone();
        body["data"][k] = v;
        body
    });
    prop_oneof![any_json(), envelope, mutated]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn arbitrary_json_to_create_an_act_is_answered_2xx_or_a_documented_4xx() {
    let app = spawn_app().await;
    let handle = tokio::runtime::Handle::current();
    let cases = std::env::var("ACTA_FUZZ_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(200);
    let mut runner = TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() });
    let result = tokio::task::block_in_place(|| {
        runner.run(&bodies(), |body| {
            let (status, answer) = handle.block_on(app.post_act(&body));
            prop_assert!(status.is_success() || status.is_client_error(), "{status}: {answer:#}");
            prop_assert_ne!(status, StatusCode::INTERNAL_SERVER_ERROR);
            if !status.is_success() {
                let code = answer["code"].as_str().unwrap_or_default();
                prop_assert!(DOCUMENTED.contains(&code), "undocumented {code}: {answer:#}");
            }
            Ok(())
        })
    });
    result.unwrap();
    // The server is still there.
    let r = app.client.get(app.url("/health")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}
