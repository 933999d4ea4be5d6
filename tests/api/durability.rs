//! What survives a stop, with the real binary: the search index agrees with
//! the store after a restart, whatever a killed process left between a store
//! write and its index.

use acta::auth::Role;
use acta::domain::ActId;
use acta::store::{Store, keys};
use bytes::Bytes;
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{Served, acta_command, client_with, fixture, token_for};

const T: &str = "arrete-avancement-echelon";

async fn search(client: &reqwest::Client, base: &str) -> Value {
    let r = client.get(format!("{base}/api/v1/search")).query(&[("q", "")]).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    r.json().await.unwrap()
}

fn ids(found: &Value) -> Vec<String> {
    found["hits"].as_array().unwrap().iter().map(|h| h["id"].as_str().unwrap().to_owned()).collect()
}

/// Deleting a draft writes its discard marker, then removes it from the
/// index: a process killed in between leaves a stale entry, which the
/// start-up catch-up removes.
#[tokio::test]
async fn a_draft_discarded_by_a_process_killed_before_its_index_removal_is_not_found_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_owned();
    let serve = || {
        let mut c = acta_command();
        c.arg("--data-dir").arg(&data).env("RUST_LOG", "error");
        c
    };
    let store = Store::local(&data.join("store")).unwrap();
    let client = client_with(&token_for(&store, Role::Admin, &[]).await);

    let server = Served::start(serve()).await;
    let mut made = Vec::new();
    for _ in 0..2 {
        let r = client.post(format!("{}/api/v1/acts", server.base)).json(&fixture(T)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
        made.push(r.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned());
    }
    // A search commits what was staged: both drafts are in the index on disk.
    let mut before = ids(&search(&client, &server.base).await);
    before.sort();
    made.sort();
    assert_eq!(before, made);
    drop(server); // killed

    // The marker the killed process wrote before it could remove the entry.
    let (gone, kept) = (&made[0], &made[1]);
    let id: ActId = gone.parse().unwrap();
    let marker = Bytes::from_static(br#"{"at":"2026-12-06T03:00:00Z"}"#);
    store.create(&keys::act_discarded(&id), marker).await.unwrap();

    let server = Served::start(serve()).await;
    assert_eq!(ids(&search(&client, &server.base).await), std::slice::from_ref(kept));
    let r = client.get(format!("{}/api/v1/acts/{gone}", server.base)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}
