//! The business rules of the reclassement, congés de santé, temps partiel
//! thérapeutique and radiation des cadres templates: inconsistent data is a
//! 422 naming every field at fault, consistent data renders, and the rendered
//! text says what the law requires for the case.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, fixture, pdf_text, spawn_app, stored_acts};

/// Posts `template`'s fixture changed by `change` and expects a 422 naming
/// every pointer of `fields` (under `/data`).
async fn refused(app: &TestApp, template: &str, change: impl FnOnce(&mut Value), fields: &[&str]) -> String {
    let mut body = fixture(template);
    change(&mut body["data"]);
    let (status, problem) = app.post_act(&body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{template}: {problem:#}");
    let errors = problem["errors"].as_array().unwrap();
    for field in fields {
        let path = format!("/data{field}");
        assert!(
            errors.iter().any(|e| e["path"] == path.as_str()),
            "{template}: {path} not named: {problem:#}"
        );
    }
    errors[0]["message"].as_str().unwrap().to_owned()
}

/// The draft text of `template`'s fixture changed by `change` (it must be accepted).
async fn accepted(app: &TestApp, template: &str, change: impl FnOnce(&mut Value)) -> String {
    let mut body = fixture(template);
    change(&mut body["data"]);
    let act = app.create(&body).await;
    pdf_text(&app.pdf(act["id"].as_str().unwrap()).await)
}

#[tokio::test]
async fn a_reclassement_follows_the_decret_dates_and_its_table_of_correspondence() {
    let app = spawn_app().await;
    let t = "arrete-reclassement";
    let message = refused(
        &app,
        t,
        |d| d["decret"]["date_publication"] = json!("2026-03-20"),
        &["/decret/date_publication", "/decret/date"],
    )
    .await;
    assert!(message.contains("publié au Journal officiel avant d’avoir été signé"), "{message}");
    let message = refused(
        &app,
        t,
        |d| d["date_decision"] = json!("2026-03-28"),
        &["/date_decision", "/decret/date_publication"],
    )
    .await;
    assert!(message.contains("ne peut être signé avant la publication"), "{message}");
    refused(&app, t, |d| d["date_effet"] = json!("2025-12-31"), &["/date_effet", "/decret/date_effet"]).await;
    // Retroactive, but not on the date the décret fixes.
    let message = refused(
        &app,
        t,
        |d| d["date_effet"] = json!("2026-02-01"),
        &["/date_effet", "/decret/date_publication"],
    )
    .await;
    assert!(message.contains("seul le décret peut prévoir un effet rétroactif"), "{message}");
    // Above the 24 months of the new échelon.
    let message = refused(
        &app,
        t,
        |d| {
            d["nouvelle_situation"]["anciennete_annees"] = json!(2);
            d["nouvelle_situation"]["anciennete_jours"] = json!(1);
        },
        &["/nouvelle_situation/anciennete_annees", "/nouvelle_situation/duree_echelon_mois"],
    )
    .await;
    assert!(message.contains("2 ans, 4 mois et 1 jour") && message.contains("24 mois"), "{message}");
    assert!(stored_acts(app.data_dir.path()).is_empty());

    // The whole duration of the échelon is kept ("dans la limite de la durée
    // de l'échelon"); the last échelon of a grade has no duration to check.
    accepted(&app, t, |d| {
        d["nouvelle_situation"]["anciennete_annees"] = json!(2);
        d["nouvelle_situation"]["anciennete_mois"] = json!(0);
    })
    .await;
    let text = accepted(&app, t, |d| {
        let n = d["nouvelle_situation"].as_object_mut().unwrap();
        n.remove("duree_echelon_mois");
        n.insert("anciennete_annees".into(), json!(0));
        n.insert("anciennete_mois".into(), json!(0));
        d["date_effet"] = json!("2026-04-01");
    })
    .await;
    assert!(text.contains("À compter du 1er avril 2026"), "{text}");
    assert!(text.contains("sans ancienneté conservée"), "{text}");
}

/// Every string a health-leave request may carry, by JSON pointer into the
/// schema's properties: names, the grade, the signatory, the file's
/// follow-up, dates and references — never a diagnosis.
const HEALTH_STRINGS: &[&str] = &[
    "/agent/prenom",
    "/agent/nom",
    "/agent/matricule",
    "/grade",
    "/suivi_par",
    "/signataire/qualite",
    "/signataire/prenom",
    "/signataire/nom",
    "/signataire/mention_delegation",
    "/arrete_precedent/reference",
    "/organisation",
];

/// Pointers of the free-text string properties of a schema (not dates, not
/// enumerations), following local `$ref`s and array items.
fn free_text(root: &Value, schema: &Value, at: &str, out: &mut Vec<String>) {
    let resolved = match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => root.pointer(r.trim_start_matches('#')).expect("local $ref"),
        None => schema,
    };
    if let Some(props) = resolved.get("properties").and_then(Value::as_object) {
        for (name, sub) in props {
            free_text(root, sub, &format!("{at}/{name}"), out);
        }
    } else if let Some(items) = resolved.get("items") {
        free_text(root, items, at, out);
    } else if resolved.get("type") == Some(&json!("string"))
        && resolved.get("format").is_none()
        && resolved.get("enum").is_none()
    {
        out.push(at.to_owned());
    }
}

#[test]
fn health_leave_schemas_have_no_field_that_could_hold_a_diagnosis() {
    for id in ["arrete-conge-sante", "arrete-temps-partiel-therapeutique"] {
        let path = crate::helpers::repo_path(&format!("schemas/{id}.schema.json"));
        let schema: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        assert_eq!(schema["x-acta"]["secret_medical"], json!(true), "{id}");
        let mut strings = Vec::new();
        free_text(&schema, &schema, "", &mut strings);
        assert!(strings.iter().any(|s| s == "/grade"), "{id}: the walk found no free text: {strings:?}");
        for s in &strings {
            assert!(
                HEALTH_STRINGS.contains(&s.as_str()),
                "{id}: free-text field {s} could hold medical details"
            );
        }
        // Nor a field named after what it must never hold.
        let text = schema["properties"].to_string().to_lowercase();
        for word in ["diagnos", "patholog", "affection", "symptom", "lesion", "\"motif_medical"] {
            assert!(!text.contains(word), "{id}: «{word}» in the schema");
        }
    }
}

const CONGE: &str = "arrete-conge-sante";

/// The fixture's CMO turned into a first CLM of six months, paid in full.
fn clm(d: &mut Value) {
    d["conge"] = json!("clm");
    d.as_object_mut().unwrap().remove("jour_carence");
    d["date_fin"] = json!("2026-09-08");
    d["remuneration"] = json!([{ "du": "2026-03-09", "au": "2026-09-08", "taux": "plein" }]);
}

/// The fixture's CMO turned into a CITIS for a maladie professionnelle whose
/// imputability is recognised after the conseil médical's opinion.
fn citis(d: &mut Value) {
    d["conge"] = json!("citis");
    d.as_object_mut().unwrap().remove("jour_carence");
    d["remuneration"] = json!([{ "du": "2026-03-09", "au": "2026-03-27", "taux": "plein" }]);
    d["citis"] = json!({ "evenement": "maladie_professionnelle", "date_evenement": "2026-02-02",
        "date_declaration": "2026-02-10", "imputabilite": "apres_avis" });
}

fn avis(formation: &str) -> Value {
    json!({ "date": "2026-03-05", "formation": formation, "sens": "favorable" })
}

#[tokio::test]
async fn a_health_leave_pays_only_the_rates_its_kind_allows_over_periods_without_gap() {
    let app = spawn_app().await;
    let t = CONGE;
    // A CMO granted since 1 March 2025 is paid 90 %, never in full.
    let message =
        refused(&app, t, |d| d["remuneration"][0]["taux"] = json!("plein"), &["/remuneration/0/taux"]).await;
    assert!(message.contains("90 % pour un congé de maladie ordinaire accordé à compter du 1er mars 2025"));
    // Pay periods follow each other without gap to the last day.
    refused(&app, t, |d| d["remuneration"][1]["du"] = json!("2026-03-20"), &["/remuneration/1/du"]).await;
    refused(&app, t, |d| d["remuneration"][1]["au"] = json!("2026-03-26"), &["/remuneration/1/au"]).await;
    refused(&app, t, |d| d["date_certificat"] = json!("2026-03-13"), &["/date_certificat", "/date_decision"])
        .await;
    // Three months at 90 % in a rolling year, then half pay.
    let message = refused(
        &app,
        t,
        |d| {
            d["date_fin"] = json!("2026-06-30");
            d["remuneration"] = json!([{ "du": "2026-03-09", "au": "2026-06-30", "taux": "90" }]);
        },
        &["/remuneration"],
    )
    .await;
    assert!(message.contains("114 jours à 90 % du traitement dépassent les trois mois"), "{message}");
    let no_carence = |d: &mut Value| {
        d.as_object_mut().unwrap().remove("jour_carence");
    };
    refused(&app, t, no_carence, &["/jour_carence"]).await;
    // A CLM lasts six months at most; a CLD five years in all.
    refused(
        &app,
        t,
        |d| {
            clm(d);
            d["avis_conseil_medical"] = avis("restreinte");
            d["date_fin"] = json!("2026-09-09");
            d["remuneration"][0]["au"] = json!("2026-09-09");
        },
        &["/date_fin", "/date_debut"],
    )
    .await;
    refused(
        &app,
        t,
        |d| {
            clm(d);
            d["conge"] = json!("cld");
            d["decision"] = json!("prolongation");
            d["premier_jour"] = json!("2021-03-09");
        },
        &["/date_fin", "/premier_jour"],
    )
    .await;
    assert!(stored_acts(app.data_dir.path()).is_empty());

    // The fixture: 90 % then half pay, one day of carence, and the MPO clause
    // since the pay is reduced.
    let text = accepted(&app, t, |_| {}).await;
    assert!(text.contains("médiation préalable obligatoire"), "{text}");
    assert!(text.contains("au titre du premier jour du congé (jour de carence)"), "{text}");
}

#[tokio::test]
async fn a_health_leave_asks_the_conseil_medical_in_the_formation_the_case_requires() {
    let app = spawn_app().await;
    let t = CONGE;
    // A CMO beyond six consecutive months needs the conseil médical.
    refused(
        &app,
        t,
        |d| {
            d["decision"] = json!("prolongation");
            d["premier_jour"] = json!("2025-09-01");
            d["remuneration"] = json!([{ "du": "2026-03-09", "au": "2026-03-27", "taux": "demi" }]);
        },
        &["/avis_conseil_medical"],
    )
    .await;
    // A first CLM needs it.
    refused(&app, t, clm, &["/avis_conseil_medical"]).await;
    // A CITIS whose imputability is not presumed goes before the formation plénière.
    refused(&app, t, citis, &["/avis_conseil_medical"]).await;
    refused(
        &app,
        t,
        |d| {
            citis(d);
            d["avis_conseil_medical"] = avis("restreinte");
        },
        &["/avis_conseil_medical/formation"],
    )
    .await;
    assert!(stored_acts(app.data_dir.path()).is_empty());

    let text = accepted(&app, t, |d| {
        clm(d);
        d["avis_conseil_medical"] = avis("restreinte");
    })
    .await;
    for expected in [
        "est placée en congé de longue maladie du 9 mars 2026 au 8 septembre 2026 inclus",
        "Vu l’avis favorable du conseil médical départemental réuni en formation restreinte le 5 mars 2026",
        "perçoit son plein traitement",
    ] {
        assert!(text.contains(expected), "missing «{expected}» in {text}");
    }
    // Paid in full: not a decision on rémunération, no MPO.
    assert!(!text.contains("médiation"), "{text}");
    let text = accepted(&app, t, |d| {
        citis(d);
        d["avis_conseil_medical"] = avis("pleniere");
    })
    .await;
    assert!(
        text.contains("Vu la déclaration de la maladie professionnelle constatée le 2 février 2026"),
        "{text}"
    );
    assert!(text.contains("formation plénière"), "{text}");
}

#[tokio::test]
async fn a_therapeutic_part_time_lasts_one_to_three_months_within_one_year() {
    let app = spawn_app().await;
    let t = "arrete-temps-partiel-therapeutique";
    refused(&app, t, |d| d["date_fin"] = json!("2026-07-06"), &["/date_fin", "/date_debut"]).await;
    refused(&app, t, |d| d["date_fin"] = json!("2026-05-04"), &["/date_fin", "/date_debut"]).await;
    let message = refused(
        &app,
        t,
        |d| d["droits_consommes_jours"] = json!(300),
        &["/droits_consommes_jours", "/date_fin"],
    )
    .await;
    assert!(message.contains("il reste 65 jours"), "{message}");
    refused(&app, t, |d| d["droits_consommes_jours"] = json!(0), &["/droits_consommes_jours", "/decision"])
        .await;
    let (status, _) = app
        .post_act(&{
            let mut b = fixture(t);
            b["data"]["quotite"] = json!(40);
            b
        })
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(stored_acts(app.data_dir.path()).is_empty());
    // Exactly one month, and exactly the year's last day.
    accepted(&app, t, |d| d["date_fin"] = json!("2026-05-05")).await;
    // Months without the start's day: 31 January + 1 month ends on 28
    // February, + 3 months on 30 April.
    let from_31_january = |end: &'static str| {
        move |d: &mut Value| {
            d["date_debut"] = json!("2026-01-31");
            d["date_fin"] = json!(end);
            d["droits_consommes_jours"] = json!(30);
        }
    };
    accepted(&app, t, from_31_january("2026-02-28")).await;
    accepted(&app, t, from_31_january("2026-04-30")).await;
    refused(&app, t, from_31_january("2026-02-27"), &["/date_fin", "/date_debut"]).await;
    refused(&app, t, from_31_january("2026-05-01"), &["/date_fin", "/date_debut"]).await;
    let text = accepted(&app, t, |d| d["droits_consommes_jours"] = json!(274)).await;
    assert!(text.contains("aura bénéficié de 365 jours"), "{text}");
}

