//! Issue #16: the per-act API pipeline with concurrent clients, the path
//! `acta bench api` measures. Each act is searchable as soon as its sealing
//! answers, numbers are consecutive, each act has one leaf, the audit is
//! clean; and the search index, whose writes are not synced (it is derived
//! data), still finds every act after the server is killed.

use std::collections::HashMap;

use acta::store::Store;
use acta::tlog::SealLeaf;
use acta::tlog::log::LEAVES_PREFIX;
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{Served, acta_command, acta_in, acta_ok, client_with, fixture};

const CLIENTS: usize = 4;
const EACH: usize = 4;

async fn serve(data: &std::path::Path) -> Served {
    let mut command = acta_command();
    command.arg("--data-dir").arg(data).env("RUST_LOG", "error");
    Served::start(command).await
}

/// The hit of the act numbered `number`, searched by its number.
async fn found(client: &reqwest::Client, base: &str, number: &str) -> Option<Value> {
    let r = client.get(format!("{base}/api/v1/search")).query(&[("q", number)]).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.unwrap();
    body["hits"].as_array().unwrap().iter().find(|h| h["number"] == number).cloned()
}

/// One gestionnaire: `EACH` acts created then sealed, each looked for right
/// after its sealing answered; (id, number) of each.
async fn gestionnaire(client: reqwest::Client, base: String) -> Vec<(String, String)> {
    let mut made = Vec::new();
    for _ in 0..EACH {
        let body = fixture("arrete-avancement-echelon");
        let r = client.post(format!("{base}/api/v1/acts")).json(&body).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
        let id = r.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
        let r = client.post(format!("{base}/api/v1/acts/{id}/seal")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let number = r.json::<Value>().await.unwrap()["number"].as_str().unwrap().to_owned();
        let hit = found(&client, &base, &number).await.expect("searchable when the sealing answers");
        assert_eq!((hit["id"].as_str(), hit["status"].as_str()), (Some(id.as_str()), Some("sealed")));
        made.push((id, number));
    }
    made
}

#[tokio::test]
async fn four_clients_sealing_at_once_get_consecutive_searchable_acts_that_a_kill_does_not_lose() {
    let data = tempfile::tempdir().unwrap();
    let token =
        acta_ok(data.path(), &["tokens", "create", "--role", "admin"]).lines().last().unwrap().to_owned();
    let client = client_with(&token);
    let server = serve(data.path()).await;
    let clients = (0..CLIENTS).map(|_| tokio::spawn(gestionnaire(client.clone(), server.base.clone())));
    let mut made = Vec::new();
    for c in futures::future::join_all(clients).await {
        made.extend(c.unwrap());
    }
    let mut seqs: Vec<u64> = made
        .iter()
        .map(|(_, n)| n.rsplit(|c: char| !c.is_ascii_digit()).next().unwrap().parse().unwrap())
        .collect();
    seqs.sort_unstable();
    assert_eq!(seqs, (1..=(CLIENTS * EACH) as u64).collect::<Vec<_>>(), "{made:?}");

    // Killed (SIGKILL) at once, then started again on the same data.
    drop(server);
    let store = Store::local(&data.path().join("store")).unwrap();
    let mut leaves: HashMap<String, usize> = HashMap::new();
    for key in store.list(LEAVES_PREFIX).await.unwrap() {
        let leaf = SealLeaf::parse(&store.get(&key).await.unwrap().unwrap()).unwrap();
        *leaves.entry(leaf.id.to_string()).or_default() += 1;
    }
    assert!(made.iter().all(|(id, _)| leaves.get(id) == Some(&1)), "one leaf per act: {leaves:?}");
    let out = acta_in(data.path(), &["audit"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    let server = serve(data.path()).await;
    for (id, number) in &made {
        let hit = found(&client, &server.base, number).await.expect("still searchable after a kill");
        assert_eq!(hit["id"].as_str(), Some(id.as_str()));
    }
}
