//! Issue #13 (item 4): bounded, fair rendering. A draft over the page limit
//! or the render time budget is refused with a 422 that names the limit, a
//! body over the size limit with a 413, and nothing of them is stored; long
//! drafts of one collectivité queue behind each other, not in front of
//! another collectivité's one-page acts.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use acta::auth::Role;
use acta::config::Settings;
use acta::service::Acta;
use acta::startup::Application;
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{client_with, fixture, stored_acts, test_settings, token_for};

/// A server with `settings`; its base URL, an administrator client, the core.
async fn serve(settings: Settings) -> (String, reqwest::Client, Arc<Acta>) {
    let app = Application::build(settings).await.expect("application builds");
    let base = format!("http://{}", app.local_addr());
    let acta = app.acta();
    let token = token_for(acta.store(), Role::Admin, &[]).await;
    tokio::spawn(app.run_until_stopped());
    (base, client_with(&token), acta)
}

async fn post(client: &reqwest::Client, base: &str, body: &Value) -> (StatusCode, Value) {
    let r = client.post(format!("{base}/api/v1/acts")).json(body).send().await.unwrap();
    let status = r.status();
    (status, r.json().await.unwrap())
}

/// The procès-verbal fixture with its first `affaires` affaires of a long
/// minutes (one long report each, no discussion): about half a page each.
fn minutes(doc: usize, affaires: usize) -> Value {
    let mut body = acta::bench::long_minutes(&fixture("proces-verbal-seance"), doc, 0);
    body["data"]["affaires"].as_array_mut().unwrap().truncate(affaires);
    body
}

#[tokio::test]
async fn a_draft_over_the_page_limit_is_refused_naming_the_limit_and_a_one_page_act_passes() {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = test_settings(dir.path());
    settings.render.max_pages = 1;
    let (base, client, _) = serve(settings).await;

    // Laid out, then refused before its PDF is written: the count is known.
    let (status, problem) = post(&client, &base, &fixture("proces-verbal-seance")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem:#}");
    assert_eq!(problem["code"], "too_many_pages");
    let detail = problem["detail"].as_str().unwrap();
    assert!(detail.contains("limite de 1 pages par acte") && detail.contains("compterait"), "{detail}");
    assert_eq!(problem["errors"][0]["path"], "/data");

    // So long that it cannot fit: refused without being laid out.
    let (status, problem) = post(&client, &base, &minutes(0, 60)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem:#}");
    assert_eq!(problem["code"], "too_many_pages");
    assert!(problem["detail"].as_str().unwrap().contains("trop long pour tenir"), "{problem:#}");
    assert!(stored_acts(dir.path()).is_empty(), "a refused draft was stored");

    let (status, act) = post(&client, &base, &fixture("arrete-avancement-echelon")).await;
    assert_eq!(status, StatusCode::CREATED, "{act:#}");
}

#[tokio::test]
async fn a_long_draft_over_the_size_limit_is_refused_with_413_before_any_render() {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = test_settings(dir.path());
    settings.max_body_bytes = 64 * 1024;
    let (base, client, acta) = serve(settings).await;
    let body = minutes(0, 60);
    assert!(body.to_string().len() > 64 * 1024);
    let (status, problem) = post(&client, &base, &body).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{problem:#}");
    assert_eq!(problem["code"], "payload_too_large");
    assert_eq!(acta.render_load(), (0, 0, 0));
    assert!(stored_acts(dir.path()).is_empty());
}

#[tokio::test]
async fn a_render_over_its_time_budget_is_abandoned_with_422_and_nothing_stored() {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = test_settings(dir.path());
    settings.render.time_budget_ms = 1;
    let (base, client, _) = serve(settings).await;
    let (status, problem) = post(&client, &base, &minutes(0, 20)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem:#}");
    assert_eq!(problem["code"], "render_too_long");
    assert!(problem["detail"].as_str().unwrap().contains("délai de 0,001 s"), "{problem:#}");
    assert!(stored_acts(dir.path()).is_empty());
}

#[tokio::test]
async fn a_one_page_act_is_not_queued_behind_another_collectivites_long_drafts() {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = test_settings(dir.path());
    // Two render slots, one of them for long drafts; a draft of 3 pages or
    // more is long.
    settings.render.slots = Some(2);
    settings.render.heavy_slots = Some(1);
    settings.render.heavy_pages = 3;
    let (base, client, acta) = serve(settings).await;
    let long = minutes(0, 30);
    let one_page = fixture("arrete-avancement-echelon");
    assert_ne!(long["collectivite"], one_page["collectivite"]);

    let done = Arc::new(Mutex::new(Vec::new()));
    let send = |name: String, body: Value| {
        let (client, base, done) = (client.clone(), base.clone(), Arc::clone(&done));
        tokio::spawn(async move {
            let (status, act) = post(&client, &base, &body).await;
            assert_eq!(status, StatusCode::CREATED, "{name}: {act:#}");
            done.lock().unwrap().push(name);
        })
    };
    let long_drafts: Vec<_> = (0..4).map(|i| send(format!("A{i}"), minutes(i, 30))).collect();
    // Collectivité A's long drafts: one renders, the others wait behind it.
    let mut waited = 0;
    while acta.render_load().2 < 3 {
        tokio::time::sleep(Duration::from_millis(5)).await;
        waited += 1;
        assert!(waited < 2_000, "A's drafts never queued: {:?}", acta.render_load());
    }
    assert_eq!(acta.render_load(), (1, 1, 3));
    send("B".into(), one_page).await.unwrap();
    for d in long_drafts {
        d.await.unwrap();
    }
    let order = done.lock().unwrap().clone();
    let before_b = order.iter().position(|n| n == "B").unwrap();
    assert!(before_b <= 1, "B's one-page act waited for A's queued drafts: {order:?}");
}
