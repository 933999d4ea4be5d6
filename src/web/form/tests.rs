use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::html::render;
use super::read::apply;
use super::*;

fn echelon() -> Node {
    let schema: Value =
        serde_json::from_str(include_str!("../../../schemas/arrete-avancement-echelon.schema.json")).unwrap();
    Node::of_schema(&schema)
}

fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
    p.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

#[test]
fn a_schema_becomes_fieldsets_radios_dates_bounded_numbers_and_lists() {
    let form = echelon();
    assert!(matches!(form.at("/agent").unwrap().kind, Kind::Object(_)));
    assert_eq!(form.at("/agent/civilite").unwrap().kind, Kind::Choice(vec![json!("M."), json!("Mme")]));
    assert_eq!(form.at("/date_effet").unwrap().kind, Kind::Date);
    assert_eq!(
        form.at("/echelon/ancien").unwrap().kind,
        Kind::Number { integer: true, min: Some(1.0), max: Some(14.0) }
    );
    assert!(matches!(form.at("/visas").unwrap().kind, Kind::Array { max: Some(12), .. }));
    assert!(matches!(form.at("/visas/3").unwrap().kind, Kind::Text { long: true, .. }));
    // A description beside a `$ref` is the hint.
    assert!(form.at("/grade").unwrap().description.as_deref().unwrap().starts_with("Grade de l'agent"));

    let html = render(&form, &json!({}), &BTreeMap::new(), None).html;
    assert!(html.contains(r#"<legend class="fieldset__legend">Agent</legend>"#), "{html}");
    assert!(html.contains(
        r#"type="radio" class="radio__input" id="f.agent.civilite" name="/agent/civilite" value="M.""#
    ));
    assert!(html.contains(r#"type="date""#) && html.contains(r#"name="/date_effet""#));
    assert!(html.contains(r#"type="number" min="1" max="14" step="1""#), "{html}");
    assert!(html.contains(
        r#"<label class="field__label" for="f.grade">Grade</label><p class="field__hint" id="f.grade-hint">"#
    ));
    assert!(html.contains(r#"aria-describedby="f.grade-hint""#));
    assert!(html.contains(r#"Imputation budgétaire <span class="field__optional">(facultatif)</span>"#));
    assert!(html.contains(r#"value="ajouter:/visas""#) && html.contains(r##"name="#/visas" value="0""##));
}

#[test]
fn a_posted_form_reads_back_as_the_data_a_person_meant() {
    let form = echelon();
    let data = read(
        &form,
        &pairs(&[
            ("/agent/civilite", "Mme"),
            ("/agent/nom", "  DURAND "),
            ("/agent/prenom", ""),
            ("/echelon/ancien", "4"),
            ("/echelon/indice_brut", "1 020"),
            ("/echelon/nouveau", "cinq"),
            ("#/visas", "2"),
            ("/visas/0", ""),
            ("/visas/1", "le décret n° 2016-596\r\nportant dispositions statutaires "),
            ("/signataire/qualite", ""),
        ]),
        true,
    );

    assert_eq!(data["agent"], json!({"civilite": "Mme", "nom": "DURAND"}));
    assert_eq!(data["echelon"]["ancien"], json!(4));
    assert_eq!(data["echelon"]["indice_brut"], json!(1020));
    // Kept as typed: the schema says it must be a whole number.
    assert_eq!(data["echelon"]["nouveau"], json!("cinq"));
    // Saving drops the empty row; an optional group left empty is absent.
    // Enter pressed in a one-paragraph text area is a space, not an error.
    assert_eq!(data["visas"], json!(["le décret n° 2016-596 portant dispositions statutaires"]));
    assert!(data.get("signataire").is_none());
    // A required group left empty is there, so its members are « obligatoire ».
    assert_eq!(data["arrete_precedent"], json!({}));
}

#[test]
fn rows_are_added_and_removed_without_losing_what_was_typed() {
    let form = echelon();
    let posted = pairs(&[("#/visas", "2"), ("/visas/0", "premier"), ("/visas/1", ""), ("/grade", "attaché")]);
    let mut data = read(&form, &posted, false);
    assert_eq!(data["visas"], json!(["premier", null]));
    apply(&mut data, &read_action(&pairs(&[("action", "ajouter:/visas")])));
    assert_eq!(data["visas"], json!(["premier", null, null]));
    apply(&mut data, &Action::Remove("/visas/0".into()));
    assert_eq!(data["visas"], json!([null, null]));
    assert_eq!(data["grade"], json!("attaché"));
    // A list nobody started yet gets its first row.
    let mut empty = json!({});
    apply(&mut empty, &Action::Add("/arrete_precedent/lignes".into()));
    assert_eq!(empty, json!({"arrete_precedent": {"lignes": [null]}}));
    let html = render(&form, &data, &BTreeMap::new(), Some("/visas/1")).html;
    assert!(
        html.contains(r#"id="f.visas.1" name="/visas/1" aria-describedby"#)
            || html.contains(r#"name="/visas/1""#)
    );
    assert!(html.contains("autofocus"));
    assert!(html.contains(r#"value="supprimer:/visas/1""#));
}

#[test]
fn every_error_is_beside_its_field_and_in_the_summary_in_form_order() {
    let form = echelon();
    let mut errors = BTreeMap::new();
    errors.insert("/grade".to_owned(), vec!["champ obligatoire manquant".to_owned()]);
    errors.insert("/agent/nom".to_owned(), vec!["ne doit pas être vide".to_owned()]);
    errors.insert("/echelon/zzz".to_owned(), vec!["champ inconnu pour ce modèle".to_owned()]);
    errors.insert("".to_owned(), vec!["la date d'effet précède la décision".to_owned()]);
    let out = render(&form, &json!({"grade": ""}), &errors, None);
    assert!(out.html.contains(r#"<p class="field__error" id="f.grade-error"><span class="visually-hidden">Erreur : </span>Ce champ est obligatoire</p>"#), "{}", out.html);
    assert!(out.html.contains(r#"aria-describedby="f.grade-hint f.grade-error" aria-invalid="true""#));
    let summary: Vec<_> = out.summary.iter().map(|(id, m)| format!("{id} {m}")).collect();
    assert_eq!(
        summary,
        [
            "formulaire La date d'effet précède la décision",
            "f.agent.nom Agent — Nom : ne doit pas être vide",
            "f.grade Grade : champ obligatoire manquant",
            "f.echelon-groupe Échelon : champ inconnu pour ce modèle",
        ]
    );
}

#[test]
fn hostile_text_is_shown_literally() {
    let form = echelon();
    let out = render(&form, &json!({"grade": "\"><script>alert(1)</script>"}), &BTreeMap::new(), None);
    assert!(out.html.contains("&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!out.html.contains("<script>"));
}

#[test]
fn every_template_schema_becomes_a_form() {
    for entry in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/schemas")).unwrap() {
        let schema: Value = serde_json::from_slice(&std::fs::read(entry.unwrap().path()).unwrap()).unwrap();
        let form = Node::of_schema(&schema);
        let html = render(&form, &json!({}), &BTreeMap::new(), None).html;
        assert!(html.contains("<label") || html.contains("<legend"));
        // Every input is named by a pointer the schema knows.
        for name in html.split(r#" name=""#).skip(1).map(|s| &s[..s.find('"').unwrap()]) {
            let ptr = name.trim_start_matches('#');
            assert!(form.at(ptr).is_some() || name == "action", "{name}");
        }
    }
}

#[test]
fn fields_come_in_the_order_the_schema_lists_them() {
    use crate::assets::FileTree;
    let catalog =
        crate::catalog::Catalog::load(&FileTree::builtin_schemas(), &FileTree::builtin_templates()).unwrap();
    let t = catalog.get(&"arrete-avancement-echelon".parse().unwrap()).unwrap();
    let Kind::Object(props) = Node::of_template(t).kind else { panic!("an object") };
    let keys: Vec<_> = props.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(&keys[..4], ["agent", "grade", "statut_particulier", "visas"]);
    let Some(Kind::Object(agent)) = Node::of_template(t).at("/agent").map(|n| n.kind.clone()) else {
        panic!()
    };
    assert_eq!(
        agent.iter().map(|p| p.key.as_str()).collect::<Vec<_>>(),
        ["civilite", "prenom", "nom", "matricule"]
    );
}

#[test]
fn the_next_act_of_a_career_starts_from_the_last_one() {
    let form = echelon();
    let last = json!({"agent": {"nom": "DURAND", "matricule": "A-1"}, "grade": "attaché", "echelon": {"ancien": 4, "nouveau": 5},
        "date_effet": "2025-01-01", "anciennete_conservee": {"annees": 1}});
    let next = carry(&form, &last, "2025_ARR_00012", "2025-01-03");
    assert_eq!(
        next,
        json!({"agent": {"nom": "DURAND", "matricule": "A-1"}, "grade": "attaché", "echelon": {"ancien": 5},
            "arrete_precedent": {"reference": "n° 2025_ARR_00012", "date": "2025-01-03"}})
    );
}

#[test]
fn a_member_that_may_be_null_is_a_number_input_and_sent_as_null_when_left_empty() {
    let form = echelon();
    let duree = form.at("/echelon/duree_mois").unwrap();
    assert!(matches!(duree.kind, Kind::Number { integer: true, .. }), "{:?}", duree.kind);
    assert!(duree.nullable);
    let typed = read(&form, &pairs(&[("/echelon/duree_mois", "24")]), true);
    assert_eq!(typed.pointer("/echelon/duree_mois"), Some(&json!(24)));
    let empty = read(&form, &pairs(&[("/echelon/duree_mois", " ")]), true);
    assert_eq!(empty.pointer("/echelon/duree_mois"), Some(&Value::Null));
}

/// A délibération voted « à main levée » posts the optional « Nom des
/// votants » group with its three lists empty: the group is absent, not an
/// empty one that the rule « as many names as votes » would then refuse.
#[test]
fn an_optional_group_whose_lists_were_left_empty_is_absent() {
    let schema: Value =
        serde_json::from_str(include_str!("../../../schemas/deliberation.schema.json")).unwrap();
    let form = Node::of_schema(&schema);
    let posted = |extra: &[(&str, &str)]| {
        let mut p = pairs(&[
            ("/vote/scrutin", "main levée"),
            ("/vote/pour", "23"),
            ("#/vote/noms/pour", "0"),
            ("#/vote/noms/contre", "0"),
            ("#/vote/noms/abstentions", "0"),
        ]);
        p.extend(pairs(extra));
        p
    };
    let saved = read(&form, &posted(&[]), true);
    assert_eq!(saved["vote"]["pour"], json!(23));
    assert!(saved["vote"].get("noms").is_none(), "{saved}");
    // A name typed makes the group, with its other lists empty.
    let named =
        read(&form, &posted(&[("#/vote/noms/pour", "1"), ("/vote/noms/pour/0/nom", "Ribouldec")]), true);
    assert_eq!(named["vote"]["noms"]["contre"], json!([]), "{named}");
    assert_eq!(named["vote"]["noms"]["pour"][0]["nom"], json!("Ribouldec"));
    // While editing, a row just added keeps the group (and the row) there.
    let editing = read(&form, &posted(&[("#/vote/noms/pour", "1")]), false);
    assert_eq!(editing["vote"]["noms"]["pour"], json!([null]), "{editing}");
}

#[test]
fn the_summary_names_the_group_of_a_field_whose_label_repeats() {
    let form = echelon();
    let mut errors = BTreeMap::new();
    errors.insert("/agent/nom".to_owned(), vec!["champ obligatoire manquant".to_owned()]);
    errors.insert("/date_effet".to_owned(), vec!["champ obligatoire manquant".to_owned()]);
    let out = render(&form, &json!({}), &errors, None);
    let summary: Vec<_> = out.summary.iter().map(|(_, m)| m.as_str()).collect();
    assert!(summary.contains(&"Agent — Nom : champ obligatoire manquant"), "{summary:?}");
    assert!(summary.contains(&"Date d'effet : champ obligatoire manquant"), "{summary:?}");
    // Beside the field, the label alone (the fieldset's legend says the group).
    assert!(
        out.html.contains(r#"<label class="field__label" for="f.agent.nom">Nom</label>"#),
        "{}",
        out.html
    );
}
