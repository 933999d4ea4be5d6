//! Issue #8: a scoped token never sees another collectivité's acts, PDFs,
//! search hits, facet counts or audit entries; revoked and expired tokens are
//! refused at once (a token revoked by another process, such as the real
//! `acta tokens` command, within `http.token_revocation_recheck_ms`).

use acta::auth::{Role, TokenRequest, Tokens};
use acta::config::Settings;
use reqwest::StatusCode;
use serde_json::Value;

use crate::access::{FOREIGN, OWN, request_for};
use crate::helpers::{acta_ok as acta, client_with, spawn_app};

async fn get(client: &reqwest::Client, url: String) -> (StatusCode, Value) {
    let r = client.get(url).send().await.unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// A problem body without what differs between two requests anyway.
fn problem(mut v: Value) -> Value {
    v.as_object_mut().map(|o| o.remove("instance"));
    v
}

#[tokio::test]
async fn a_secretaire_never_sees_another_collectivite_not_even_in_counts() {
    let app = spawn_app().await;
    let mine = app.create(&request_for(OWN)).await["id"].as_str().unwrap().to_owned();
    let theirs = app.create(&request_for(FOREIGN)).await["id"].as_str().unwrap().to_owned();
    let (_, sealed) = app.seal(&theirs).await;
    let secretaire = client_with(&app.token(Role::Secretaire, &[OWN]).await);

    // Their act and its PDF answer exactly like an act that does not exist.
    let unknown = "01900000-0000-7000-8000-000000000000";
    for suffix in ["", "/pdf"] {
        let (s1, theirs_body) = get(&secretaire, app.url(&format!("/api/v1/acts/{theirs}{suffix}"))).await;
        let (s2, unknown_body) = get(&secretaire, app.url(&format!("/api/v1/acts/{unknown}{suffix}"))).await;
        assert_eq!((s1, s2), (StatusCode::NOT_FOUND, StatusCode::NOT_FOUND));
        assert_eq!(problem(theirs_body), problem(unknown_body));
    }
    let r = secretaire.post(app.url(&format!("/api/v1/acts/{theirs}/seal"))).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let (status, _) = get(&secretaire, app.url(&format!("/api/v1/acts/{mine}"))).await;
    assert_eq!(status, StatusCode::OK);

    // Search: hits, total and every facet count stay within her commune, even
    // when she asks for the other one by filter or by its act number.
    let number = sealed["number"].as_str().unwrap();
    for query in ["", "arrete", number, FOREIGN] {
        for filter in ["", FOREIGN] {
            let url = app.url(&format!("/api/v1/search?q={query}&collectivite={filter}"));
            let url = if filter.is_empty() { url.replace("&collectivite=", "") } else { url };
            let (status, found) = get(&secretaire, url).await;
            assert_eq!(status, StatusCode::OK, "{found:#}");
            let text = found.to_string();
            assert!(!text.contains(FOREIGN) && !text.contains(&theirs), "{query}/{filter} leaks: {found:#}");
            let total = found["total"].as_u64().unwrap();
            let counted: u64 = found["facets"]["collectivite"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["count"].as_u64().unwrap())
                .sum();
            assert_eq!(total, counted, "{found:#}");
        }
    }
    // Creating an act for the other commune answers like an unknown SIREN.
    let r = secretaire.post(app.url("/api/v1/acts")).json(&request_for(FOREIGN)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(r.json::<Value>().await.unwrap()["code"], "collectivite_not_found");
}

#[tokio::test]
async fn a_lecteur_finds_sealed_acts_only_and_no_personal_data() {
    let app = spawn_app().await;
    let draft = app.create(&request_for(OWN)).await["id"].as_str().unwrap().to_owned();
    let sealed = app.create(&request_for(OWN)).await["id"].as_str().unwrap().to_owned();
    app.seal(&sealed).await;
    let lecteur = client_with(&app.token(Role::Lecteur, &[OWN]).await);
    let (_, found) = get(&lecteur, app.url("/api/v1/search")).await;
    assert_eq!(found["total"], 1, "{found:#}");
    assert_eq!(found["hits"][0]["id"], sealed.as_str());
    assert!(found["hits"][0]["agent"].is_null(), "{found:#}");
    assert!(!found.to_string().contains("Cœurdevey") && !found.to_string().contains("A-00417"), "{found:#}");
    assert!(!found.to_string().contains(&draft));
    let statuses: Vec<&str> =
        found["facets"]["status"].as_array().unwrap().iter().map(|f| f["value"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["sealed"]);
    let (status, _) = get(&lecteur, app.url("/api/v1/search?q=agent:Cœurdevey")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "agent is not a field a lecteur may search");

    // Nor does the act itself name the agent to a lecteur or an archiviste
    // (its PDF does: that is the act); those who write acts see the full title.
    let archiviste = client_with(&app.token(Role::Archiviste, &[OWN]).await);
    for (who, client) in [("lecteur", &lecteur), ("archiviste", &archiviste)] {
        let (status, act) = get(client, app.url(&format!("/api/v1/acts/{sealed}"))).await;
        assert_eq!(status, StatusCode::OK, "{who}: {act:#}");
        assert!(!act.to_string().contains("Cœurdevey"), "{who} sees the agent: {act:#}");
        assert!(act["title"].as_str().unwrap().starts_with("Arrêté portant"), "{act:#}");
    }
    let gestionnaire = client_with(&app.token(Role::Gestionnaire, &[OWN]).await);
    let (_, act) = get(&gestionnaire, app.url(&format!("/api/v1/acts/{sealed}"))).await;
    assert!(
        act["title"].as_str().unwrap().contains("CŒURDEVEY") || act.to_string().contains("Cœurdevey"),
        "{act:#}"
    );
}

#[tokio::test]
async fn the_audit_trail_names_who_did_what_and_only_admins_read_it() {
    let app = spawn_app().await;
    let token = app.token(Role::Secretaire, &[OWN]).await;
    let secretaire = client_with(&token);
    let r = secretaire.post(app.url("/api/v1/acts")).json(&request_for(OWN)).send().await.unwrap();
    let request_id = r.headers()["x-request-id"].to_str().unwrap().to_owned();
    let id = r.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    let r = secretaire.post(app.url(&format!("/api/v1/acts/{id}/seal"))).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);

    let (status, _) = get(&secretaire, app.url("/api/v1/audit")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, page) = get(&app.client, app.url(&format!("/api/v1/audit?collectivite={OWN}"))).await;
    assert_eq!(status, StatusCode::OK, "{page:#}");
    let entries = page["entries"].as_array().unwrap();
    let create = entries.iter().find(|e| e["action"] == "act.create").expect("act.create recorded");
    let token_id = token.split('_').nth(1).unwrap();
    assert_eq!(create["token_id"], token_id);
    assert_eq!(create["role"], "secretaire");
    assert_eq!(create["act"], id.as_str());
    assert_eq!(create["request_id"], request_id.as_str());
    assert!(entries.iter().any(|e| e["action"] == "act.seal" && e["act"] == id.as_str()));
    assert!(!page.to_string().contains(token.rsplit('_').next().unwrap()), "a secret leaked into the trail");
    let (_, other) = get(&app.client, app.url(&format!("/api/v1/audit?collectivite={FOREIGN}"))).await;
    assert_eq!(other["entries"], serde_json::json!([]));
}

#[tokio::test]
async fn revoked_and_expired_tokens_are_refused_at_once() {
    let app = spawn_app().await;
    let token = app.token(Role::Gestionnaire, &[OWN]).await;
    let client = client_with(&token);
    assert_eq!(get(&client, app.url("/api/v1/templates")).await.0, StatusCode::OK);
    let id = token.split('_').nth(1).unwrap();
    let r = app.client.post(app.url(&format!("/api/v1/tokens/{id}/revoke"))).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let (status, body) = get(&client, app.url("/api/v1/templates")).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("unauthenticated")));

    // A token whose validity ended a minute ago.
    let past = time::OffsetDateTime::now_utc() - time::Duration::hours(1);
    let req = TokenRequest {
        role: Role::Admin,
        collectivites: vec![],
        expires_at: past + time::Duration::minutes(59),
    };
    let (_, expired) = Tokens::new(app.store.clone()).create(&req, |_| true, past).await.unwrap();
    let (status, body) = get(&client_with(&expired.expose()), app.url("/api/v1/templates")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(body["detail"].as_str().unwrap().contains("expiré"), "{body:#}");
}

#[tokio::test]
async fn a_token_made_by_the_cli_is_honoured_by_a_running_server_until_the_cli_revokes_it() {
    let app = spawn_app().await;
    let dir = app.data_dir.path();
    let next_year = (time::OffsetDateTime::now_utc() + time::Duration::days(365)).date().to_string();
    let out = acta(
        dir,
        &["tokens", "create", "--role", "secretaire", "--collectivite", OWN, "--expires", &next_year],
    );
    let token = out.lines().last().unwrap().to_owned();
    assert!(token.starts_with("acta_") && !token.contains(' '), "{out}");
    let client = client_with(&token);
    let r = client.post(app.url("/api/v1/acts")).json(&request_for(OWN)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);

    let id = token.split('_').nth(1).unwrap();
    let listed = acta(dir, &["tokens", "list"]);
    let line = listed.lines().find(|l| l.starts_with(id)).expect(&listed);
    assert!(line.contains("secretaire") && line.contains(OWN) && !line.contains("révoqué"), "{line}");
    assert!(!listed.contains(token.rsplit('_').next().unwrap()), "list shows no secret");

    // Revoked by another process: refused within the documented bound
    // (`http.token_revocation_recheck_ms`), and from then on.
    acta(dir, &["tokens", "revoke", id]);
    let revoked = std::time::Instant::now();
    let bound = std::time::Duration::from_millis(Settings::default().http.token_revocation_recheck_ms);
    loop {
        let sent = revoked.elapsed();
        if get(&client, app.url("/api/v1/templates")).await.0 != StatusCode::OK {
            break;
        }
        assert!(sent < bound, "a revoked token still honoured {sent:?} after its revocation");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(get(&client, app.url("/api/v1/templates")).await.0, StatusCode::UNAUTHORIZED);
    assert!(acta(dir, &["tokens", "list"]).lines().any(|l| l.starts_with(id) && l.contains("révoqué")));
}

#[tokio::test]
async fn a_revocation_recheck_interval_over_a_minute_stops_the_start_up_naming_the_setting() {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = crate::helpers::test_settings(dir.path());
    settings.http.token_revocation_recheck_ms = 60_001;
    let e = acta::startup::Application::build(settings).await.expect_err("refused");
    assert!(e.to_string().contains("http.token_revocation_recheck_ms"), "{e}");
}
