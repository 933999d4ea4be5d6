//! The archivist's side of transfers: replies that name no transfer within
//! reach are kept in quarantine (listed in scope, downloadable,
//! acknowledged, bounded) and change no transfer (issue #13, item 6); the
//! transfers list pages through its summary index; and the whole flow in
//! the pages, as an archivist does it: selection, sending, the SIP checked
//! with xmllint against the official SEDA 2.2 XSD, an acknowledgement, a
//! stray reply, the verdict.

use acta::auth::Role;
use acta::config::Settings;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::access::{FOREIGN, OWN};
use crate::helpers::{TestApp, client_with, fixture, spawn_app, spawn_on, test_settings};
use crate::transfers::{post, reply, reply_fixture, sealed, sip_of, stored, validate_sip};
use crate::web::{Visitor, cli_user};

/// A transfer of sealed act `act` of `siren`, made by the administrator.
async fn transfer(app: &TestApp, siren: &str, act: &str) -> String {
    let (status, t) =
        post(&app.client, app, "/api/v1/transfers", &json!({"collectivite": siren, "acts": [act]})).await;
    assert_eq!(status, StatusCode::CREATED, "{t:#}");
    t["id"].as_str().unwrap().to_owned()
}

/// Vitam's KO naming no transfer, with its own operation id `op`.
fn vitam_ko(op: &str) -> String {
    reply_fixture("atr-ko-vitam.xml").replace("aeeaaaaaachk7bs6abo3walwa3jx6vyaaaaq", op)
}

/// Vitam's KO naming `request` as the message it answers.
fn ko_naming(request: &str, op: &str) -> String {
    vitam_ko(op).replace(
        "<MessageRequestIdentifier></MessageRequestIdentifier>",
        &format!("<MessageRequestIdentifier>{request}</MessageRequestIdentifier>"),
    )
}

async fn reply_as(client: &reqwest::Client, app: &TestApp, id: &str, xml: &str) -> (StatusCode, Value) {
    let url = app.url(&format!("/api/v1/transfers/{id}/reply"));
    let r =
        client.post(url).header("content-type", "application/xml").body(xml.to_owned()).send().await.unwrap();
    (r.status(), r.json().await.unwrap())
}

