//! Issue #8: every route of the router × every role × own / foreign
//! collectivité answers what the access matrix of docs/api.md says.
//!
//! The routes come from the router's own table (`acta::http::routes`); the
//! expected statuses are written here, independently of the code's matrix. A
//! route this file does not know fails the walk: a new route needs its access
//! rule (in the table) *and* its expected answers (here).

use acta::auth::Role;
use acta::http::access::Access;
use acta::http::routes::{Route, routes};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, client_with, fixture, spawn_app};

pub const OWN: &str = "216295105";
pub const FOREIGN: &str = "216296202";
const T: &str = "arrete-avancement-echelon";

/// The fixture request for `siren`.
pub fn request_for(siren: &str) -> Value {
    let mut body = fixture(T);
    body["collectivite"] = json!(siren);
    body
}

/// Acts of one collectivité: a draft left as is, a sealed act, a draft
/// that the walk seals.
struct Acts {
    draft: String,
    sealed: String,
    to_seal: String,
}

async fn acts_of(app: &TestApp, siren: &str) -> Acts {
    let mut id = Vec::new();
    for _ in 0..3 {
        id.push(app.create(&request_for(siren)).await["id"].as_str().unwrap().to_owned());
    }
    let (status, body) = app.seal(&id[1]).await;
    assert_eq!(status, StatusCode::OK, "{body:#}");
    Acts { draft: id[0].clone(), sealed: id[1].clone(), to_seal: id[2].clone() }
}

/// Which of a side's acts a request concerns.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Subject {
    None,
    Draft,
    Sealed,
}

