//! Issue #13, transfers: only a reply that identifies a transfer settles it;
//! a refused reply leaves nothing behind, even when replies race;
//! acknowledgements are bounded; free text cannot make a SIP invalid; and
//! an agent's career act is archived non-communicable for 50 years.

use acta::config::Settings;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::access::OWN;
use crate::helpers::{TestApp, fixture, spawn_app, test_settings};
use crate::transfers::{post, reply, reply_fixture, sealed, sip_of, stored, validate_sip, vitam_ok};

/// A transfer of one sealed act of `OWN`; returns (transfer id, act id).
async fn transfer(app: &TestApp, act: Option<&str>) -> (String, String) {
    let act = match act {
        Some(a) => a.to_owned(),
        None => sealed(app, &fixture("arrete-avancement-echelon")).await,
    };
    let (status, t) =
        post(&app.client, app, "/api/v1/transfers", &json!({"collectivite": OWN, "acts": [act]})).await;
    assert_eq!(status, StatusCode::CREATED, "{t:#}");
    (t["id"].as_str().unwrap().to_owned(), act)
}

/// An ATR with these identifiers and code.
fn atr(request: &str, message: &str, code: &str, act: &str) -> String {
    vitam_ok("REQUEST", &[act])
        .replace(
            "<MessageRequestIdentifier>REQUEST</MessageRequestIdentifier>",
            &format!("<MessageRequestIdentifier>{request}</MessageRequestIdentifier>"),
        )
        .replace(
            "<MessageIdentifier>aeeaaaaaace2txtz</MessageIdentifier>",
            &format!("<MessageIdentifier>{message}</MessageIdentifier>"),
        )
        .replace("<ReplyCode>OK</ReplyCode>", &format!("<ReplyCode>{code}</ReplyCode>"))
}

/// An acknowledgement of `transfer`, itself identified by `n`.
fn ack(transfer: &str, n: usize) -> String {
    reply_fixture("ack-asalae.xml")
        .replace("EXV-SIP-2024-AR-0042-20241015T103000", transfer)
        .replace("FRAD999_ACK_1234", &format!("FRAD999_ACK_{n}"))
}

/// A server whose `archive_file` is `config`.
async fn app_with_archive(config: Value) -> TestApp {
    let data_dir = tempfile::tempdir().unwrap();
    let path = data_dir.path().join("archive.json");
    std::fs::write(&path, config.to_string()).unwrap();
    let settings = Settings { archive_file: Some(path), ..test_settings(data_dir.path()) };
    TestApp::with_settings(settings, data_dir).await
}