async fn get(client: &reqwest::Client, app: &TestApp, path: &str) -> (StatusCode, Value) {
    let r = client.get(app.url(path)).send().await.unwrap();
    (r.status(), r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_reply_naming_no_transfer_within_reach_is_kept_in_quarantine_and_changes_no_transfer() {
    let app = spawn_app().await;
    let act = sealed(&app, &fixture("arrete-avancement-echelon")).await;
    let foreign_act = sealed(&app, &crate::access::request_for(FOREIGN)).await;
    let (t1, t2) = (transfer(&app, OWN, &act).await, transfer(&app, OWN, &act).await);
    let foreign = transfer(&app, FOREIGN, &foreign_act).await;
    let archiviste = client_with(&app.token(Role::Archiviste, &[OWN]).await);
    let before = [stored(&app, "transfers"), stored(&app, "acts")];

    // Vitam's KO naming nothing: refused as before, and kept.
    let ko = vitam_ko("aeeaaaaaaop1");
    let (status, problem) = reply_as(&archiviste, &app, &t1, &ko).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("reply_unidentified"))
    );
    assert_eq!(problem["quarantine"]["id"], "000001", "{problem:#}");
    assert!(
        problem["detail"].as_str().unwrap().contains("conservée en quarantaine sous le n° 000001"),
        "{problem:#}"
    );
    // The same reply posted again is kept once.
    let (_, again) = reply_as(&archiviste, &app, &t1, &ko).await;
    assert_eq!(again["quarantine"]["id"], "000001", "{again:#}");
    // Something that is no transfer, and another collectivité's transfer,
    // are told apart by nothing: both are "no transfer of your scope".
    let (_, unknown) = reply_as(&archiviste, &app, &t1, &ko_naming("FRAD999_ATR_27", "op2")).await;
    assert_eq!(
        (unknown["code"].as_str(), unknown["quarantine"]["id"].as_str()),
        (Some("reply_not_for_transfer"), Some("000002"))
    );
    let (_, other) = reply_as(&archiviste, &app, &t1, &ko_naming(&foreign, "op3")).await;
    assert_eq!(
        (other["code"].as_str(), other["quarantine"]["id"].as_str()),
        (Some("reply_not_for_transfer"), Some("000003"))
    );
    // A reply of another transfer within reach belongs there: refused, not kept.
    let (status, mine) = reply_as(&archiviste, &app, &t1, &ko_naming(&t2, "op4")).await;
    assert_eq!(
        (status, mine["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("reply_not_for_transfer"))
    );
    assert!(mine.get("quarantine").is_none() && mine["detail"].as_str().unwrap().contains(&t2), "{mine:#}");
    assert_eq!([stored(&app, "transfers"), stored(&app, "acts")], before, "no transfer changed");
    for t in [&t1, &t2, &foreign] {
        let (_, shown) = app.get_json(&format!("/api/v1/transfers/{t}")).await;
        assert_eq!(
            (shown["status"].as_str(), shown["replies"].as_u64()),
            (Some("sent"), Some(0)),
            "{shown:#}"
        );
    }

    listed_with_who_when_why(&app, &archiviste, &t1, &foreign, &ko).await;

    // Scope: the other collectivité's archivist sees none of them; a lecteur
    // may not look.
    let outsider = client_with(&app.token(Role::Archiviste, &[FOREIGN]).await);
    let (_, theirs) = get(&outsider, &app, "/api/v1/quarantine").await;
    assert_eq!(theirs["replies"], json!([]), "{theirs:#}");
    for path in ["/api/v1/quarantine/000001", "/api/v1/quarantine/000001/xml", "/api/v1/quarantine/999999"] {
        let (status, p) = get(&outsider, &app, path).await;
        assert_eq!(
            (status, p["code"].as_str()),
            (StatusCode::NOT_FOUND, Some("quarantine_not_found")),
            "{path}"
        );
    }
    let ack = |client: &reqwest::Client, id: &str, body: Value| {
        client.post(app.url(&format!("/api/v1/quarantine/{id}/acknowledge"))).json(&body).send()
    };
    assert_eq!(ack(&outsider, "000001", json!({})).await.unwrap().status(), StatusCode::NOT_FOUND);
    let lecteur = client_with(&app.token(Role::Lecteur, &[OWN]).await);
    assert_eq!(get(&lecteur, &app, "/api/v1/quarantine").await.0, StatusCode::FORBIDDEN);

    // Acknowledged: off the list, kept, once.
    let r = ack(&archiviste, "000001", json!({"note": "pas pour nous : Vitam a perdu la demande"}))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r: Value = r.json().await.unwrap();
    assert_eq!(r["acknowledged"]["note"], "pas pour nous : Vitam a perdu la demande", "{r:#}");
    let (status, p) = get(&archiviste, &app, "/api/v1/quarantine/000001").await;
    assert_eq!((status, p["acknowledged"]["by"]["role"].as_str()), (StatusCode::OK, Some("archiviste")));
    let r = ack(&archiviste, "000001", json!({})).await.unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert_eq!(r.json::<Value>().await.unwrap()["code"], "quarantine_acknowledged");
    let r = ack(&archiviste, "000002", json!({"note": "a\u{202e}b"})).await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "a hidden character in the note");
    let (_, list) = get(&archiviste, &app, "/api/v1/quarantine").await;
    assert_eq!(list["waiting"], 2);

    // The audit trail says who left and who dealt with each.
    let (_, audit) = app.get_json(&format!("/api/v1/audit?collectivite={OWN}")).await;
    let actions: Vec<&str> =
        audit["entries"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions.iter().filter(|a| **a == "transfer.reply.quarantine").count(), 4, "{actions:?}");
    assert!(actions.contains(&"quarantine.acknowledge"), "{actions:?}");
    let entry = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "quarantine.acknowledge")
        .unwrap();
    assert!(entry["token_id"].is_string() && entry["target"] == "quarantaine 000001", "{entry:#}");
}

