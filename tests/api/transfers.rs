//! Issue #7: SEDA transfers over the real HTTP API and the CLI. Acts are
//! sealed through the server, exported by date range, by séance and by the
//! command line; every SIP passes acta's own checks and `xmllint --nonet`
//! against the official SEDA 2.2 XSD (`.tools/seda-xsd`, fetched by
//! `scripts/test.sh`); Vitam and As@lae replies are ingested, bad ones refused.

use std::io::{Cursor, Read};
use std::path::Path;

use acta::auth::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::access::{FOREIGN, OWN, request_for};
use crate::helpers::{TestApp, acta_ok, client_with, fixture, repo_path, spawn_app};

/// Check a SIP with acta's checks and xmllint; returns its manifest.
pub fn validate_sip(sip: &[u8]) -> String {
    let report = acta::seda::check_sip(Cursor::new(sip)).unwrap();
    assert!(report.is_ok(), "{report}");
    let mut manifest = String::new();
    zip::ZipArchive::new(Cursor::new(sip))
        .unwrap()
        .by_name("manifest.xml")
        .unwrap()
        .read_to_string(&mut manifest)
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("manifest.xml");
    std::fs::write(&path, &manifest).unwrap();
    crate::seda::xmllint(&path);
    manifest
}

pub async fn sealed(app: &TestApp, body: &Value) -> String {
    let id = app.create(body).await["id"].as_str().unwrap().to_owned();
    let (status, act) = app.seal(&id).await;
    assert_eq!(status, StatusCode::OK, "{act:#}");
    id
}

pub async fn post(client: &reqwest::Client, app: &TestApp, path: &str, body: &Value) -> (StatusCode, Value) {
    let r = client.post(app.url(path)).json(body).send().await.unwrap();
    (r.status(), r.json().await.unwrap_or(Value::Null))
}

pub async fn reply(app: &TestApp, id: &str, xml: &str) -> (StatusCode, Value) {
    let url = app.url(&format!("/api/v1/transfers/{id}/reply"));
    let r = app.client.post(url).header("content-type", "application/xml").body(xml.to_owned());
    let r = r.send().await.unwrap();
    (r.status(), r.json().await.unwrap())
}

pub async fn sip_of(app: &TestApp, id: &str) -> Vec<u8> {
    let r = app.client.get(app.url(&format!("/api/v1/transfers/{id}/sip"))).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "application/zip");
    r.bytes().await.unwrap().to_vec()
}

pub fn reply_fixture(name: &str) -> String {
    std::fs::read_to_string(repo_path(&format!("fixtures/seda/replies/{name}"))).unwrap()
}

/// A Vitam-style OK: our id in MessageRequestIdentifier, a GUID per unit.
pub fn vitam_ok(transfer: &str, acts: &[&str]) -> String {
    let units: String = acts
        .iter()
        .enumerate()
        .map(|(i, a)| format!(r#"<ArchiveUnit id="AU-{a}"><Content><SystemId>aeaq-guid-{i}</SystemId></Content></ArchiveUnit>"#))
        .collect();
    format!(
        r#"<?xml version="1.0"?><ArchiveTransferReply xmlns="fr:gouv:culture:archivesdefrance:seda:v2.2">
<Date>2026-04-01T10:00:00Z</Date><MessageIdentifier>aeeaaaaaace2txtz</MessageIdentifier>
<DataObjectPackage><DescriptiveMetadata>{units}</DescriptiveMetadata><ManagementMetadata/></DataObjectPackage>
<ReplyCode>OK</ReplyCode><MessageRequestIdentifier>{transfer}</MessageRequestIdentifier>
<GrantDate>2026-04-01T10:00:01Z</GrantDate>
<ArchivalAgency><Identifier>SAE</Identifier></ArchivalAgency><TransferringAgency><Identifier>x</Identifier></TransferringAgency>
</ArchiveTransferReply>"#
    )
}

/// An As@lae-style acceptance: our id in MessageIdentifier, a cote per unit.
fn asalae_ok(transfer: &str, acts: &[String]) -> String {
    let units: String = acts
        .iter()
        .enumerate()
        .map(|(i, a)| format!(r#"<ArchiveUnit id="AU-{a}"><Content><DescriptionLevel>Item</DescriptionLevel><Title>t</Title><ArchivalAgencyArchiveUnitIdentifier>AE_2026_{i}</ArchivalAgencyArchiveUnitIdentifier></Content></ArchiveUnit>"#))
        .collect();
    let xml = reply_fixture("atr-ok-asalae.xml").replace("EXV-SIP-CM-20240912-20241015T110000", transfer);
    let (start, end) =
        (xml.find("<DescriptiveMetadata>").unwrap(), xml.find("</DescriptiveMetadata>").unwrap());
    format!("{}<DescriptiveMetadata>{units}{}", &xml[..start], &xml[end..])
}

pub fn stored(app: &TestApp, prefix: &str) -> Vec<String> {
    let root = app.data_dir.path().join("store");
    let mut out = Vec::new();
    let mut stack = vec![root.join(prefix)];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else { continue };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p)
            } else {
                out.push(p.strip_prefix(&root).unwrap().display().to_string())
            }
        }
    }
    out.sort();
    out
}