#[tokio::test]
async fn a_reply_naming_another_transfer_or_none_never_settles_this_one() {
    let app = spawn_app().await;
    let (t1, act) = transfer(&app, None).await;
    let (t2, _) = transfer(&app, Some(&act)).await;
    let before = [stored(&app, "transfers"), stored(&app, "acts")];
    for (xml, code) in [
        // As@lae style, but the other transfer's id where ours should be.
        (atr("", &t2, "000", &act), "reply_not_for_transfer"),
        // Ours in one field, the other transfer in the other.
        (atr(&t2, &t1, "OK", &act), "reply_not_for_transfer"),
        (atr(&t1, &t2, "OK", &act), "reply_not_for_transfer"),
        (atr("FRAD999_ATR_27", "FRAD999_ATR_28", "OK", &act), "reply_not_for_transfer"),
        (ack(&t2, 1), "reply_not_for_transfer"),
        // Vitam's KO with an empty MessageRequestIdentifier names no transfer.
        (reply_fixture("atr-ko-vitam.xml"), "reply_unidentified"),
    ] {
        let (status, problem) = reply(&app, &t1, &xml).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem:#}");
        assert_eq!(problem["code"], code, "{problem:#}");
    }
    assert_eq!([stored(&app, "transfers"), stored(&app, "acts")], before, "a refused reply changes nothing");
    let (_, shown) = app.get_json(&format!("/api/v1/transfers/{t1}")).await;
    assert_eq!((shown["status"].as_str(), shown["replies"].as_u64()), (Some("sent"), Some(0)), "{shown:#}");
    // The replies that do name it: Vitam's (request id) and As@lae's (message id).
    let (status, ok) = reply(&app, &t1, &atr(&t1, "op-1", "OK", &act)).await;
    assert_eq!((status, ok["status"].as_str()), (StatusCode::OK, Some("accepted")), "{ok:#}");
    let (status, ok) = reply(&app, &t2, &atr("FRAD999_ATR_27", &t2, "300", &act)).await;
    assert_eq!((status, ok["status"].as_str()), (StatusCode::OK, Some("rejected")), "{ok:#}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_replies_settle_a_transfer_once_and_the_refused_ones_are_not_stored() {
    let app = spawn_app().await;
    let act = sealed(&app, &fixture("arrete-avancement-echelon")).await;
    for round in 0..6 {
        let (tid, _) = transfer(&app, Some(&act)).await;
        let replies: Vec<String> = (0..16)
            .map(|i| atr(&tid, &format!("op-{i}"), if i % 2 == 0 { "OK" } else { "KO" }, &act))
            .collect();
        let answers = futures::future::join_all(replies.iter().map(|xml| reply(&app, &tid, xml))).await;
        let won: Vec<&Value> =
            answers.iter().filter(|(s, _)| *s == StatusCode::OK).map(|(_, body)| body).collect();
        assert_eq!(won.len(), 1, "round {round}: exactly one verdict: {answers:#?}");
        for (status, body) in &answers {
            assert!(
                *status == StatusCode::OK || body["code"] == "transfer_settled",
                "round {round}: {status} {body:#}"
            );
        }
        let files = stored(&app, &format!("transfers/{tid}"));
        let kept: Vec<&String> = files.iter().filter(|f| f.contains("/reply-")).collect();
        assert_eq!(kept.len(), 1, "round {round}: only the verdict's reply is kept: {files:#?}");
        let archived = stored(&app, "acts").iter().any(|k| k.ends_with(&format!("/archive/{tid}.json")));
        assert_eq!(archived, won[0]["status"] == "accepted", "round {round}: records follow the verdict");
        // A later, different verdict or acknowledgement: 409, nothing stored.
        let (status, p) = reply(&app, &tid, &atr(&tid, "op-late", "OK", &act)).await;
        assert_eq!((status, p["code"].as_str()), (StatusCode::CONFLICT, Some("transfer_settled")));
        let (status, p) = reply(&app, &tid, &ack(&tid, 9)).await;
        assert_eq!((status, p["code"].as_str()), (StatusCode::CONFLICT, Some("transfer_settled")));
        assert_eq!(stored(&app, &format!("transfers/{tid}")), files, "round {round}");
        // The winning reply posted again finishes (here: confirms) its ingestion.
        let winner = answers.iter().position(|(s, _)| *s == StatusCode::OK).unwrap();
        let (status, again) = reply(&app, &tid, &replies[winner]).await;
        assert_eq!((status, &again["status"]), (StatusCode::OK, &won[0]["status"]), "{again:#}");
    }
}

#[tokio::test]
async fn acknowledgements_are_bounded_per_transfer() {
    let app = app_with_archive(json!({"max_acknowledgements": 3})).await;
    let (tid, act) = transfer(&app, None).await;
    for n in 1..=3 {
        let (status, t) = reply(&app, &tid, &ack(&tid, n)).await;
        assert_eq!((status, t["replies"].as_u64()), (StatusCode::OK, Some(n as u64)), "{t:#}");
    }
    // The same acknowledgement again is kept once.
    let (status, t) = reply(&app, &tid, &ack(&tid, 2)).await;
    assert_eq!((status, t["replies"].as_u64()), (StatusCode::OK, Some(3)), "{t:#}");
    let before = stored(&app, "transfers");
    for n in 4..8 {
        let (status, p) = reply(&app, &tid, &ack(&tid, n)).await;
        assert_eq!((status, p["code"].as_str()), (StatusCode::CONFLICT, Some("acknowledgements_exhausted")));
        assert!(p["detail"].as_str().unwrap().contains('3'), "{p:#}");
    }
    assert_eq!(stored(&app, "transfers"), before, "nothing stored beyond the bound");
    // The verdict is not an acknowledgement: it is still taken.
    let (status, t) = reply(&app, &tid, &atr(&tid, "op", "OK", &act)).await;
    assert_eq!(
        (status, t["status"].as_str(), t["replies"].as_u64()),
        (StatusCode::OK, Some("accepted"), Some(4))
    );
    assert!(app.data_dir.path().join(format!("store/transfers/{tid}/reply-verdict.xml")).is_file());
}

#[tokio::test]
async fn free_text_never_makes_a_sip_invalid() {
    // An agency name with a control character, as a hand-edited configuration may hold.
    let agencies = json!({"archival_agreement": "AV-ACTES",
        "archival_agency": {"identifier": "FRAD062", "name": "Archives\u{1} départementales"},
        "transferring_agency": {"identifier": OWN, "name": "Mairie\u{b} d'Aubrecourt"},
        "originating_agency": {"identifier": OWN}});
    let app = app_with_archive(json!({"collectivites": {OWN: {"agencies": agencies}}})).await;
    let act = sealed(&app, &fixture("arrete-avancement-echelon")).await;
    let before = stored(&app, "transfers");
    for (comment, code_point) in [
        ("Versement\u{7} trimestriel", "U+0007"),
        ("Versement\u{0}", "U+0000"),
        ("Versement\u{2028}trimestriel", "U+2028"),
        ("Versement \u{202E}lerts", "U+202E"),
        ("Versement\u{FFFE}", "U+FFFE"),
    ] {
        let body = json!({"collectivite": OWN, "acts": [act], "comment": comment});
        let (status, p) = post(&app.client, &app, "/api/v1/transfers", &body).await;
        assert_eq!(
            (status, p["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("validation_failed"))
        );
        let error = &p["errors"][0];
        assert_eq!(error["path"], "/comment", "{p:#}");
        assert!(error["message"].as_str().unwrap().contains(code_point), "{p:#}");
    }
    assert_eq!(stored(&app, "transfers"), before, "no SIP for a refused request");
    let comment = "Versement « trimestriel » <T1> & annexes — n° 3\nsuite";
    let body = json!({"collectivite": OWN, "acts": [act], "comment": comment});
    let (status, t) = post(&app.client, &app, "/api/v1/transfers", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{t:#}");
    let manifest = validate_sip(&sip_of(&app, t["id"].as_str().unwrap()).await);
    assert!(
        manifest
            .contains("<Comment>Versement « trimestriel » &lt;T1&gt; &amp; annexes — n° 3\nsuite</Comment>")
    );
    assert!(manifest.contains("Archives\u{FFFD} départementales"), "made XML-safe");
}

/// The `Rule` of the `AccessRule` of act `id`'s unit.
fn access_rule<'a>(manifest: &'a str, id: &str) -> &'a str {
    let unit = manifest.find(&format!(r#"<ArchiveUnit id="AU-{id}">"#)).unwrap();
    let rule = unit + manifest[unit..].find("<AccessRule>").unwrap();
    let start = rule + manifest[rule..].find("<Rule>").unwrap() + "<Rule>".len();
    let end = start + manifest[start..].find("</Rule>").unwrap();
    &manifest[start..end]
}

#[tokio::test]
async fn an_agents_career_act_is_archived_non_communicable_for_fifty_years() {
    // Rules whose only kind makes everything communicable at once: the
    // `personal` rule still keeps the career act closed for 50 years.
    let rules = json!({"kinds": [{"name": "Tout", "appraisal": {"rule": "APP10Y", "final_action": "Keep"},
                                  "access": {"rule": "AR038", "duration": "P0Y"}}],
                       "personal": {"rule": "AR048", "duration": "P50Y"}});
    let app = app_with_archive(json!({"rules": rules, "profile": "asalae"})).await;
    let siren = fixture("arrete-disponibilite")["collectivite"].as_str().unwrap().to_owned();
    let career = sealed(&app, &fixture("arrete-disponibilite")).await;
    let police = sealed(&app, &fixture("arrete-police-circulation")).await;
    let body = json!({"collectivite": siren, "acts": [career, police]});
    let (status, t) = post(&app.client, &app, "/api/v1/transfers", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{t:#}");
    let manifest = validate_sip(&sip_of(&app, t["id"].as_str().unwrap()).await);
    assert_eq!(access_rule(&manifest, &career), "AR048", "the agent's career act");
    assert_eq!(access_rule(&manifest, &police), "AR038", "a regulatory act names no agent's career");
}