/// The quarantine as the archivist lists it: who, when, why, the identifiers found,
/// newest first; the XML as received.
async fn listed_with_who_when_why(
    app: &TestApp,
    archiviste: &reqwest::Client,
    t1: &str,
    foreign: &str,
    ko: &str,
) {
    // Listed for the archivist, with who, when, why and the identifiers found.
    let (status, list) = get(archiviste, app, "/api/v1/quarantine").await;
    assert_eq!(status, StatusCode::OK, "{list:#}");
    let ids: Vec<&str> =
        list["replies"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["000003", "000002", "000001"], "newest first: {list:#}");
    assert_eq!((list["waiting"].as_u64(), list["max"].as_u64()), (Some(3), Some(100)));
    let first = &list["replies"][2];
    assert_eq!(first["reason"], "unidentified");
    assert_eq!((first["transfer"].as_str(), first["collectivite"].as_str()), (Some(t1), Some(OWN)));
    assert_eq!((first["kind"].as_str(), first["reply_code"].as_str()), (Some("transfer_reply"), Some("KO")));
    assert_eq!(first["identifiers"]["message_identifier"], "aeeaaaaaaop1", "{first:#}");
    assert_eq!(first["uploaded_by"]["role"], "archiviste");
    assert!(first["uploaded_by"]["token"].as_str().is_some_and(|t| !t.is_empty()), "{first:#}");
    assert_eq!(list["replies"][0]["identifiers"]["message_request_identifier"], foreign);
    assert_eq!(list["replies"][0]["reason"], "unknown_transfer");
    let r = archiviste.get(app.url("/api/v1/quarantine/000001/xml")).send().await.unwrap();
    assert_eq!(
        (r.status(), r.headers()["content-type"].to_str().unwrap()),
        (StatusCode::OK, "application/xml")
    );
    assert_eq!(r.text().await.unwrap(), ko, "the reply as received");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_quarantine_is_bounded_in_number_even_when_uploads_race_and_in_size() {
    let data_dir = tempfile::tempdir().unwrap();
    let path = data_dir.path().join("archive.json");
    std::fs::write(&path, json!({"max_quarantined": 3}).to_string()).unwrap();
    let settings =
        Settings { archive_file: Some(path), max_body_bytes: 8 << 20, ..test_settings(data_dir.path()) };
    let app = TestApp::with_settings(settings, data_dir).await;
    let act = sealed(&app, &fixture("arrete-avancement-echelon")).await;
    let t = transfer(&app, OWN, &act).await;
    let replies: Vec<String> = (0..8).map(|i| vitam_ko(&format!("op-race-{i}"))).collect();
    let answers = futures::future::join_all(replies.iter().map(|xml| reply(&app, &t, xml))).await;
    let kept = answers.iter().filter(|(_, p)| p["quarantine"].is_object()).count();
    assert_eq!(kept, 3, "{answers:#?}");
    for (status, p) in &answers {
        assert_eq!(
            (*status, p["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("reply_unidentified"))
        );
        if !p["quarantine"].is_object() {
            assert_eq!(p["quarantine_refused"], "quarantine_full", "{p:#}");
            assert!(p["detail"].as_str().unwrap().contains("3 réponses attendent déjà"), "{p:#}");
        }
    }
    // One dealt with makes room for one.
    let r = app.client.post(app.url("/api/v1/quarantine/000002/acknowledge")).json(&json!({})).send();
    assert_eq!(r.await.unwrap().status(), StatusCode::OK);
    let (_, p) = reply(&app, &t, &vitam_ko("op-after")).await;
    assert_eq!(p["quarantine"]["id"], "000004", "{p:#}");
    let (_, p) = reply(&app, &t, &vitam_ko("op-full")).await;
    assert_eq!(p["quarantine_refused"], "quarantine_full", "{p:#}");
    // A reply over 4 MiB is refused and not kept.
    let (_, list) = app.get_json("/api/v1/quarantine").await;
    assert_eq!(list["waiting"], 3);
    let r = app.client.post(app.url("/api/v1/quarantine/000001/acknowledge")).json(&json!({})).send();
    assert_eq!(r.await.unwrap().status(), StatusCode::OK);
    let padding = format!("<!-- {} -->", "x".repeat(5 << 20));
    let (status, p) =
        reply(&app, &t, &vitam_ko("op-big").replacen("<ReplyCode>", &format!("{padding}<ReplyCode>"), 1))
            .await;
    assert_eq!(
        (status, p["quarantine_refused"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("quarantine_reply_too_large")),
        "{p:#}"
    );
    let (_, shown) = app.get_json(&format!("/api/v1/transfers/{t}")).await;
    assert_eq!(shown["status"], "sent");
}

#[tokio::test]
async fn the_transfers_list_pages_newest_first_within_scope_and_indexes_older_transfers_at_start() {
    let app = spawn_app().await;
    let act = sealed(&app, &fixture("arrete-avancement-echelon")).await;
    let foreign_act = sealed(&app, &crate::access::request_for(FOREIGN)).await;
    let mut own = Vec::new();
    for _ in 0..3 {
        own.push(transfer(&app, OWN, &act).await);
    }
    let foreign = transfer(&app, FOREIGN, &foreign_act).await;
    let (status, ok) = reply(&app, &own[0], &crate::transfers::vitam_ok(&own[0], &[&act])).await;
    assert_eq!(status, StatusCode::OK, "{ok:#}");

    let (status, all) = app.get_json("/api/v1/transfers").await;
    assert_eq!(status, StatusCode::OK, "{all:#}");
    let ids = |v: &Value| -> Vec<String> {
        v["transfers"].as_array().unwrap().iter().map(|t| t["id"].as_str().unwrap().to_owned()).collect()
    };
    assert_eq!(ids(&all), [foreign.clone(), own[2].clone(), own[1].clone(), own[0].clone()]);
    assert!(all.get("next").is_none());
    let oldest = &all["transfers"][3];
    assert_eq!(
        (oldest["status"].as_str(), oldest["acts"].as_u64()),
        (Some("accepted"), Some(1)),
        "{oldest:#}"
    );
    assert_eq!(oldest["href"], format!("/api/v1/transfers/{}", own[0]));

    // An archivist of one collectivité, two at a time.
    let archiviste = client_with(&app.token(Role::Archiviste, &[OWN]).await);
    let (_, page) = get(&archiviste, &app, "/api/v1/transfers?limit=2").await;
    assert_eq!(ids(&page), [own[2].clone(), own[1].clone()]);
    let next = page["next"].as_str().unwrap().to_owned();
    let (_, page) = get(&archiviste, &app, &format!("/api/v1/transfers?limit=2&before={next}")).await;
    assert_eq!(ids(&page), [own[0].clone()]);
    assert!(page.get("next").is_none(), "{page:#}");
    let (status, page) = get(&archiviste, &app, &format!("/api/v1/transfers?collectivite={FOREIGN}")).await;
    assert_eq!((status, page["transfers"].clone()), (StatusCode::OK, json!([])), "nothing outside the scope");
    let (_, page) = app.get_json(&format!("/api/v1/transfers?collectivite={FOREIGN}")).await;
    assert_eq!(ids(&page), std::slice::from_ref(&foreign));
    for (query, named) in [
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("before=x", "before"),
        ("collectivite=12", "collectivite"),
        ("sort=asc", "sort"),
        ("limit=2&limit=3", "limit"),
    ] {
        let (status, p) = get(&archiviste, &app, &format!("/api/v1/transfers?{query}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {p:#}");
        assert!(p.to_string().contains(named), "{query}: {p:#}");
    }
    let lecteur = client_with(&app.token(Role::Lecteur, &[OWN]).await);
    assert_eq!(get(&lecteur, &app, "/api/v1/transfers").await.0, StatusCode::FORBIDDEN);

    // Transfers made before the index (or whose entry was lost) are indexed
    // by the next process, from their records.
    let index = app.data_dir.path().join("store/transfer-index");
    assert_eq!(std::fs::read_dir(index.join(OWN)).unwrap().count(), 3);
    std::fs::remove_dir_all(&index).unwrap();
    let base = spawn_on(app.data_dir.path()).await;
    let r = app.client.get(format!("{base}/api/v1/transfers")).send().await.unwrap();
    let again: Value = r.json().await.unwrap();
    assert_eq!(ids(&again), ids(&all), "{again:#}");
    assert_eq!(again["transfers"][3]["status"], "accepted");
    assert_eq!(std::fs::read_dir(index.join(OWN)).unwrap().count(), 3);
}

/// `body` as a `multipart/form-data` form of `fields` and one file.
fn multipart(fields: &[(&str, &str)], file: (&str, &[u8])) -> (String, Vec<u8>) {
    let boundary = "acta-archivist-boundary";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                .bytes(),
        );
    }
    let (filename, bytes) = file;
    body.extend(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"reponse\"; filename=\"{filename}\"\r\nContent-Type: text/xml\r\n\r\n")
            .bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend(format!("\r\n--{boundary}--\r\n").bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[tokio::test]
async fn an_archivist_sends_a_transfer_and_follows_its_replies_and_a_stray_one_in_the_pages() {
    let app = spawn_app().await;
    let act = sealed(&app, &fixture("arrete-avancement-echelon")).await;
    let password = cli_user(&app, "archives", "Archiviste de test", "archiviste", &[OWN]);
    let mut v = Visitor::new(&app.base);
    assert_eq!(v.login("archives", &password).await.status, StatusCode::SEE_OTHER);

    // Selection, then sending.
    let page = v.get(&format!("/transferts?collectivite={OWN}&kinds=ARR")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("L'acte scellé de la sélection") && page.body.contains(&act), "{}", page.body);
    assert!(page.body.contains("Aucune réponse en quarantaine"), "{}", page.body);
    let sent =
        v.post("/transferts", &[("csrf", &page.csrf()), ("collectivite", OWN), ("kinds", "ARR")]).await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    let at = sent.location().to_owned();
    let t = at.trim_start_matches("/transferts/").split('?').next().unwrap().to_owned();
    let page = v.get(&at).await;
    assert!(page.body.contains("téléchargez le paquet"), "{}", page.body);

    // The SIP as downloaded from the page: valid against the official XSD.
    let sip = v.get(&format!("/transferts/{t}/sip")).await;
    assert_eq!(sip.status, StatusCode::OK);
    let bytes = sip_of(&app, &t).await;
    assert_eq!(sip.headers["content-length"].to_str().unwrap(), bytes.len().to_string());
    let manifest = validate_sip(&bytes);
    assert!(manifest.contains(&format!("<MessageIdentifier>{t}</MessageIdentifier>")));

    // The acknowledgement: received, still waiting for the verdict.
    let ack = reply_fixture("ack-asalae.xml").replace("EXV-SIP-2024-AR-0042-20241015T103000", &t);
    let csrf = page.csrf();
    let (ct, body) = multipart(&[("csrf", &csrf)], ("accuse.xml", ack.as_bytes()));
    let r = v.post_body(&format!("/transferts/{t}/reponse"), &ct, body).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = v.get(&format!("/transferts/{t}")).await;
    assert!(
        page.body.contains("Envoyé, en attente de réponse") && page.body.contains("accusé de réception"),
        "{}",
        page.body
    );

    // Vitam's KO without the request id: refused beside the field, kept in quarantine.
    let (ct, body) = multipart(&[("csrf", &csrf)], ("ko.xml", vitam_ko("aeeaaaaaaweb").as_bytes()));
    let r = v.post_body(&format!("/transferts/{t}/reponse"), &ct, body).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        r.body.contains(r#"id="reponse-error""#)
            && r.body.contains("conservée en quarantaine sous le n° 000001"),
        "{}",
        r.body
    );
    let list = v.get("/transferts").await;
    assert!(
        list.body.contains("Réponses en quarantaine") && list.body.contains("aeeaaaaaaweb"),
        "{}",
        list.body
    );
    assert!(
        list.body.contains("Elle ne nomme aucun transfert") && list.body.contains("par archives"),
        "{}",
        list.body
    );
    assert!(list.body.contains("Réponse au transfert, code KO"), "{}", list.body);
    let xml = v.get("/transferts/quarantaine/000001/xml").await;
    assert_eq!(
        (xml.status, xml.headers["content-type"].to_str().unwrap()),
        (StatusCode::OK, "application/xml")
    );
    assert!(xml.body.contains("aeeaaaaaaweb"));
    let done = v
        .post("/transferts/quarantaine/000001/traitee", &[("csrf", &list.csrf()), ("note", "Renvoyé au SAE")])
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let list = v.get(done.location()).await;
    assert!(
        list.body.contains("n° 000001 est marquée comme traitée")
            && list.body.contains("Aucune réponse en quarantaine"),
        "{}",
        list.body
    );
    let other = logged_in_other(&app).await;
    assert_eq!(other.0, StatusCode::NOT_FOUND, "another collectivité's archivist: {}", other.1);

    // The verdict naming the transfer: rejected, with the archive's reasons.
    let (ct, body) = multipart(&[("csrf", &csrf)], ("ko.xml", ko_naming(&t, "aeeaaaaaako").as_bytes()));
    let r = v.post_body(&format!("/transferts/{t}/reponse"), &ct, body).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = v.get(&format!("/transferts/{t}")).await;
    assert!(
        page.body.contains("Refusé par les archives") && page.body.contains("services agents inconnus"),
        "{}",
        page.body
    );
    let list = v.get("/transferts").await;
    assert!(list.body.contains("Refusé par les archives"), "{}", list.body);

    // The journal names the archivist for each step.
    let password = cli_user(&app, "admin", "Admin", "admin", &[]);
    let mut admin = Visitor::new(&app.base);
    admin.login("admin", &password).await;
    let journal = admin.get("/admin/journal?utilisateur=archives").await;
    for action in ["transfer.create", "transfer.reply", "transfer.reply.quarantine", "quarantine.acknowledge"]
    {
        assert!(journal.body.contains(&format!("<code>{action}</code>")), "{action}: {}", journal.body);
    }
}

/// Another collectivité's archivist asks for the first quarantined reply's XML.
async fn logged_in_other(app: &TestApp) -> (StatusCode, String) {
    let password = cli_user(app, "archives.autre", "Autre archiviste", "archiviste", &[FOREIGN]);
    let mut v = Visitor::new(&app.base);
    v.login("archives.autre", &password).await;
    let page = v.get("/transferts/quarantaine/000001/xml").await;
    (page.status, page.body)
}