#[tokio::test]
async fn a_date_range_transfer_validates_and_vitam_replies_set_its_status() {
    let app = spawn_app().await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(sealed(&app, &request_for(OWN)).await);
    }
    app.create(&request_for(OWN)).await; // a draft: never transferred
    // Selections are in days of Paris (at 23:30 UTC it is already tomorrow there).
    let today = acta::register::day_in_paris(time::OffsetDateTime::now_utc()).to_string();
    let body =
        json!({"collectivite": OWN, "from": today, "to": today, "kinds": ["arrete-avancement-echelon"]});
    let (status, t) = post(&app.client, &app, "/api/v1/transfers", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{t:#}");
    assert_eq!(t["status"], "sent");
    assert_eq!(t["acts"].as_array().unwrap().len(), 3, "{t:#}");
    let tid = t["id"].as_str().unwrap().to_owned();
    let sip = sip_of(&app, &tid).await;
    assert_eq!(t["sip"]["sha256"], acta::domain::Sha256Digest::of(&sip).as_str(), "the SIP as stored");
    assert_eq!(t["sip"]["size"], sip.len());
    let manifest = validate_sip(&sip);
    assert!(manifest.contains(&format!("<MessageIdentifier>{tid}</MessageIdentifier>")));
    assert!(manifest.contains(r#"<MessageDigest algorithm="SHA-512">"#), "Vitam by default");
    for id in &ids {
        assert!(manifest.contains(&format!("<OriginatingSystemId>{id}</OriginatingSystemId>")));
    }
    assert_eq!(manifest.matches("-PREUVE\">").count(), 3 * 3, "a proof unit, group and object per act");
    // Each act's evidence carries its audit trail: who drafted and sealed it.
    let mut zip = zip::ZipArchive::new(Cursor::new(&sip)).unwrap();
    let names: Vec<String> = (0..zip.len())
        .map(|i| zip.by_index(i).unwrap().name().unwrap().into_owned())
        .filter(|n| n.ends_with(".json"))
        .collect();
    assert_eq!(names.len(), 3, "{names:?}");
    for name in names {
        let mut text = String::new();
        zip.by_name(&name).unwrap().read_to_string(&mut text).unwrap();
        let evidence: Value = serde_json::from_str(&text).unwrap();
        let actions: Vec<&str> =
            evidence["journal"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
        assert_eq!(actions, ["act.create", "act.seal"], "{name}: {evidence:#}");
        assert!(evidence["inclusion"].is_array() && evidence["checkpoint"].is_string(), "{evidence:#}");
    }

    // Vitam KO, not XSD-valid (no agencies), naming the transfer.
    let ko = reply_fixture("atr-ko-vitam.xml").replace(
        "<MessageRequestIdentifier></MessageRequestIdentifier>",
        &format!("<MessageRequestIdentifier>{tid}</MessageRequestIdentifier>"),
    );
    let (status, ko) = reply(&app, &tid, &ko).await;
    assert_eq!(status, StatusCode::OK, "{ko:#}");
    assert_eq!(ko["status"], "rejected");
    assert!(ko["outcome"]["reasons"][0].as_str().unwrap().contains("services agents"), "{ko:#}");
    assert!(stored(&app, "acts").iter().all(|k| !k.contains("/archive/")));
    let (status, again) = reply(&app, &tid, &vitam_ok(&tid, &[])).await;
    assert_eq!((status, again["code"].as_str()), (StatusCode::CONFLICT, Some("transfer_settled")));

    // A second transfer of the same acts, accepted.
    let (_, t2) =
        post(&app.client, &app, "/api/v1/transfers", &json!({"collectivite": OWN, "acts": ids})).await;
    let t2id = t2["id"].as_str().unwrap().to_owned();
    validate_sip(&sip_of(&app, &t2id).await);
    let before = [stored(&app, "transfers"), stored(&app, "acts")];
    for (xml, code) in [
        (reply_fixture("malformed-truncated.xml"), "reply_invalid"),
        (reply_fixture("unknown-document.xml"), "reply_invalid"),
        (vitam_ok(&tid, &[]), "reply_not_for_transfer"),
        (reply_fixture("atr-ko-asalae.xml"), "reply_not_for_transfer"),
    ] {
        let (status, problem) = reply(&app, &t2id, &xml).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem:#}");
        assert_eq!(problem["code"], code, "{problem:#}");
    }
    assert_eq!([stored(&app, "transfers"), stored(&app, "acts")], before, "a refused reply changes nothing");
    let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    let (status, ok) = reply(&app, &t2id, &vitam_ok(&t2id, &refs)).await;
    assert_eq!(status, StatusCode::OK, "{ok:#}");
    assert_eq!((ok["status"].as_str(), ok["outcome"]["archived_acts"].as_u64()), (Some("accepted"), Some(3)));
    let (_, shown) = app.get_json(&format!("/api/v1/transfers/{t2id}")).await;
    assert_eq!((shown["status"].as_str(), shown["replies"].as_u64()), (Some("accepted"), Some(1)));
    let record = app.data_dir.path().join(format!("store/acts/{}/archive/{t2id}.json", ids[0]));
    let record: Value = serde_json::from_slice(&std::fs::read(record).unwrap()).unwrap();
    assert_eq!(record["system_ids"][0], "aeaq-guid-0");
    let (_, act) = app.get_json(&format!("/api/v1/acts/{}", ids[0])).await;
    assert_eq!(act["archives"][0]["system_ids"][0], "aeaq-guid-0", "the act shows its archive ids: {act:#}");
}

#[tokio::test]
async fn a_seance_transfer_groups_convocation_deliberations_and_minutes_and_asalae_accepts_it() {
    let app = spawn_app().await;
    let siren = fixture("deliberation")["collectivite"].as_str().unwrap().to_owned();
    let mut acts = vec![sealed(&app, &fixture("convocation-conseil-municipal")).await];
    let mut second = fixture("deliberation");
    second["data"]["numero_ordre"] = json!(2);
    acts.push(sealed(&app, &fixture("deliberation")).await);
    acts.push(sealed(&app, &second).await);
    acts.push(sealed(&app, &fixture("proces-verbal-seance")).await);
    let mut no_seance = fixture("arrete-avancement-echelon");
    no_seance["collectivite"] = json!(siren);
    let outside = sealed(&app, &no_seance).await;

    let body = json!({"collectivite": siren, "seance": "2026-03-12", "profile": "asalae"});
    let (status, t) = post(&app.client, &app, "/api/v1/transfers", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{t:#}");
    let tid = t["id"].as_str().unwrap().to_owned();
    assert_eq!(t["acts"], json!(acts), "convocation, délibérations, minutes in order");
    let manifest = validate_sip(&sip_of(&app, &tid).await);
    assert!(manifest.contains(&format!(r#"<ArchiveUnit id="AU-SEANCE-{siren}-2026-03-12">"#)));
    assert_eq!(manifest.matches("<DescriptionLevel>File</DescriptionLevel>").count(), 1);
    assert!(manifest.contains("xmlenc#sha512"));
    assert!(!manifest.contains(&outside));

    let (status, ok) = reply(&app, &tid, &asalae_ok(&tid, &acts)).await;
    assert_eq!(status, StatusCode::OK, "{ok:#}");
    assert_eq!((ok["status"].as_str(), ok["outcome"]["archived_acts"].as_u64()), (Some("accepted"), Some(4)));
    let record = app.data_dir.path().join(format!("store/acts/{}/archive/{tid}.json", acts[3]));
    let record: Value = serde_json::from_slice(&std::fs::read(record).unwrap()).unwrap();
    assert_eq!(record["archival_agency_ids"][0], "AE_2026_3");
}

#[tokio::test]
async fn a_transfer_is_invisible_to_an_archiviste_of_another_collectivite() {
    let app = spawn_app().await;
    let id = sealed(&app, &request_for(OWN)).await;
    let own = client_with(&app.token(Role::Archiviste, &[OWN]).await);
    let (status, t) =
        post(&own, &app, "/api/v1/transfers", &json!({"collectivite": OWN, "acts": [id]})).await;
    assert_eq!(status, StatusCode::CREATED, "{t:#}");
    let tid = t["id"].as_str().unwrap();
    let foreign = client_with(&app.token(Role::Archiviste, &[FOREIGN]).await);
    for path in [format!("/api/v1/transfers/{tid}"), format!("/api/v1/transfers/{tid}/sip")] {
        let r = foreign.get(app.url(&path)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
        assert_eq!(r.json::<Value>().await.unwrap()["code"], "transfer_not_found");
        assert_eq!(own.get(app.url(&path)).send().await.unwrap().status(), StatusCode::OK, "{path}");
    }
    let r = foreign.post(app.url(&format!("/api/v1/transfers/{tid}/reply"))).body(vitam_ok(tid, &[]));
    assert_eq!(r.send().await.unwrap().status(), StatusCode::NOT_FOUND);
    let (status, p) =
        post(&foreign, &app, "/api/v1/transfers", &json!({"collectivite": OWN, "acts": [id]})).await;
    assert_eq!((status, p["code"].as_str()), (StatusCode::NOT_FOUND, Some("collectivite_not_found")));
    let (status, p) =
        post(&own, &app, "/api/v1/transfers", &json!({"collectivite": OWN, "seance": "2026-01-01"})).await;
    assert_eq!((status, p["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("selection_empty")));
}

#[tokio::test]
async fn the_cli_exports_a_valid_sip_and_ingests_a_reply() {
    let app = spawn_app().await;
    let id = sealed(&app, &request_for(OWN)).await;
    let out = app.data_dir.path().join("export.zip");
    let run = |args: &[&str]| acta_ok(app.data_dir.path(), args);
    let printed = run(&[
        "archive",
        "export",
        "--collectivite",
        OWN,
        "--act",
        &id,
        "--profile",
        "asalae",
        "--out",
        path(&out),
    ]);
    let manifest = validate_sip(&std::fs::read(&out).unwrap());
    let tid = printed.split_whitespace().nth(1).unwrap().to_owned();
    assert!(manifest.contains(&format!("<MessageIdentifier>{tid}</MessageIdentifier>")), "{printed}");
    let reply_file = app.data_dir.path().join("reply.xml");
    std::fs::write(&reply_file, vitam_ok(&tid, &[&id])).unwrap();
    let printed = run(&["archive", "reply", &tid, path(&reply_file)]);
    assert!(printed.contains("accepté"), "{printed}");
    let (_, t) = app.get_json(&format!("/api/v1/transfers/{tid}")).await;
    assert_eq!(t["status"], "accepted", "{t:#}");
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}
