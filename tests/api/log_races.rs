//! Issue #13, item 9: one register-log leaf per act whatever the races, and
//! an audit that reports an act logged twice.

use std::collections::HashMap;

use acta::store::Store;
use acta::tlog::SealLeaf;
use acta::tlog::log::{LEAVES_PREFIX, leaf_key};
use reqwest::StatusCode;
use serde_json::Value;

use crate::access::{OWN, request_for};
use crate::helpers::{acta_in, spawn_app, spawn_with, test_settings};

/// Every seal leaf of the log in `store`, counted per act.
async fn leaves_per_act(store: &Store) -> HashMap<String, usize> {
    let mut per_act = HashMap::new();
    for key in store.list(LEAVES_PREFIX).await.unwrap() {
        let bytes = store.get(&key).await.unwrap().unwrap();
        if let Ok(leaf) = SealLeaf::parse(&bytes) {
            *per_act.entry(leaf.id.to_string()).or_insert(0) += 1;
        }
    }
    per_act
}

/// Two servers (two `Application`s, each with its own index and caches)
/// share one store, and every draft is sealed through both at the same
/// instant, all drafts at once.
#[tokio::test]
async fn two_servers_sealing_the_same_drafts_at_once_log_each_act_once() {
    const DRAFTS: usize = 20;
    let app = spawn_app().await;
    let other_dir = tempfile::tempdir().unwrap();
    let mut settings = test_settings(other_dir.path());
    settings.store = Some(format!("file://{}", app.data_dir.path().join("store").display()));
    let other = spawn_with(settings).await;
    let mut ids = Vec::new();
    for _ in 0..DRAFTS {
        ids.push(app.create(&request_for(OWN)).await["id"].as_str().unwrap().to_owned());
    }
    let seal = |base: String, id: String| {
        let client = app.client.clone();
        async move {
            let r = client.post(format!("{base}/api/v1/acts/{id}/seal")).send().await.unwrap();
            let status = r.status();
            (status, r.json::<Value>().await.unwrap())
        }
    };
    let both = ids.iter().map(|id| {
        let (a, b) = (seal(app.base.clone(), id.clone()), seal(other.clone(), id.clone()));
        async move { tokio::join!(a, b) }
    });
    for ((sa, a), (sb, b)) in futures::future::join_all(both).await {
        assert_eq!((sa, sb), (StatusCode::OK, StatusCode::OK), "{a:#}\n{b:#}");
        assert_eq!(a["number"], b["number"], "one number per act, whichever server answers");
    }
    let store = Store::local(&app.data_dir.path().join("store")).unwrap();
    let per_act = leaves_per_act(&store).await;
    for id in &ids {
        assert_eq!(per_act.get(id), Some(&1), "act {id}: one leaf, whatever the race");
    }
    let out = acta_in(app.data_dir.path(), &["audit"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
}

/// A second leaf for a sealed act, planted through the library as a buggy
/// or malicious writer would: `acta audit` names it and fails.
#[tokio::test]
async fn the_audit_reports_an_act_logged_twice() {
    let app = spawn_app().await;
    let id = app.create(&request_for(OWN)).await["id"].as_str().unwrap().to_owned();
    let (status, act) = app.seal(&id).await;
    assert_eq!(status, StatusCode::OK, "{act:#}");
    let out = acta_in(app.data_dir.path(), &["audit"]);
    assert!(out.status.success(), "clean before: {}", String::from_utf8_lossy(&out.stdout));

    let (_, proof) = app.get_json(&format!("/api/v1/acts/{id}/proof")).await;
    let index = proof["leaf_index"].as_u64().unwrap();
    let store = Store::local(&app.data_dir.path().join("store")).unwrap();
    let leaf = store.get(&leaf_key(index)).await.unwrap().unwrap();
    let next = store.list(LEAVES_PREFIX).await.unwrap().len() as u64;
    store.create(&leaf_key(next), leaf).await.unwrap();

    let out = acta_in(app.data_dir.path(), &["audit"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "the audit must fail: {stdout}");
    let line = stdout.lines().find(|l| l.starts_with("leaf_duplicate")).unwrap_or_else(|| panic!("{stdout}"));
    assert!(line.contains(&id) && line.contains(&format!("{index} and {next}")), "{line}");
    assert!(line.contains(act["number"].as_str().unwrap()), "{line}");
}