#[tokio::test]
async fn a_radiation_des_cadres_checks_the_dates_its_ground_requires() {
    let app = spawn_app().await;
    let t = "arrete-radiation-cadres";
    refused(&app, t, |d| d["date_effet"] = json!("2026-08-13"), &["/date_effet", "/date_limite_age"]).await;
    let invalidite = |d: &mut Value| {
        d["motif"] = json!("invalidite");
        d["invalidite"] = json!({ "initiative": "office", "date_avis_conseil_medical": "2026-03-10",
            "date_avis_cnracl": "2026-04-20" });
    };
    refused(
        &app,
        t,
        |d| {
            invalidite(d);
            d["regime_retraite"] = json!("regime_general");
        },
        &["/regime_retraite", "/motif"],
    )
    .await;
    refused(
        &app,
        t,
        |d| {
            invalidite(d);
            d["invalidite"]["date_avis_cnracl"] = json!("2026-03-01");
        },
        &["/invalidite/date_avis_cnracl", "/invalidite/date_avis_conseil_medical"],
    )
    .await;
    let abandon = |d: &mut Value| {
        d["motif"] = json!("abandon_poste");
        d["mise_en_demeure"] = json!({ "date": "2026-04-27", "date_notification": "2026-04-29",
            "date_limite": "2026-05-11" });
        d["date_effet"] = json!("2026-05-18");
    };
    refused(
        &app,
        t,
        |d| {
            abandon(d);
            d["mise_en_demeure"]["date_limite"] = json!("2026-05-20");
        },
        &["/date_decision", "/mise_en_demeure/date_limite"],
    )
    .await;
    refused(
        &app,
        t,
        |d| {
            abandon(d);
            d["date_effet"] = json!("2026-05-12");
        },
        &["/date_effet", "/date_decision"],
    )
    .await;
    refused(&app, t, |d| d["motif"] = json!("deces"), &["/date_deces"]).await;
    refused(
        &app,
        t,
        |d| {
            d["motif"] = json!("demission");
            d["date_demande"] = json!("2026-04-22");
            d["date_effet"] = json!("2026-05-01");
        },
        &["/date_effet", "/date_decision"],
    )
    .await;
    assert!(stored_acts(app.data_dir.path()).is_empty());

    let text = accepted(&app, t, invalidite).await;
    for expected in [
        "mis d’office à la retraite pour invalidité",
        "Vu l’avis du conseil médical départemental réuni en formation plénière le 10 mars 2026",
        "Vu l’avis conforme de la Caisse nationale de retraites des agents des collectivités locales du 20 avril 2026",
    ] {
        assert!(text.contains(expected), "missing «{expected}» in {text}");
    }
    let text = accepted(&app, t, abandon).await;
    assert!(text.contains("sans procédure disciplinaire préalable"), "{text}");
    assert!(!text.contains("Caisse nationale"), "{text}");
    let text = accepted(&app, t, |d| {
        d["motif"] = json!("deces");
        d["date_deces"] = json!("2026-05-02");
        d["date_effet"] = json!("2026-05-02");
    })
    .await;
    assert!(text.contains("Notifié aux ayants droit de M. Jean-Marie LEFEBVRE-DOUDEMENT le :"), "{text}");
    assert!(!text.contains("Signature de l’agent"), "{text}");
}
