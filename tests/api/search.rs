//! Finding acts: French-aware full text and exact numbers.

use std::path::Path;

use acta::config::Settings;
use serde_json::{Value, json};

use crate::helpers::{TestApp, fixture, spawn_app, test_settings};

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

/// Issue 6 acceptance: French words without accents find the arrêté de mise
/// en disponibilité; the long form finds an act that only says "CST".
#[tokio::test]
async fn french_words_and_abbreviations_find_the_acts_that_use_them() {
    let app = spawn_app().await;
    let dispo = app.create(&fixture("arrete-disponibilite")).await["id"].as_str().unwrap().to_owned();
    let mut deliberation = fixture("deliberation");
    deliberation["data"]["visas"].as_array_mut().unwrap().push(json!("l'avis du CST réuni le 2 mars 2026"));
    let del = app.create(&deliberation).await["id"].as_str().unwrap().to_owned();
    app.create(&fixture(T)).await;

    let found = app.search("arrete disponibilite").await;
    assert_eq!(found["total"], 1, "{found:#}");
    assert_eq!(found["hits"][0]["id"], dispo.as_str());
    assert_eq!(found["hits"][0]["kind"], "arrete");

    let found = app.search("comité social territorial").await;
    assert_eq!(found["total"], 1, "{found:#}");
    assert_eq!(found["hits"][0]["id"], del.as_str());
    assert_eq!(found["hits"][0]["matiere"], "7.10", "a délibération's own matière");
    let snippet = found["hits"][0]["snippet"].as_str().unwrap();
    assert!(snippet.contains("<b>CST</b>"), "{snippet}");
}

#[tokio::test]
async fn filters_facets_sort_and_pages_over_http() {
    let app = spawn_app().await;
    for t in ["arrete-disponibilite", "deliberation", "arrete-nomination-stagiaire", T] {
        app.create(&fixture(t)).await;
    }
    let get = |params: &'static [(&'static str, &'static str)]| {
        let req = app.client.get(app.url("/api/v1/search")).query(params);
        async move {
            let r = req.send().await.unwrap();
            assert_eq!(r.status(), reqwest::StatusCode::OK);
            r.json::<Value>().await.unwrap()
        }
    };
    let all = get(&[]).await;
    assert_eq!(all["total"], 4, "{all:#}");
    let collectivites = &all["facets"]["collectivite"];
    assert_eq!(collectivites[0], json!({"value": "216297309", "count": 3}), "{collectivites:#}");
    assert_eq!(collectivites[1], json!({"value": "216295105", "count": 1}), "{collectivites:#}");

    let one = get(&[("collectivite", "216297309"), ("kind", "arrete")]).await;
    assert_eq!(one["total"], 2, "{one:#}");
    assert_eq!(one["facets"]["collectivite"].as_array().unwrap().len(), 1);
    assert_eq!(one["facets"]["kind"], json!([{"value": "arrete", "count": 2}]));

    let page = get(&[("sort", "date_desc"), ("limit", "1"), ("offset", "1")]).await;
    assert_eq!((page["total"].as_u64(), page["hits"].as_array().unwrap().len()), (Some(4), 1));
    let by_date = get(&[("sort", "date_desc")]).await;
    let dates: Vec<&str> =
        by_date["hits"].as_array().unwrap().iter().map(|h| h["date"].as_str().unwrap()).collect();
    assert!(dates.windows(2).all(|w| w[0] >= w[1]), "{dates:?}");
    assert_eq!(page["hits"][0]["id"], by_date["hits"][1]["id"]);

    let decided = get(&[("date_field", "decision"), ("from", "2026-02-09"), ("to", "2026-02-09")]).await;
    assert_eq!(decided["total"], 1, "{decided:#}");
    assert_eq!(decided["hits"][0]["template"], "arrete-disponibilite");
}

#[tokio::test]
async fn bad_parameters_are_400_invalid_query_with_a_french_detail() {
    let app = spawn_app().await;
    for (params, expected) in [
        (vec![("from", "2026-13-01")], "AAAA-MM-JJ"),
        (vec![("sort", "pertinence")], "tri inconnu"),
        (vec![("limit", "1000")], "limit"),
        (vec![("collectivite", "12")], "SIREN"),
        (vec![("q", "nimporte:quoi")], "champ de recherche inconnu"),
        (vec![("tri", "date")], "paramètre inconnu"),
    ] {
        let r = app.client.get(app.url("/api/v1/search")).query(&params).send().await.unwrap();
        assert_eq!(r.status(), reqwest::StatusCode::BAD_REQUEST, "{params:?}");
        let problem: Value = r.json().await.unwrap();
        assert_eq!(problem["code"], "invalid_query");
        assert!(problem["detail"].as_str().unwrap().contains(expected), "{params:?}: {problem:#}");
    }
}

