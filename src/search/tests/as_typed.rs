//! Queries as archivists type them, over the kinds of acts a CdG produces:
//! abbreviations and their long forms, broader forms for acts whose content
//! is under medical secrecy, dates and act numbers typed loosely, pasted
//! paragraphs.

use super::*;

/// One act per kind, titled as its template titles it; the health leaves
/// have no content in the index (medical secrecy).
fn kinds() -> (tempfile::TempDir, SearchIndex) {
    let career = |id: &str, title: &str, body: &str| Entry {
        template: format!("arrete-{id}"),
        kind: "arrete".into(),
        nature: 3,
        matiere: "4.1".into(),
        number: None,
        ..entry(id, A, title, body)
    };
    index(&[
        career("conge-sante", "Arrêté portant congé de santé", ""),
        career("tpt", "Arrêté portant temps partiel pour raison thérapeutique", ""),
        career("temps-partiel", "Arrêté portant temps partiel", "sur autorisation quotité 80"),
        career(
            "nbi",
            "Arrêté portant attribution ou cessation de la nouvelle bonification indiciaire",
            "points 15 secrétaire de mairie",
        ),
        career(
            "rifseep",
            "Arrêté portant attribution de l'IFSE et/ou du CIA (RIFSEEP)",
            "groupe B1 montant annuel 4200",
        ),
        career("contrat", "Contrat de recrutement d'un agent contractuel", "L332-8 chargé de communication"),
        career("radiation", "Arrêté portant radiation des cadres", "limite_age cnracl"),
        career(
            "sanction",
            "Arrêté portant sanction disciplinaire",
            "exclusion temporaire de fonctions de 3 jours",
        ),
        career(
            "fin-stage",
            "Arrêté portant prolongation de stage ou refus de titularisation",
            "prolongation_stage",
        ),
        career("reclassement", "Arrêté portant reclassement", "échelonnement indiciaire C1 C2"),
        entry(
            "emplois",
            A,
            "Délibération portant création ou suppression d'emplois",
            "création d'un emploi permanent de chargé de communication",
        ),
        Entry {
            number: Some("2026_ARR_00045".into()),
            ..career(
                "dispo",
                "Arrêté portant mise en disponibilité",
                "Vu le décret n° 2012-924 du 30 juillet 2012 modifié portant statut particulier du cadre d'emplois des rédacteurs territoriaux ; demande présentée le 2026-03-15 (15 mars 2026) ; convenances personnelles",
            )
        },
    ])
}

fn first_three(idx: &SearchIndex, q: &str) -> Vec<String> {
    idx.search(&SearchRequest::text(q), &Scope::all())
        .unwrap()
        .hits
        .into_iter()
        .take(3)
        .map(|h| h.id)
        .collect()
}

#[test]
fn abbreviations_and_usual_names_find_the_acts_of_this_wave() {
    let (_d, idx) = kinds();
    for (q, expected) in [
        ("CLM", "conge-sante"),
        ("congé de longue maladie", "conge-sante"),
        ("arrêté de CLM", "conge-sante"),
        ("CMO", "conge-sante"),
        ("conge maladie ordinaire", "conge-sante"),
        ("CITIS", "conge-sante"),
        ("CLD", "conge-sante"),
        ("arrêt maladie", "conge-sante"),
        ("accident de service", "conge-sante"),
        ("TPT", "tpt"),
        ("temps partiel thérapeutique", "tpt"),
        ("mi-temps thérapeutique", "tpt"),
        ("temps partiel pour raison therapeutique", "tpt"),
        ("NBI", "nbi"),
        ("nouvelle bonification indiciaire", "nbi"),
        ("IFSE", "rifseep"),
        ("RIFSEEP", "rifseep"),
        ("régime indemnitaire", "rifseep"),
        ("indemnité de fonctions, de sujétions et d'expertise", "rifseep"),
        ("contrat", "contrat"),
        ("CDD", "contrat"),
        ("agent non titulaire", "contrat"),
        ("création de poste", "emplois"),
        ("creation d'emploi", "emplois"),
        ("radiation des cadres", "radiation"),
        ("départ à la retraite", "radiation"),
        ("limite d'âge", "radiation"),
        ("sanction", "sanction"),
        ("ETF", "sanction"),
        ("prolongation de stage", "fin-stage"),
        ("refus de titularisation", "fin-stage"),
        ("reclassement", "reclassement"),
        ("dispo", "dispo"),
    ] {
        assert!(first_three(&idx, q).iter().any(|id| id == expected), "« {q} » → {:?}", first_three(&idx, q));
    }
    // A broader form does not search the narrower ones: "congé de santé"
    // finds the congé, not acts that only say "maladie".
    assert_eq!(first_three(&idx, "congé de santé"), ["conge-sante"]);
    // "temps partiel" still finds both, the plain one first.
    assert_eq!(first_three(&idx, "temps partiel"), ["temps-partiel", "tpt"]);
}

#[test]
fn dates_and_act_numbers_typed_loosely_find_their_act() {
    let (_d, idx) = kinds();
    for q in [
        "15/03/2026",
        "disponibilité 15.03.2026",
        "disponibilite 2026-03-15",
        "dispo 03/2026",
        "arrêté 2026-045",
        "arrêté n° 45/2026",
        "2026-ARR-45",
        "arr/2026/00045",
        "décret 2012-924",
        "n°2026-045",
    ] {
        assert_eq!(first_three(&idx, q).first().map(String::as_str), Some("dispo"), "« {q} »");
    }
    // A reading that does not exist hides nothing, and finds nothing wrong.
    assert!(first_three(&idx, "arrêté 2026-046").is_empty());
    assert!(first_three(&idx, "16/03/2026").is_empty());
}

#[test]
fn a_pasted_paragraph_is_searched_by_its_most_telling_words() {
    let (_d, idx) = kinds();
    let pasted = "Vu le décret n° 2012-924 du 30 juillet 2012 modifié portant statut particulier du cadre \
        d'emplois des rédacteurs territoriaux ; considérant la demande de mise en disponibilité pour \
        convenances personnelles présentée par l'intéressée, arrête : article premier";
    assert_eq!(first_three(&idx, pasted).first().map(String::as_str), Some("dispo"));
    let long = "disponibilité ".repeat(250);
    assert!(long.len() > 3_000);
    assert_eq!(first_three(&idx, &long).first().map(String::as_str), Some("dispo"));
}

#[test]
fn cet_typed_in_capitals_is_the_compte_epargne_temps_not_a_function_word() {
    let (_d, idx) = index(&[
        entry("cet", A, "Délibération fixant les règles du compte épargne-temps", "ouverture et utilisation"),
        entry("cet-sigle", A, "Délibération relative au CET", "jours épargnés, monétisation"),
        entry("autre", A, "Délibération relative à cet emploi", "création"),
    ]);
    assert_eq!(first_three(&idx, "règles du CET"), ["cet"]);
    for q in ["CET", "compte épargne temps", "compte epargne-temps", "délibération CET"] {
        let found = first_three(&idx, q);
        assert!(
            found.contains(&"cet".to_owned()) && found.contains(&"cet-sigle".to_owned()),
            "« {q} » → {found:?}"
        );
        assert!(!found.contains(&"autre".to_owned()), "« {q} » → {found:?}");
    }
    // In lower case, "cet" stays a determiner: "cet emploi" is "emploi".
    assert_eq!(first_three(&idx, "cet emploi"), ["autre"]);
}