/// The requests that exercise `route` for collectivité `siren`.
async fn requests(
    app: &TestApp,
    route: &Route,
    siren: &str,
    acts: &Acts,
) -> Vec<(Subject, Method, String, Option<Value>)> {
    let m = route.method.clone();
    let one = |path: String, body: Option<Value>| vec![(Subject::None, m.clone(), path, body)];
    match route.path {
        "/api/v1/tokens" if m == Method::POST => {
            let expires = (time::OffsetDateTime::now_utc() + time::Duration::days(1))
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap();
            one(
                route.path.into(),
                Some(json!({"role": "lecteur", "collectivites": [siren], "expires_at": expires})),
            )
        }
        "/health" | "/api/v1/openapi.json" | "/api/v1/templates" | "/api/v1/tokens" => {
            one(route.path.into(), None)
        }
        "/api/v1/search" => one(format!("/api/v1/search?collectivite={siren}"), None),
        "/api/v1/audit" => one(format!("/api/v1/audit?collectivite={siren}"), None),
        "/api/v1/acts" => one(route.path.into(), Some(request_for(siren))),
        "/api/v1/acts/{id}" | "/api/v1/acts/{id}/pdf" => {
            [(Subject::Draft, &acts.draft), (Subject::Sealed, &acts.sealed)]
                .into_iter()
                .map(|(s, id)| (s, m.clone(), route.path.replace("{id}", id), None))
                .collect()
        }
        "/api/v1/acts/{id}/seal" => {
            vec![(Subject::Draft, m, route.path.replace("{id}", &acts.to_seal), None)]
        }
        "/api/v1/acts/{id}/proof" => [(Subject::Draft, &acts.draft), (Subject::Sealed, &acts.sealed)]
            .into_iter()
            .map(|(s, id)| (s, m.clone(), route.path.replace("{id}", id), None))
            .collect(),
        // A draft cannot be withdrawn: the walk changes nothing, yet the
        // access rule is decided before the service says so.
        "/api/v1/acts/{id}/withdraw" => {
            let path = route.path.replace("{id}", &acts.draft);
            vec![(Subject::Draft, m, path, Some(json!({"motif": "error"})))]
        }
        "/api/v1/verify" => one(route.path.into(), Some(json!({"sha256": "0".repeat(64)}))),
        "/api/v1/log/checkpoint" | "/api/v1/log/key" => one(route.path.into(), None),
        "/api/v1/log/tile/{*path}" => one("/api/v1/log/tile/0/000".into(), None),
        "/api/v1/transfers" if m == Method::GET => {
            one(format!("/api/v1/transfers?collectivite={siren}"), None)
        }
        "/api/v1/transfers" => {
            one(route.path.into(), Some(json!({"collectivite": siren, "acts": [acts.sealed]})))
        }
        "/api/v1/quarantine" => one(route.path.into(), None),
        "/api/v1/quarantine/{id}" | "/api/v1/quarantine/{id}/xml" | "/api/v1/quarantine/{id}/acknowledge" => {
            let id = quarantine_of(app, siren, &acts.sealed).await;
            let body = (m == Method::POST).then(|| json!({"note": "traitée"}));
            one(route.path.replace("{id}", &id), body)
        }
        "/api/v1/transfers/{id}" | "/api/v1/transfers/{id}/sip" => {
            one(route.path.replace("{id}", &transfer_of(app, siren, &acts.sealed).await), None)
        }
        // A raw XML body (a JSON string is sent as is): Vitam's KO reply,
        // naming the transfer (a reply that names none settles nothing).
        "/api/v1/transfers/{id}/reply" => {
            let transfer = transfer_of(app, siren, &acts.sealed).await;
            let xml = crate::transfers::reply_fixture("atr-ko-vitam.xml").replace(
                "<MessageRequestIdentifier></MessageRequestIdentifier>",
                &format!("<MessageRequestIdentifier>{transfer}</MessageRequestIdentifier>"),
            );
            one(route.path.replace("{id}", &transfer), Some(Value::String(xml)))
        }
        "/api/v1/tokens/{token}/revoke" => {
            let victim = app.token(Role::Lecteur, &[siren]).await;
            let id = victim.split('_').nth(1).unwrap().to_owned();
            one(route.path.replace("{token}", &id), None)
        }
        "/api/v1/campaigns" => {
            let line = serde_json::to_string(&request_for(siren)).unwrap();
            one("/api/v1/campaigns?name=vague.jsonl&dry_run=true".into(), Some(Value::String(line)))
        }
        "/api/v1/campaigns/{id}"
        | "/api/v1/campaigns/{id}/run"
        | "/api/v1/campaigns/{id}/cancel"
        | "/api/v1/campaigns/{id}/export"
        | "/api/v1/campaigns/{id}/samples"
        | "/api/v1/campaigns/{id}/samples/{line}" => {
            // The campaign's one row is line 1 of its JSON Lines file.
            let path = route.path.replace("{id}", &campaign_of(app, siren).await).replace("{line}", "1");
            let path = if path.ends_with("/export") { format!("{path}?collectivite={siren}") } else { path };
            one(path, None)
        }
        "/api/v1/campaigns/mappings/{template}" => {
            let mapping: Value = serde_json::from_slice(
                &std::fs::read(crate::helpers::repo_path(
                    "fixtures/campaigns/arrete-avancement-echelon.mapping.json",
                ))
                .unwrap(),
            )
            .unwrap();
            if m == Method::GET {
                let put = app.client.put(app.url(&route.path.replace("{template}", T))).json(&mapping);
                assert_eq!(put.send().await.unwrap().status(), StatusCode::OK);
            }
            let body = if m == Method::PUT { Some(mapping) } else { None };
            one(route.path.replace("{template}", T), body)
        }
        other => panic!("no request for route {} {other}: add one to tests/api/access.rs", route.method),
    }
}

/// A fresh campaign (recorded by the administrator, not run) of one act of `siren`.
async fn campaign_of(app: &TestApp, siren: &str) -> String {
    let line = serde_json::to_string(&request_for(siren)).unwrap();
    let resp =
        app.client.post(app.url("/api/v1/campaigns?name=vague.jsonl")).body(line).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    let body: Value = resp.json().await.unwrap();
    body["campagne"]["id"].as_str().unwrap().to_owned()
}

/// A reply naming no transfer, posted by the administrator to a fresh
/// transfer of `act` of `siren`: the id of its place in quarantine.
async fn quarantine_of(app: &TestApp, siren: &str, act: &str) -> String {
    let transfer = transfer_of(app, siren, act).await;
    let xml = crate::transfers::reply_fixture("atr-ko-vitam.xml")
        .replace("aeeaaaaaachk7bs6abo3walwa3jx6vyaaaaq", &format!("op-{}", uuid::Uuid::now_v7()));
    let url = app.url(&format!("/api/v1/transfers/{transfer}/reply"));
    let r = app.client.post(url).header("content-type", "application/xml").body(xml).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    r.json::<Value>().await.unwrap()["quarantine"]["id"].as_str().unwrap().to_owned()
}

