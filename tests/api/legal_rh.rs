//! The law the pay, contract, stage and disciplinary templates apply on top of
//! their schema: RIFSEEP plafonds, the NBI's dates, a contract's
//! transmissibility derived from its basis and its statutory limits, the
//! CST's avis on a suppression d'emploi, the CAP's avis on a refus de
//! titularisation, and a sanction's procedure (right to remain silent,
//! conseil de discipline). Each refusal is a 422 naming the fields at fault.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, fixture, pdf_text, spawn_app, stored_acts};

/// `template`'s fixture with `changes` merged into its data (a `null` removes).
fn with(template: &str, changes: Value) -> Value {
    let mut body = fixture(template);
    for (k, v) in changes.as_object().unwrap() {
        let data = body["data"].as_object_mut().unwrap();
        if v.is_null() {
            data.remove(k);
        } else {
            data.insert(k.clone(), v.clone());
        }
    }
    body
}

/// The pointers a 422 names, and its first message.
async fn refused(app: &TestApp, body: &Value) -> (Vec<String>, String) {
    let (status, problem) = app.post_act(body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem:#}");
    let errors = problem["errors"].as_array().unwrap();
    let paths = errors.iter().map(|e| e["path"].as_str().unwrap().to_owned()).collect();
    // Amounts and units keep their non-breaking spaces in messages too.
    (paths, errors[0]["message"].as_str().unwrap().replace('\u{a0}', " "))
}

async fn draft_text(app: &TestApp, body: &Value) -> String {
    let act = app.create(body).await;
    pdf_text(&app.pdf(act["id"].as_str().unwrap()).await)
}

#[tokio::test]
async fn an_ifse_above_the_plafond_of_its_groupe_is_refused_naming_both_amounts() {
    let app = spawn_app().await;
    let mut ifse = fixture("arrete-rifseep")["data"]["ifse"].clone();
    ifse["montant_annuel"] = json!(17480.01);
    let (paths, message) = refused(&app, &with("arrete-rifseep", json!({ "ifse": ifse }))).await;
    assert_eq!(paths, ["/data/ifse/montant_annuel", "/data/ifse/plafond_annuel"]);
    assert!(message.contains("17 480,01 €") && message.contains("17 480,00 €"), "{message}");
    // Neither IFSE nor CIA: nothing to attribute.
    let (paths, _) = refused(&app, &with("arrete-rifseep", json!({ "ifse": null }))).await;
    assert_eq!(paths, ["/data"]);
    // A retroactive attribution needs a stated régularisation.
    let (paths, _) = refused(&app, &with("arrete-rifseep", json!({ "date_effet": "2026-03-01" }))).await;
    assert_eq!(paths, ["/data/date_effet", "/data/date_decision"]);
    assert!(stored_acts(app.data_dir.path()).is_empty());
    let regul = json!({ "date_effet": "2026-03-01", "regularisation": "elle exerce ces fonctions depuis le 1er mars 2026" });
    let text = draft_text(&app, &with("arrete-rifseep", regul)).await;
    assert!(
        text.contains("Considérant qu’il y a lieu de régulariser la situation de l’intéressée"),
        "{text}"
    );
}

#[tokio::test]
async fn a_cia_states_its_year_and_is_paid_in_the_month_of_effect() {
    let app = spawn_app().await;
    let cia = json!({ "annee": 2026, "montant": 450, "plafond_annuel": 2380, "entretien_professionnel": "2026-01-22",
        "versement": "en deux fractions" });
    let text =
        draft_text(&app, &with("arrete-rifseep", json!({ "ifse": null, "cia": cia, "quotite": 80 }))).await;
    for expected in [
        "portant attribution du complément indemnitaire annuel (CIA)",
        "Au titre de l’année 2026, un complément indemnitaire annuel (CIA) d’un montant brut de 450,00 €",
        "versé en deux fractions, la première avec la rémunération du mois d’avril 2026",
        "n’est pas reconductible automatiquement",
    ] {
        assert!(text.contains(expected), "missing «{expected}» in:\n{text}");
    }
}

#[tokio::test]
async fn an_nbi_cessation_names_its_last_day_and_the_day_it_stops() {
    let app = spawn_app().await;
    let cessation = json!({ "decision": "cessation", "date_fin": "2027-06-30", "date_decision": "2027-06-10",
        "motif_fin": "à la suite de sa mutation", "arrete_attribution": { "reference": "n° 2026_ARR_00011", "date": "2026-02-23" } });
    let text = draft_text(&app, &with("arrete-nbi", cessation.clone())).await;
    assert!(text.contains("portant cessation du versement de la nouvelle bonification indiciaire"), "{text}");
    assert!(text.contains(
        "lui est versée jusqu’au 30 juin 2027 inclus et cesse de l’être à compter du 1er juillet 2027"
    ));
    // An attribution carries no reason to end; a cessation needs one.
    let (paths, _) = refused(&app, &with("arrete-nbi", json!({ "motif_fin": "x" }))).await;
    assert_eq!(paths, ["/data/motif_fin"]);
    let (paths, _) = refused(&app, &with("arrete-nbi", json!({ "decision": "cessation" }))).await;
    assert!(paths.contains(&"/data/date_fin".to_owned()), "{paths:?}");
    let mut early = cessation;
    early["date_fin"] = json!("2026-02-01");
    let (paths, _) = refused(&app, &with("arrete-nbi", early)).await;
    assert_eq!(paths, ["/data/date_fin", "/data/date_debut"]);
}

#[tokio::test]
async fn a_contract_is_transmitted_to_the_prefet_according_to_its_basis_never_by_choice() {
    let app = spawn_app().await;
    let permanent = draft_text(&app, &fixture("contrat-agent-contractuel")).await;
    for expected in [
        "qui est transmis au représentant de l’État dans le département (article L. 2131-2",
        "à compter de sa transmission au représentant de l’État dans le département et de sa notification",
        "Transmis au représentant de l’État le :",
        "L’agent contractuel,",
        "Pour l’employeur :",
    ] {
        assert!(permanent.contains(expected), "missing «{expected}» in:\n{permanent}");
    }
    // A temporary need (L. 332-23, 1°) is exempted by L. 2131-2.
    let temporary = with(
        "contrat-agent-contractuel",
        json!({ "fondement": "L332-23-1", "cas_l332_8": null, "declaration_vacance": null, "date_fin": "2027-04-30",
            "motif_precis": "renfort du service technique pendant les travaux de la salle des fêtes" }),
    );
    let text = draft_text(&app, &temporary).await;
    assert!(
        text.contains("accroissement temporaire d’activité, en application de l’article L. 332-23, 1°"),
        "{text}"
    );
    assert!(!text.contains("représentant de l’État"), "{text}");
    // … for twelve months at most.
    let mut longer = temporary;
    longer["data"]["date_fin"] = json!("2027-05-01");
    let (paths, message) = refused(&app, &longer).await;
    assert_eq!(paths, ["/data/date_fin"]);
    assert!(message.contains("30/04/2027"), "{message}");
    // No field lets a gestionnaire choose.
    let (paths, _) =
        refused(&app, &with("contrat-agent-contractuel", json!({ "transmissible": false }))).await;
    assert_eq!(paths, ["/data/transmissible"]);
}

#[tokio::test]
async fn a_contract_obeys_the_limits_of_decret_88_145_and_of_its_basis() {
    let app = spawn_app().await;
    let cases = [
        // Three years of contract allow three months of trial, not four.
        (json!({ "periode_essai": { "duree": 4, "unite": "mois" } }), vec!["/data/periode_essai/duree"]),
        // No trial period when the same employer renews the contract.
        (
            json!({ "contrat_precedent": { "reference": "n° 2023_CTR_00004", "date": "2023-04-12" } }),
            vec!["/data/periode_essai", "/data/contrat_precedent"],
        ),
        // L. 332-8, 3° is for communes under 1 000 inhabitants: Aubrecourt has 4 120.
        (json!({ "cas_l332_8": "3°" }), vec!["/data/cas_l332_8"]),
        // A CDI only under L. 332-8, without an end.
        (
            json!({ "cdi": "agent justifiant de six ans de services publics sur des fonctions de même catégorie (article L. 332-9)" }),
            vec!["/data/date_fin", "/data/cdi"],
        ),
        // No retroactive contract.
        (json!({ "date_decision": "2026-05-04" }), vec!["/data/date_debut", "/data/date_decision"]),
        // A replacement names whom it replaces.
        (
            json!({ "fondement": "L332-13", "cas_l332_8": null, "declaration_vacance": null }),
            vec!["/data/agent_remplace"],
        ),
    ];
    for (changes, expected) in cases {
        let (paths, message) = refused(&app, &with("contrat-agent-contractuel", changes.clone())).await;
        assert_eq!(paths, expected, "{changes}: {message}");
    }
    assert!(stored_acts(app.data_dir.path()).is_empty());
}

#[tokio::test]
async fn suppressing_an_emploi_needs_the_avis_of_the_cst_and_every_created_emploi_is_in_the_annexed_table() {
    let app = spawn_app().await;
    let (paths, message) = refused(&app, &with("deliberation-emplois", json!({ "avis_cst": null }))).await;
    assert_eq!(paths, ["/data/avis_cst"]);
    assert!(message.contains("comité social territorial"), "{message}");
    let mut table = fixture("deliberation-emplois")["data"]["tableau_effectifs"].clone();
    table["lignes"].as_array_mut().unwrap().pop();
    let (paths, _) =
        refused(&app, &with("deliberation-emplois", json!({ "tableau_effectifs": table }))).await;
    assert_eq!(paths, ["/data/mesures/2/grade", "/data/tableau_effectifs/lignes"]);

    let text = draft_text(&app, &fixture("deliberation-emplois")).await;
    for expected in [
        "Vu l’avis favorable émis le 17 mars 2026 par le comité social territorial placé auprès du centre de gestion",
        "Annexe — Tableau des effectifs au 1er septembre 2026",
        "de sa transmission au représentant de l’État dans le département",
        "sous la présidence de Mme Oriane DESPLANQUET, maire.",
    ] {
        assert!(text.contains(expected), "missing «{expected}» in:\n{text}");
    }
}

#[tokio::test]
async fn a_deliberation_opens_an_emploi_to_contractuels_only_on_a_case_of_l332_8_the_collectivite_meets() {
    let app = spawn_app().await;
    // Marquenval-sur-Canche (812 inhabitants) may invoke 3°, and the délibération says why.
    let mut body = fixture("deliberation-emplois");
    body["data"]["mesures"][2]["contractuel"]["cas"] = json!("3°");
    let text = draft_text(&app, &body).await;
    assert!(
        text.contains("sur le fondement de l’article L. 332-8 du code général de la fonction publique, la commune comptant moins de 1 000 habitants (3°)"),
        "{text}"
    );
    // Aubrecourt-en-Artois has 4,120 inhabitants: not a commune under 1,000 (3°) nor 2,000 (4°).
    for cas in ["3°", "4°"] {
        let mut body = fixture("deliberation-emplois");
        body["collectivite"] = json!("216295105");
        body["data"]["mesures"][2]["contractuel"]["cas"] = json!(cas);
        let (paths, message) = refused(&app, &body).await;
        assert_eq!(paths, ["/data/mesures/2/contractuel/cas"], "{message}");
        assert!(
            message.contains(&format!("Le {cas} de l’article L. 332-8")) && message.contains("4120"),
            "{message}"
        );
    }
    // 5°: an emploi under half a full-time one; the ATSEM emploi has 28 hours.
    let mut body = fixture("deliberation-emplois");
    body["data"]["mesures"][2]["contractuel"]["cas"] = json!("5°");
    let (paths, message) = refused(&app, &body).await;
    assert_eq!(paths, ["/data/mesures/2/contractuel/cas", "/data/mesures/2/heures"], "{message}");
    assert!(message.contains("17 heures 30"), "{message}");
}

#[tokio::test]
async fn a_refus_de_titularisation_needs_the_cap_and_a_prolongation_computes_the_new_end() {
    let app = spawn_app().await;
    let (paths, _) = refused(&app, &with("arrete-fin-stage", json!({ "avis_cap": null }))).await;
    assert_eq!(paths, ["/data/avis_cap"]);
    let (paths, _) = refused(&app, &with("arrete-fin-stage", json!({ "date_effet": "2026-03-25" }))).await;
    assert_eq!(paths, ["/data/date_effet"]);

    // 112 days of congés in a one-year stage: 36 count as stage, 76 prolong it.
    let conges = with(
        "arrete-fin-stage",
        json!({ "decision": "prolongation", "avis_cap": null, "rapport": null, "motivation": null, "information_agent": null,
            "date_effet": "2026-03-24", "prolongation": { "motif": "conges", "conges_jours": 112, "nature_conges": "congés de maladie ordinaire" } }),
    );
    let text = draft_text(&app, &conges).await;
    assert!(text.contains("qui devait prendre fin le 31 mars 2026, est prolongé de 76 jours ; il prendra fin le 15 juin 2026"), "{text}");
    // Beyond the statutory maximum.
    let insuffisance = with(
        "arrete-fin-stage",
        json!({ "decision": "prolongation", "avis_cap": null, "date_effet": "2026-03-24",
            "prolongation": { "motif": "insuffisance", "duree_mois": 13, "maximum_statutaire_mois": 12 } }),
    );
    let (paths, _) = refused(&app, &insuffisance).await;
    assert_eq!(paths, ["/data/prolongation/duree_mois", "/data/prolongation/maximum_statutaire_mois"]);
}

#[tokio::test]
async fn a_sanction_states_the_right_to_remain_silent_and_needs_the_conseil_de_discipline_beyond_the_first_group()
 {
    let app = spawn_app().await;
    let text = draft_text(&app, &fixture("arrete-sanction-disciplinaire")).await;
    for expected in [
        "de son droit à la communication intégrale de son dossier individuel",
        "de son droit de se taire lorsqu’il est entendu sur ces faits",
        "réuni le 26 février 2026, qui a proposé la sanction prononcée",
        "une exclusion temporaire de fonctions de dix jours, dont cinq jours avec sursis",
        "du 16 mars 2026 au 20 mars 2026 inclus",
        "privative de toute rémunération",
    ] {
        assert!(text.contains(expected), "missing «{expected}» in:\n{text}");
    }
    let mut procedure = fixture("arrete-sanction-disciplinaire")["data"]["procedure"].clone();
    procedure["droit_de_se_taire"] = json!(false);
    let (paths, message) =
        refused(&app, &with("arrete-sanction-disciplinaire", json!({ "procedure": procedure }))).await;
    assert_eq!(paths, ["/data/procedure/droit_de_se_taire"]);
    assert!(message.contains("2024-1105 QPC") && message.contains("490157"), "{message}");
    let (paths, _) =
        refused(&app, &with("arrete-sanction-disciplinaire", json!({ "conseil_discipline": null }))).await;
    assert_eq!(paths, ["/data/conseil_discipline"]);
    // An exclusion of the second group lasts 4 to 15 days.
    let sanction = json!({ "nature": "exclusion_2", "exclusion": { "duree_jours": 16, "sursis_jours": 0 } });
    let (paths, _) =
        refused(&app, &with("arrete-sanction-disciplinaire", json!({ "sanction": sanction }))).await;
    assert_eq!(paths, ["/data/sanction/exclusion/duree_jours"]);
    // A blâme needs no conseil de discipline and takes effect on notification.
    let blame = with(
        "arrete-sanction-disciplinaire",
        json!({ "conseil_discipline": null, "sanction": { "nature": "blame" } }),
    );
    let text = draft_text(&app, &blame).await;
    assert!(text.contains("sanction disciplinaire du 1er groupe suivante : un blâme"), "{text}");
    assert!(text.contains("effacée automatiquement au bout de trois ans"), "{text}");
}

/// Does `data` satisfy `cond`, an `if` of the shape the schemas use
/// (`properties` with `const` or `enum`, and `required`)?
fn satisfies(cond: &Value, data: &Value) -> bool {
    let required = cond["required"].as_array().into_iter().flatten().filter_map(Value::as_str);
    if required.clone().any(|k| data.get(k).is_none()) {
        return false;
    }
    cond["properties"].as_object().into_iter().flatten().all(|(k, rule)| match data.get(k) {
        None => true,
        Some(v) => match (rule.get("const"), rule.get("enum").and_then(Value::as_array)) {
            (Some(c), _) => c == v,
            (None, Some(options)) => options.contains(v),
            (None, None) => satisfies(rule, v),
        },
    })
}

/// Pointers of the members of `data` that a conditional (`allOf` … `if` /
/// `then` / `else`) of `schema` requires, at any depth of objects and arrays.
fn conditionally_required(root: &Value, schema: &Value, data: &Value, at: &str, out: &mut Vec<String>) {
    let schema = match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => root.pointer(r.trim_start_matches('#')).expect("local $ref"),
        None => schema,
    };
    match data {
        Value::Object(members) => {
            for rule in schema["allOf"].as_array().into_iter().flatten() {
                let branch = if satisfies(&rule["if"], data) { &rule["then"] } else { &rule["else"] };
                for name in branch["required"].as_array().into_iter().flatten().filter_map(Value::as_str) {
                    if members.contains_key(name) {
                        out.push(format!("{at}/{name}"));
                    }
                }
            }
            for (name, value) in members {
                if let Some(sub) = schema.pointer(&format!("/properties/{name}")) {
                    conditionally_required(root, sub, value, &format!("{at}/{name}"), out);
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                conditionally_required(root, &schema["items"], item, &format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

/// The generic test of `templates` removes the members a schema always
/// requires; these are required by what else the act says (a replacement
/// names whom it replaces, a refus de titularisation the avis of the CAP…).
#[tokio::test]
async fn removing_a_field_required_by_another_answer_is_a_422_naming_it_in_every_template() {
    let app = spawn_app().await;
    let mut checked = 0;
    for entry in std::fs::read_dir(crate::helpers::repo_path("fixtures/acts")).unwrap() {
        let id = entry.unwrap().path().file_stem().unwrap().to_str().unwrap().to_owned();
        let body = fixture(&id);
        let schema: Value = serde_json::from_slice(
            &std::fs::read(crate::helpers::repo_path(&format!("schemas/{id}.schema.json"))).unwrap(),
        )
        .unwrap();
        let mut paths = Vec::new();
        conditionally_required(&schema, &schema, &body["data"], "", &mut paths);
        for path in paths {
            let mut b = body.clone();
            let (parent, key) = path.rsplit_once('/').unwrap();
            b["data"].pointer_mut(parent).unwrap().as_object_mut().unwrap().remove(key);
            let (status, problem) = app.post_act(&b).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{id} without {path}");
            let expected = format!("/data{path}");
            let errors = problem["errors"].as_array().unwrap();
            assert!(
                errors.iter().any(|e| e["path"] == expected.as_str()),
                "{id}: {expected} not named: {problem:#}"
            );
            checked += 1;
        }
    }
    assert!(checked >= 10, "only {checked} conditional fields checked");
    assert!(stored_acts(app.data_dir.path()).is_empty());
}

/// `v` with every integer written as a float (`10` → `10.0`), which JSON
/// Schema's "integer" still accepts.
fn as_floats(v: &mut Value) {
    match v {
        Value::Number(n) if n.is_i64() => *v = json!(n.as_i64().unwrap() as f64),
        Value::Array(items) => items.iter_mut().for_each(as_floats),
        Value::Object(members) => members.values_mut().for_each(as_floats),
        _ => {}
    }
}

/// Text of a draft without its data fingerprint, which differs with the bytes.
async fn text_without_fingerprint(app: &TestApp, body: &Value) -> String {
    draft_text(app, body).await.split_whitespace().filter(|w| w.len() != 64).collect::<Vec<_>>().join(" ")
}

#[tokio::test]
async fn integers_written_as_floats_render_the_same_act() {
    let app = spawn_app().await;
    for id in [
        "arrete-rifseep",
        "arrete-nbi",
        "contrat-agent-contractuel",
        "deliberation-emplois",
        "arrete-fin-stage",
        "arrete-sanction-disciplinaire",
    ] {
        let body = fixture(id);
        let mut floats = body.clone();
        as_floats(&mut floats["data"]);
        assert_ne!(floats, body, "{id}: no integer in the fixture?");
        assert_eq!(
            text_without_fingerprint(&app, &floats).await,
            text_without_fingerprint(&app, &body).await,
            "{id}"
        );
    }
}
