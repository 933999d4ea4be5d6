//! Distinct documents for the render benchmark.
//!
//! Rendering the same request twice lets Typst's memoization serve most of
//! the second document from cache, which says nothing about a real day. So
//! document `i` of a run is its fixture with *other people* in it: every
//! person (an object with `nom` and `prenom`) gets another name and every
//! `matricule` a number of its own, as in a batch of career acts where only
//! the agent changes. With [`Mix::Collectivites`] the collectivité rotates
//! too, as when acts of many communes are interleaved.

use serde_json::Value;

// Fictitious names; list lengths are coprime so that (nom, prénom) pairs only
// repeat after 29 × 31 = 899 documents, far beyond the memoization cache's
// lifetime (entries unused for ~20 renders are evicted).
const NOMS: [&str; 29] = [
    "Aubertin",
    "Baudequin",
    "Carpentier",
    "Delattre",
    "Everaert",
    "Flament",
    "Gosselin",
    "Hennebelle",
    "Ingelaere",
    "Jouvenel",
    "Lefebvre-Duquesne",
    "Mahieu",
    "Noclercq",
    "Outtier",
    "Pruvost",
    "Quennehen",
    "Ramette",
    "Sénéchal",
    "Tillier",
    "Urbain",
    "Vasseur",
    "Wartelle",
    "Yvart",
    "Zaoui",
    "Bocquillon",
    "Caudron",
    "Dufossé",
    "Leprêtre",
    "Ternisien",
];
const PRENOMS: [&str; 31] = [
    "Amandine",
    "Benoît",
    "Céline",
    "Damien",
    "Élodie",
    "Fabrice",
    "Gaëlle",
    "Hervé",
    "Isabelle",
    "Jérôme",
    "Karine",
    "Ludovic",
    "Maëlle",
    "Nicolas",
    "Océane",
    "Pascal",
    "Quentin",
    "Rachida",
    "Sébastien",
    "Thérèse",
    "Ulysse",
    "Valérie",
    "William",
    "Xavière",
    "Yannick",
    "Zoé",
    "Aurélien",
    "Bérénice",
    "Corentin",
    "Delphine",
    "Émile",
];

/// What changes from one benchmark document to the next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Mix {
    /// The people only: a batch for one collectivité.
    #[default]
    Agents,
    /// The people and the collectivité (round robin over the profiles).
    Collectivites,
}

/// Document `i` built from `fixture` (a request body: template, collectivite,
/// data); `sirens` are the collectivités to rotate over with
/// [`Mix::Collectivites`] (those that can issue this act).
pub fn variant(fixture: &Value, i: usize, mix: Mix, sirens: &[String]) -> Value {
    let mut body = fixture.clone();
    if let Some(data) = body.get_mut("data") {
        rename(data, i, &mut Vec::new());
    }
    if mix == Mix::Collectivites && !sirens.is_empty() {
        body["collectivite"] = Value::String(sirens[i % sirens.len()].clone());
    }
    body
}

/// Give every person under `v` a name depending on `i` and on its rank. The
/// same person (same original name) keeps one new name throughout the
/// document: templates check that a rapporteur is among the présents, etc.
fn rename(v: &mut Value, i: usize, people: &mut Vec<(String, String)>) {
    match v {
        Value::Object(map) => {
            if let (Some(Value::String(nom)), Some(Value::String(prenom))) =
                (map.get("nom"), map.get("prenom"))
            {
                let who = (nom.clone(), prenom.clone());
                let rank = people.iter().position(|p| *p == who).unwrap_or_else(|| {
                    people.push(who);
                    people.len() - 1
                });
                let k = i + 7 * rank;
                map.insert("nom".into(), NOMS[k % NOMS.len()].into());
                map.insert("prenom".into(), PRENOMS[k % PRENOMS.len()].into());
            }
            if map.get("matricule").is_some_and(Value::is_string) {
                map.insert("matricule".into(), format!("M-{i:06}").into());
            }
            map.values_mut().for_each(|child| rename(child, i, people));
        }
        Value::Array(items) => items.iter_mut().for_each(|child| rename(child, i, people)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fixture() -> Value {
        json!({
            "template": "t", "collectivite": "111",
            "data": { "agent": { "nom": "A", "prenom": "B", "matricule": "M-1" },
                      "signataire": { "nom": "C", "prenom": "D", "qualite": "Maire" }, "n": 3 }
        })
    }

    #[test]
    fn consecutive_documents_name_other_people_and_keep_the_rest() {
        let (a, b) = (variant(&fixture(), 0, Mix::Agents, &[]), variant(&fixture(), 1, Mix::Agents, &[]));
        assert_ne!(a["data"]["agent"], b["data"]["agent"]);
        assert_ne!(a["data"]["agent"]["nom"], a["data"]["signataire"]["nom"]);
        assert_eq!(a["data"]["agent"]["matricule"], "M-000000");
        assert_eq!((&a["data"]["n"], &a["collectivite"]), (&json!(3), &json!("111")));
    }

    #[test]
    fn one_person_keeps_one_name_throughout_a_document() {
        let mut body = fixture();
        body["data"]["rapporteur"] = json!({ "nom": "A", "prenom": "B" });
        let v = variant(&body, 5, Mix::Agents, &[]);
        assert_eq!(
            v["data"]["rapporteur"],
            json!({ "nom": v["data"]["agent"]["nom"], "prenom": v["data"]["agent"]["prenom"] })
        );
    }

    #[test]
    fn names_repeat_only_after_899_documents() {
        let name = |i| variant(&fixture(), i, Mix::Agents, &[])["data"]["agent"].clone();
        let first = name(0);
        assert!((1..899).all(|i| name(i)["nom"] != first["nom"] || name(i)["prenom"] != first["prenom"]));
    }

    #[test]
    fn collectivites_rotate_when_asked() {
        let sirens = ["1".to_owned(), "2".to_owned()];
        let at = |i| variant(&fixture(), i, Mix::Collectivites, &sirens)["collectivite"].clone();
        assert_eq!((at(0), at(1), at(2)), (json!("1"), json!("2"), json!("1")));
    }
}