/// A fresh transfer (made by the administrator) of sealed act `act` of `siren`.
async fn transfer_of(app: &TestApp, siren: &str, act: &str) -> String {
    let body = json!({"collectivite": siren, "acts": [act]});
    let r = app.client.post(app.url("/api/v1/transfers")).json(&body).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    r.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned()
}

/// The answer docs/api.md promises. Every non-admin token of the walk acts
/// for OWN only. Public routes are not listed: they answer every role as
/// they answer a caller without a token.
fn expected(route: &Route, role: Role, own: bool, subject: Subject) -> StatusCode {
    use Role::*;
    let in_scope = own || role == Admin;
    let writes = matches!(role, Admin | Gestionnaire | Secretaire);
    let archives = matches!(role, Admin | Archiviste);
    let found = |ok: StatusCode| if in_scope { ok } else { StatusCode::NOT_FOUND };
    match (route.method.as_str(), route.path) {
        ("GET", "/api/v1/templates" | "/api/v1/search") => StatusCode::OK,
        ("POST", "/api/v1/acts") if !writes => StatusCode::FORBIDDEN,
        ("POST", "/api/v1/acts") => found(StatusCode::CREATED),
        ("GET", "/api/v1/acts/{id}" | "/api/v1/acts/{id}/pdf")
            if role == Lecteur && subject == Subject::Draft =>
        {
            StatusCode::NOT_FOUND
        }
        ("GET", "/api/v1/acts/{id}" | "/api/v1/acts/{id}/pdf") => found(StatusCode::OK),
        ("POST", "/api/v1/acts/{id}/seal") if !writes => StatusCode::FORBIDDEN,
        ("POST", "/api/v1/acts/{id}/seal") => found(StatusCode::OK),
        // A draft has no proof yet: no role finds one.
        ("GET", "/api/v1/acts/{id}/proof") if subject == Subject::Draft => StatusCode::NOT_FOUND,
        ("GET", "/api/v1/acts/{id}/proof") => found(StatusCode::OK),
        (
            _,
            "/api/v1/transfers"
            | "/api/v1/transfers/{id}"
            | "/api/v1/transfers/{id}/sip"
            | "/api/v1/transfers/{id}/reply",
        ) if !archives => StatusCode::FORBIDDEN,
        ("POST", "/api/v1/transfers") => found(StatusCode::CREATED),
        // The list is limited to the scope: another collectivité's is empty.
        ("GET", "/api/v1/transfers") => StatusCode::OK,
        (_, p) if p.starts_with("/api/v1/quarantine") && !archives => StatusCode::FORBIDDEN,
        ("GET", "/api/v1/quarantine") => StatusCode::OK,
        ("GET", "/api/v1/quarantine/{id}" | "/api/v1/quarantine/{id}/xml") => found(StatusCode::OK),
        ("POST", "/api/v1/quarantine/{id}/acknowledge") => found(StatusCode::OK),
        ("GET", "/api/v1/transfers/{id}" | "/api/v1/transfers/{id}/sip") => found(StatusCode::OK),
        ("POST", "/api/v1/transfers/{id}/reply") => found(StatusCode::OK),
        ("POST", "/api/v1/acts/{id}/withdraw") if !writes => StatusCode::FORBIDDEN,
        ("POST", "/api/v1/acts/{id}/withdraw") => found(StatusCode::CONFLICT),
        (_, "/api/v1/audit" | "/api/v1/tokens" | "/api/v1/tokens/{token}/revoke") if role != Admin => {
            StatusCode::FORBIDDEN
        }
        ("GET", "/api/v1/audit" | "/api/v1/tokens") => StatusCode::OK,
        ("POST", "/api/v1/tokens") => StatusCode::CREATED,
        ("POST", "/api/v1/tokens/{token}/revoke") => StatusCode::NO_CONTENT,
        // Campaigns: admin and gestionnaire; a row outside the scope is a
        // row error of the check, a campaign reaching outside it is unknown.
        (_, p) if p.starts_with("/api/v1/campaigns") && !matches!(role, Admin | Gestionnaire) => {
            StatusCode::FORBIDDEN
        }
        ("POST", "/api/v1/campaigns") if in_scope => StatusCode::OK,
        ("POST", "/api/v1/campaigns") => StatusCode::UNPROCESSABLE_ENTITY,
        (
            "GET",
            "/api/v1/campaigns/{id}"
            | "/api/v1/campaigns/{id}/export"
            | "/api/v1/campaigns/{id}/samples"
            | "/api/v1/campaigns/{id}/samples/{line}",
        ) => found(StatusCode::OK),
        ("POST", "/api/v1/campaigns/{id}/run") => found(StatusCode::ACCEPTED),
        ("POST", "/api/v1/campaigns/{id}/cancel") => found(StatusCode::CONFLICT),
        (_, "/api/v1/campaigns/mappings/{template}") => StatusCode::OK,
        (m, p) => panic!("no expected answer for route {m} {p}: add one to tests/api/access.rs"),
    }
}

