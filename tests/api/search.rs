//! Finding acts: French-aware full text and exact numbers.

use serde_json::json;

use crate::helpers::{fixture, spawn_app};

const T: &str = "arrete-avancement-echelon";

#[tokio::test]
async fn sealed_acts_are_found_without_accents_and_by_exact_number() {
    let app = spawn_app().await;
    let a = app.create(&fixture(T)).await["id"].as_str().unwrap().to_owned();
    let mut other = fixture(T);
    other["data"]["agent"]["nom"] = json!("Wattebled");
    other["data"]["agent"]["prenom"] = json!("Noé");
    let b = app.create(&other).await["id"].as_str().unwrap().to_owned();
    let (_, sa) = app.seal(&a).await;
    app.seal(&b).await;

    let found = app.search("arrete avancement echelon").await;
    assert_eq!(found["total"], 2, "{found:#}");

    let found = app.search("coeurdevey").await;
    assert_eq!(found["total"], 1, "{found:#}");
    assert_eq!(found["hits"][0]["id"], a.as_str());
    assert_eq!(found["hits"][0]["status"], "sealed");

    let number = sa["number"].as_str().unwrap();
    let found = app.search(number).await;
    assert_eq!(found["total"], 1, "{found:#}");
    assert_eq!(found["hits"][0]["number"], number);
}

#[tokio::test]
async fn drafts_are_searchable_and_flagged() {
    let app = spawn_app().await;
    app.create(&fixture(T)).await;
    let found = app.search("Léonie").await;
    assert_eq!(found["hits"][0]["status"], "draft");
    assert_eq!(found["hits"][0]["number"], serde_json::Value::Null);
}

#[tokio::test]
async fn an_invalid_query_is_a_400_problem() {
    let app = spawn_app().await;
    let r = app.client.get(app.url("/api/v1/search")).query(&[("q", "title:(")]).send().await.unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::BAD_REQUEST);
    let problem: serde_json::Value = r.json().await.unwrap();
    assert_eq!(problem["code"], "invalid_query");
}
