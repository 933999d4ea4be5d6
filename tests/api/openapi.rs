//! Issue #8: the OpenAPI description is generated from the code, served, and
//! committed as docs/openapi.json; it documents exactly the routes of the
//! router, each with its access rule.

use std::collections::BTreeSet;

use acta::http::openapi::{document, document_json};
use acta::http::routes::routes;

use crate::helpers::{repo_path, spawn_app};

#[test]
fn the_committed_description_is_the_generated_one() {
    let path = repo_path("docs/openapi.json");
    let generated = document_json();
    if std::env::var_os("ACTA_BLESS").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/openapi.json is out of date: run `ACTA_BLESS=1 cargo test --test integration openapi` and commit it"
    );
}

#[test]
fn every_route_is_documented_and_every_documented_operation_is_routed() {
    let doc = serde_json::to_value(document()).unwrap();
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item
            .as_object()
            .unwrap()
            .keys()
            .filter(|k| ["get", "post", "put", "delete", "patch"].contains(&k.as_str()))
        {
            documented.insert((method.to_uppercase(), path.clone()));
            let op = &item[method];
            assert!(op["x-acta-access"]["rule"].is_string(), "{method} {path} has no access rule");
        }
    }
    let routed: BTreeSet<_> =
        routes().into_iter().map(|r| (r.method.to_string(), r.path.to_owned())).collect();
    assert_eq!(documented, routed);
}

#[tokio::test]
async fn the_description_is_served_to_anyone() {
    let app = spawn_app().await;
    let r = reqwest::get(app.url("/api/v1/openapi.json")).await.unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::OK);
    let served: serde_json::Value = r.json().await.unwrap();
    assert_eq!(served, serde_json::to_value(document()).unwrap());
    assert!(served["components"]["securitySchemes"]["bearer"].is_object());
}