/// A request with `body`: a string is sent raw as XML (a SEDA reply), any
/// other value as JSON.
fn request(
    client: &reqwest::Client,
    app: &TestApp,
    method: Method,
    path: &str,
    body: Option<&Value>,
) -> reqwest::RequestBuilder {
    let req = client.request(method, app.url(path));
    match body {
        Some(Value::String(raw)) => req.header("content-type", "application/xml").body(raw.clone()),
        Some(b) => req.json(b),
        None => req,
    }
}

async fn send(
    client: &reqwest::Client,
    app: &TestApp,
    method: Method,
    path: &str,
    body: Option<&Value>,
) -> (StatusCode, String) {
    let r = request(client, app, method, path, body).send().await.unwrap();
    (r.status(), r.text().await.unwrap_or_default())
}

#[tokio::test]
async fn every_route_answers_every_role_for_its_own_and_a_foreign_collectivite_as_documented() {
    let app = spawn_app().await;
    let (own, foreign) = (acts_of(&app, OWN).await, acts_of(&app, FOREIGN).await);
    let mut failures = Vec::new();
    let mut checked = 0;
    for role in Role::ALL {
        let scope: &[&str] = if role == Role::Admin { &[] } else { &[OWN] };
        let client = client_with(&app.token(role, scope).await);
        for route in routes() {
            for (is_own, siren, acts) in [(true, OWN, &own), (false, FOREIGN, &foreign)] {
                for (subject, method, path, body) in requests(&app, &route, siren, acts).await {
                    let want = if route.access == Access::Public {
                        send(&reqwest::Client::new(), &app, method.clone(), &path, body.as_ref()).await.0
                    } else {
                        expected(&route, role, is_own, subject)
                    };
                    let (got, text) = send(&client, &app, method.clone(), &path, body.as_ref()).await;
                    checked += 1;
                    if got != want {
                        failures.push(format!(
                            "{role} {method} {path} ({subject:?}): {got}, expected {want}: {text}"
                        ));
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "{} of {checked} answers differ:\n{}", failures.len(), failures.join("\n"));
    assert!(checked > 100, "only {checked} requests: is the table empty?");
}

#[tokio::test]
async fn without_a_valid_token_only_public_routes_answer() {
    let app = spawn_app().await;
    let acts = acts_of(&app, OWN).await;
    let anonymous = reqwest::Client::new();
    let forged = client_with(&format!("acta_0123456789abcdef_{}", "0".repeat(64)));
    for route in routes() {
        for (_, method, path, body) in requests(&app, &route, OWN, &acts).await {
            for (who, client) in [("anonymous", &anonymous), ("forged", &forged)] {
                let r = request(client, &app, method.clone(), &path, body.as_ref()).send().await.unwrap();
                if route.access == Access::Public {
                    let s = r.status();
                    assert!(s != StatusCode::UNAUTHORIZED && s != StatusCode::FORBIDDEN, "{who} {path}: {s}");
                    continue;
                }
                assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{who} {method} {path}");
                assert_eq!(r.headers()["www-authenticate"], "Bearer realm=\"acta\"");
                assert_eq!(r.headers()["content-type"], "application/problem+json");
                let problem: Value = r.json().await.unwrap();
                assert_eq!(problem["code"], "unauthenticated", "{problem:#}");
            }
        }
    }
}