/// A second acta sharing the store (its own, empty index) indexes at start-up
/// the acts the first one sealed.
#[tokio::test]
async fn startup_catches_up_on_acts_sealed_by_another_process() {
    let first = spawn_app().await;
    let id = first.create(&fixture("arrete-disponibilite")).await["id"].as_str().unwrap().to_owned();
    first.seal(&id).await;
    let other_dir = tempfile::tempdir().unwrap();
    let store = format!("file://{}", first.data_dir.path().join("store").display());
    let settings = Settings { store: Some(store), ..test_settings(other_dir.path()) };
    let second = TestApp::with_settings(settings, other_dir).await;
    let found = second.search("disponibilite").await;
    assert_eq!(found["total"], 1, "{found:#}");
    assert_eq!(found["hits"][0]["id"], id.as_str());
    assert_eq!(found["hits"][0]["status"], "sealed");
}

fn acta(data_dir: &Path, store: &str, args: &[&str]) -> String {
    crate::helpers::acta_ok(data_dir, &[&["--store", store], args].concat())
}

/// Issue 6 acceptance: deleting the index and running `acta reindex` gives
/// the same results as before.
#[tokio::test]
async fn a_deleted_index_rebuilt_by_reindex_gives_the_same_results() {
    let app = spawn_app().await;
    for t in
        ["arrete-disponibilite", "deliberation", "arrete-nomination-stagiaire", T, "arrete-temps-partiel"]
    {
        let id = app.create(&fixture(t)).await["id"].as_str().unwrap().to_owned();
        if t != T {
            app.seal(&id).await;
        }
    }
    // The CLI reads the server's index from another process: it sees the
    // server's writes once committed, which the server's next search does
    // (else its background committer, within 200 ms).
    app.search("").await;
    let store = format!("file://{}", app.data_dir.path().join("store").display());
    let queries: [&[&str]; 5] = [
        &["arrete", "disponibilite"],
        &[],
        &["--facets", "-p", "sort=date_desc"],
        &["conseil", "-p", "collectivite=216297309"],
        &["--no-personal-data", "Tronquoy"],
    ];
    let run = |dir: &Path, q: &[&str]| acta(dir, &store, &[&["search"], q].concat());
    let before: Vec<String> = queries.iter().map(|q| run(app.data_dir.path(), q)).collect();
    assert!(before[1].contains("5 acte(s) trouvé(s)"), "{}", before[1]);
    assert!(before[4].contains("0 acte(s) trouvé(s)"), "{}", before[4]);

    let rebuilt = tempfile::tempdir().unwrap();
    for _ in 0..2 {
        let out = acta(rebuilt.path(), &store, &["reindex"]);
        assert!(out.contains("5 acte(s) indexé(s)"), "{out}");
        let after: Vec<String> = queries.iter().map(|q| run(rebuilt.path(), q)).collect();
        assert_eq!(after, before);
        std::fs::remove_dir_all(rebuilt.path().join("index")).unwrap();
    }
}

/// Issue 13 (item 7): hostile numbers and dates are a 400 naming the
/// parameter and its accepted range; none is clamped, wraps or answers 500.
#[tokio::test]
async fn hostile_numeric_and_date_parameters_are_400_naming_the_parameter() {
    let app = spawn_app().await;
    app.create(&fixture("arrete-disponibilite")).await;
    for (params, expected) in [
        (vec![("from", "9999-12-31")], "from doit être une date entre 1800-01-01 et 2200-12-31"),
        (vec![("to", "+99999-01-01")], "to doit être une date entre 1800-01-01 et 2200-12-31"),
        (vec![("from", "1200-01-01"), ("date_field", "decision")], "from doit être une date entre"),
        (vec![("year", "3000")], "year doit être une année entre 1800 et 2200"),
        (vec![("year_to", "18446744073709551616")], "year_to doit être une année"),
        (vec![("offset", "18446744073709551615")], "offset doit être un entier entre 0 et 9999"),
        (vec![("offset", "9990"), ("limit", "20")], "offset + limit"),
        (vec![("limit", "-5")], "limit doit être un entier entre 1 et 100"),
        (vec![("page", "99999999999999999999")], "page doit être un entier entre 1"),
        (vec![("page", "501"), ("limit", "20")], "page doit être comprise entre 1 et 500"),
    ] {
        let r = app.client.get(app.url("/api/v1/search")).query(&params).send().await.unwrap();
        assert_eq!(r.status(), reqwest::StatusCode::BAD_REQUEST, "{params:?}");
        assert!(r.headers()["content-type"].to_str().unwrap().starts_with("application/problem+json"));
        let problem: Value = r.json().await.unwrap();
        assert_eq!(problem["code"], "invalid_query", "{params:?}");
        assert!(problem["detail"].as_str().unwrap().contains(expected), "{params:?}: {problem:#}");
    }
    // The edges of the range are accepted.
    let r = app
        .client
        .get(app.url("/api/v1/search"))
        .query(&[("from", "1800-01-01"), ("to", "2200-12-31"), ("page", "2"), ("limit", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::OK);
}
