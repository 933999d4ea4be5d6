//! The rules of law the templates apply to what they are given (issue 15):
//! transmission to the représentant de l'État derived from the act and its
//! content (CGCT L. 2131-2), the procès-verbal's ordre du jour, the visas a
//! career act or a délégation needs, the ancienneté and dates of career acts,
//! and délais read from the dated parameters.

use acta::domain::TemplateId;
use acta::service::Acta;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, fixture, pdf_text, spawn_app, test_settings};

/// The text of the draft PDF of `body`, created through the API.
async fn draft_text(app: &TestApp, body: &Value) -> String {
    let act = app.create(body).await;
    pdf_text(&app.pdf(act["id"].as_str().unwrap()).await)
}

/// A 422's named fields and its messages joined.
async fn refused(app: &TestApp, body: &Value) -> (Vec<String>, String) {
    let (status, problem) = app.post_act(body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem:#}");
    let errors = problem["errors"].as_array().unwrap();
    let paths = errors.iter().filter_map(|e| e["path"].as_str().map(str::to_owned)).collect();
    let messages = errors.iter().filter_map(|e| e["message"].as_str()).collect::<Vec<_>>().join(" | ");
    (paths, messages)
}

#[tokio::test]
async fn a_traffic_police_arrete_is_executory_on_publication_and_never_sent_to_the_prefet() {
    let app = spawn_app().await;
    let text = draft_text(&app, &fixture("arrete-police-circulation")).await;
    for expected in [
        "caractère exécutoire du présent arrêté à compter de sa publication (article L. 2131-1 du code général",
        "ses prescriptions sont opposables aux usagers dès la mise en place de la signalisation réglementaire \
         (article R. 411-25 du code de la route)",
        "il n’est pas soumis à l’obligation de transmission au représentant de l’État (article L. 2131-2, 2°",
    ] {
        assert!(text.contains(expected), "missing «{expected}» in:\n{text}");
    }
    for wrong in
        ["Transmis au représentant", "de sa transmission au représentant", "et transmis au représentant"]
    {
        assert!(!text.contains(wrong), "«{wrong}» in:\n{text}");
    }
}

#[tokio::test]
async fn a_deliberation_is_transmitted_unless_its_category_is_an_exception_of_l2131_2() {
    let app = spawn_app().await;
    // Tariffs of droits de voirie (the fixture's terrasses): not transmitted.
    let text = draft_text(&app, &fixture("deliberation")).await;
    assert!(!text.contains("Transmis au représentant de l’État le"), "{text}");
    assert!(text.contains("à compter de sa publication (article L. 2131-1 du code"), "{text}");
    assert!(text.contains("non soumise à l’obligation de transmission au représentant de l’État"), "{text}");
    assert!(text.contains("tarifs des droits de voirie et de stationnement"), "{text}");
    for exempt in ["voirie_communale", "taux_promotion", "affiliation_cdg", "convention_missions_cdg"] {
        let mut body = fixture("deliberation");
        body["data"]["categorie"] = json!(exempt);
        let text = draft_text(&app, &body).await;
        assert!(!text.contains("Transmis au représentant de l’État le"), "{exempt}: {text}");
    }
    // Any other délibération is transmitted.
    let mut body = fixture("deliberation");
    body["data"]["categorie"] = json!("droit_commun");
    let text = draft_text(&app, &body).await;
    assert!(
        text.contains("à compter de sa publication et de sa transmission au représentant de l’État"),
        "{text}"
    );
    assert!(text.contains("Transmis au représentant de l’État le"), "{text}");
    assert!(!text.contains("non soumise"), "{text}");

    // A payload written for the former free boolean gets a clear 422.
    let mut old = fixture("deliberation");
    let data = old["data"].as_object_mut().unwrap();
    data.remove("categorie");
    data.insert("transmission_prefet".into(), json!(true));
    let (paths, messages) = refused(&app, &old).await;
    assert_eq!(paths, ["/data/categorie", "/data/transmission_prefet"], "{messages}");
    assert!(messages.contains("categorie"), "{messages}");
    assert!(messages.contains("n'est plus accepté"), "{messages}");
}

fn proces_verbal(edit: impl FnOnce(&mut Value)) -> Value {
    let mut body = fixture("proces-verbal-seance");
    edit(&mut body["data"]);
    body
}

#[tokio::test]
async fn the_proces_verbal_keeps_the_convocations_ordre_du_jour_and_refuses_an_item_not_on_it() {
    let app = spawn_app().await;
    let text = draft_text(&app, &fixture("proces-verbal-seance")).await;
    for expected in [
        "Ordre du jour figurant dans la convocation adressée aux conseillers municipaux le 5 mars 2026",
        "1. Désignation du secrétaire de séance",
        "Convention de mise à disposition de la salle des Oyats avec l’association « Les Cerfs-volants du Platier » \
         (retiré de l’ordre du jour)",
        "est retiré de l’ordre du jour : à la demande du maire",
        "9. Questions diverses",
        "(point n° 8 de l’ordre du jour)",
    ] {
        assert!(text.contains(expected), "missing «{expected}» in:\n{text}");
    }
    // An affaire on a point the convocation does not have.
    let (paths, messages) = refused(&app, &proces_verbal(|d| d["affaires"][4]["point"] = json!(10))).await;
    assert_eq!(paths, ["/data/affaires/4/point"]);
    assert!(messages.contains("Cession de la parcelle cadastrée AB 412"), "{messages}");
    assert!(messages.contains("n’en compte que 9"), "{messages}");
    // A point neither examined, withdrawn nor without délibération.
    let (paths, messages) = refused(&app, &proces_verbal(|d| d["affaires"][4]["point"] = json!(5))).await;
    assert_eq!(paths, ["/data/ordre_du_jour/7"]);
    assert!(messages.contains("Le point n° 8 de l’ordre du jour"), "{messages}");
    // A délibération on a point recorded as withdrawn.
    let (paths, _) = refused(&app, &proces_verbal(|d| d["affaires"][4]["point"] = json!(7))).await;
    assert_eq!(paths, ["/data/affaires/4/point", "/data/ordre_du_jour/6/retrait"]);
    // The ordre du jour is required.
    let (paths, _) =
        refused(&app, &proces_verbal(|d| _ = d.as_object_mut().unwrap().remove("ordre_du_jour"))).await;
    assert_eq!(paths, ["/data/ordre_du_jour"]);
}

#[tokio::test]
async fn career_acts_give_the_visas_they_rest_on() {
    let app = spawn_app().await;
    let text = draft_text(&app, &fixture("arrete-avancement-grade")).await;
    assert!(
        text.contains(
            "Vu la délibération du conseil municipal du 11 décembre 2025 portant création de l’emploi correspondant \
             au grade d’adjoint technique principal de"
        ),
        "{text}"
    );
    let text = draft_text(&app, &fixture("arrete-titularisation")).await;
    assert!(
        text.contains("certifiant que Mme Clothilde GRÉBAUVAL a suivi la formation d’intégration"),
        "{text}"
    );
    let mut dispense = fixture("arrete-titularisation");
    dispense["data"]["formation_integration"] = json!({
        "nature": "dispense", "date": "2025-06-03",
        "autorite": "le Centre national de la fonction publique territoriale"
    });
    let text = draft_text(&app, &dispense).await;
    assert!(
        text.contains(
            "Vu la décision du Centre national de la fonction publique territoriale du 3 juin 2025 dispensant \
             Mme Clothilde GRÉBAUVAL de la formation d’intégration"
        ),
        "{text}"
    );
    dispense["data"]["formation_integration"].as_object_mut().unwrap().remove("autorite");
    let (paths, _) = refused(&app, &dispense).await;
    assert_eq!(paths, ["/data/formation_integration/autorite"]);
}

#[tokio::test]
async fn a_delegation_of_the_councils_powers_needs_its_deliberation_to_allow_the_subdelegation() {
    let app = spawn_app().await;
    let text = draft_text(&app, &fixture("arrete-delegation-signature")).await;
    assert!(
        text.contains(
            "Vu la délibération du conseil municipal du 21 mars 2026 donnant délégation au maire en application de \
             l’article L. 2122-22 du code général des collectivités territoriales et permettant que les décisions \
             prises en vertu de cette délégation soient signées par délégation (article L. 2122-23 du même code)"
        ),
        "{text}"
    );
    let mut body = fixture("arrete-delegation-signature");
    body["data"]["deliberation_l2122_22"]["subdelegation_autorisee"] = json!(false);
    let (paths, messages) = refused(&app, &body).await;
    assert_eq!(paths, ["/data/deliberation_l2122_22/subdelegation_autorisee"]);
    assert!(messages.contains("L. 2122-23"), "{messages}");
    // Powers delegated by the council without the délibération: refused by the schema.
    body["data"].as_object_mut().unwrap().remove("deliberation_l2122_22");
    let (paths, _) = refused(&app, &body).await;
    assert_eq!(paths, ["/data/deliberation_l2122_22"]);
    // A délégation of the maire's own powers only: no such visa.
    let data = body["data"].as_object_mut().unwrap();
    data.insert("attributions_l2122_22".into(), json!(false));
    let text = draft_text(&app, &body).await;
    assert!(!text.contains("L. 2122-22"), "{text}");
}

#[test]
fn a_delegation_de_fonctions_to_an_adjoint_is_filed_under_matiere_5_4() {
    let tmp = tempfile::tempdir().unwrap();
    let acta = Acta::open(&test_settings(tmp.path())).unwrap();
    let id: TemplateId = "arrete-delegation-signature".parse().unwrap();
    let template = acta.catalog().get(&id).unwrap();
    let mut data = fixture("arrete-delegation-signature")["data"].clone();
    assert_eq!(template.matiere_of(&data), "5.5");
    data["delegataire"]["statut"] = json!("adjoint au maire");
    assert_eq!(template.matiere_of(&data), "5.4");
    // A délibération names its own matière.
    let id: TemplateId = "deliberation".parse().unwrap();
    assert_eq!(acta.catalog().get(&id).unwrap().matiere_of(&fixture("deliberation")["data"]), "7.10");
}

#[tokio::test]
async fn an_anciennete_conservee_reaching_the_echelons_duration_is_refused() {
    let app = spawn_app().await;
    let mut body = fixture("arrete-avancement-echelon");
    body["data"]["anciennete_conservee"] = json!({ "annees": 2, "mois": 0, "jours": 0 });
    let (paths, messages) = refused(&app, &body).await;
    assert_eq!(paths, ["/data/anciennete_conservee", "/data/echelon/duree_mois"]);
    assert!(messages.contains("atteint ou dépasse la durée du 6e échelon (24 mois)"), "{messages}");
    // Just below the duration, and in a terminal échelon (no duration), it is accepted.
    body["data"]["anciennete_conservee"] = json!({ "annees": 1, "mois": 11, "jours": 29 });
    app.create(&body).await;
    body["data"]["anciennete_conservee"] = json!({ "annees": 4, "mois": 0, "jours": 0 });
    body["data"]["echelon"]["duree_mois"] = Value::Null;
    app.create(&body).await;
}

#[tokio::test]
async fn a_career_act_taking_effect_before_its_signature_must_be_a_regularisation() {
    let app = spawn_app().await;
    for (template, effet) in [
        ("arrete-avancement-echelon", "date_effet"),
        ("arrete-avancement-grade", "date_effet"),
        ("arrete-titularisation", "date_effet"),
        ("arrete-nomination-stagiaire", "date_effet"),
        ("arrete-disponibilite", "date_debut"),
        ("arrete-temps-partiel", "date_debut"),
    ] {
        let mut body = fixture(template);
        let effet_date = body["data"][effet].as_str().unwrap().to_owned();
        // Signed the day after it takes effect.
        let (y, rest) = effet_date.split_at(8);
        let day: u32 = rest.parse().unwrap();
        let (signed, effet_date) = if day < 28 {
            (format!("{y}{:02}", day + 1), effet_date)
        } else {
            (effet_date.clone(), format!("{y}{:02}", day - 1))
        };
        body["data"][effet] = json!(effet_date);
        body["data"]["date_decision"] = json!(signed);
        let (paths, messages) = refused(&app, &body).await;
        assert_eq!(paths, [format!("/data/{effet}"), "/data/date_decision".into()], "{template}");
        assert!(messages.contains("« regularisation » : true"), "{template}: {messages}");

        body["data"]["regularisation"] = json!(true);
        let text = draft_text(&app, &body).await;
        assert!(
            text.contains(
                "date antérieure à sa signature, a pour objet de régulariser la situation administrative"
            ),
            "{template}: {text}"
        );
    }
    // Not retroactive: no such considérant.
    let text = draft_text(&app, &fixture("arrete-avancement-echelon")).await;
    assert!(!text.contains("régulariser"), "{text}");
}

#[tokio::test]
async fn convocation_delais_come_from_the_dated_parameters_with_their_reference() {
    let app = spawn_app().await;
    // A commune of 9 870 inhabitants convened four jours francs before.
    let mut body = fixture("deliberation");
    body["data"]["seance"]["date_convocation"] = json!("2026-03-07");
    let (_, messages) = refused(&app, &body).await;
    for expected in ["4 jour(s) franc(s)", "au moins 5", "commune de 3500 habitants et plus", "L. 2121-12"] {
        assert!(messages.contains(expected), "«{expected}» not in {messages}");
    }
    // The convocation states the délai in words, from the same parameter.
    let text = draft_text(&app, &fixture("convocation-conseil-municipal")).await;
    assert!(
        text.contains("dans le respect du délai de cinq jours francs prévu à l’article L. 2121-12"),
        "{text}"
    );
    // Before the first dated value acta knows, it refuses rather than guess.
    let mut body = fixture("convocation-conseil-municipal");
    body["data"]["seance"]["date"] = json!("1995-03-12");
    body["data"]["date_envoi"] = json!("1995-03-05");
    let (_, messages) = refused(&app, &body).await;
    assert!(messages.contains("Aucune règle connue pour « convocation-conseil-municipal »"), "{messages}");
}
