//! What a template and the search index receive about an act.
//!
//! Templates read one JSON document, `/data.json`:
//! ```json
//! { "acte": { "id", "numero" (null for a draft), "projet", "titre", "empreinte" },
//!   (and "corrige": { "nature", "numero", "date" } for a rectificatif or retrait),
//!   "collectivite": { …profile… },
//!   "donnees": { …the request's data… } }
//! ```
//! Straight apostrophes in the data are turned into typographic ones (’) on
//! the way, as French typography wants; the stored data keeps what was sent.

use serde_json::{Value, json};

use time::Date;

use crate::act::{Draft, Sealed, Status};
use crate::catalog::{FieldError, Template};
use crate::collectivite::Profile;
use crate::domain::ActNumber;
use crate::register::year_in_paris;
use crate::search::{Dates, Entry, Person};

/// The `/data.json` document of an act; `number` is `None` for a draft.
pub(super) fn data(draft: &Draft, profile: &Profile, number: Option<&ActNumber>) -> Vec<u8> {
    let doc = json!({
        "acte": {
            "id": draft.id.to_string(),
            "numero": number.map(ActNumber::as_str),
            "projet": number.is_none(),
            "titre": draft.title,
            "empreinte": draft.data_sha256.as_str(),
            "corrige": draft.corrects.as_ref().map(|c| json!({
                "nature": c.nature,
                "numero": c.number.as_str(),
                "date": french_day(c.sealed_at),
            })),
        },
        "collectivite": typographic(serde_json::to_value(profile).expect("profiles serialise")),
        "donnees": typographic(draft.data.clone()),
    });
    serde_json::to_vec(&doc).expect("JSON values serialise")
}

/// `29/11/2026`: the day, in Paris, an act was sealed.
fn french_day(t: time::OffsetDateTime) -> String {
    let day = crate::register::day_in_paris(t);
    format!("{:02}/{:02}/{}", day.day(), u8::from(day.month()), day.year())
}

fn typographic(v: Value) -> Value {
    match v {
        Value::String(s) => Value::String(s.replace('\'', "\u{2019}")),
        Value::Array(items) => Value::Array(items.into_iter().map(typographic).collect()),
        Value::Object(map) => Value::Object(map.into_iter().map(|(k, v)| (k, typographic(v))).collect()),
        other => other,
    }
}

/// Where request data holds the day an act was published or displayed (the
/// liste des délibérations), for the index and for SEDA transfers.
pub(super) const PUBLICATION_DATE: &str = "/publication/date";

/// The title of an act for those who may not see agents' names: an
/// individual act (data with an `/agent`) shows its template's title, e.g.
/// "Arrêté portant avancement d'échelon"; other acts their full title.
pub(super) fn public_title(draft: &Draft, template: Option<&Template>) -> String {
    match (template, person(&draft.data, &draft.title)) {
        (Some(t), Some(_)) => t.title.clone(),
        _ => draft.title.clone(),
    }
}

/// The search-index entry of an act.
///
/// Individual acts (data with an `/agent`) keep the agent out of the public
/// fields: the public title is the template's, the agent's subtree is left out
/// of the body and their names are masked in the remaining text; name,
/// matricule and full title go to the restricted fields. The content of a
/// template flagged `secret_medical` is not indexed at all.
pub(super) fn search_entry(
    draft: &Draft,
    profile: &Profile,
    template: Option<&Template>,
    sealed: Option<&Sealed>,
) -> Entry {
    let (status, year) = match sealed {
        Some(s) => (Status::Sealed, s.year),
        None => (Status::Draft, year_in_paris(draft.created_at)),
    };
    let person = person(&draft.data, &draft.title);
    let secret = template.is_some_and(|t| t.secret_medical);
    let mut body = String::new();
    if !secret {
        collect_text(&draft.data, &mut body, true);
        collect_keys(&draft.data, &mut body);
        if person.is_some() {
            body = crate::search::mask_person(&body, &agent_parts(&draft.data));
        }
    }
    let title = public_title(draft, template);
    let date = |pointer: &str| {
        draft.data.pointer(pointer).and_then(Value::as_str).and_then(|s| Date::parse(s, DAY).ok())
    };
    Entry {
        id: draft.id.to_string(),
        siren: draft.collectivite.to_string(),
        collectivite: profile.nom.clone(),
        template: draft.template.to_string(),
        kind: template.map_or("autre", |t| kind(t.series.as_str())).to_owned(),
        nature: template.map_or(0, |t| u64::from(t.nature)),
        // A délibération names its own matière; other acts take the template's,
        // or the one their content calls for (`Template::matiere_of`).
        matiere: match (draft.data.get("matiere").and_then(Value::as_str), template) {
            (_, Some(t)) => t.matiere_of(&draft.data),
            (Some(m), None) => m.to_owned(),
            (None, None) => String::new(),
        },
        status: status.as_str().to_owned(),
        number: sealed.map(|s| s.number.to_string()),
        title,
        body,
        person,
        dates: Dates {
            decision: date("/date_decision"),
            effect: date("/date_effet").or_else(|| date("/date_debut")),
            seance: date("/seance/date"),
            publication: date(PUBLICATION_DATE),
            created: draft.created_at,
            sealed: sealed.map(|s| s.sealed_at),
        },
        year: u64::try_from(year).unwrap_or_default(),
    }
}

const DAY: &[time::format_description::BorrowedFormatItem<'static>] =
    time::macros::format_description!("[year]-[month]-[day]");

/// The kind of act, from its register series.
fn kind(series: &str) -> &'static str {
    match series {
        "ARR" => "arrete",
        "DEL" => "deliberation",
        "CONV" => "convocation",
        "PV" => "proces-verbal",
        "LD" => "liste-deliberations",
        "DEC" => "decision",
        "CTR" => "contrat",
        _ => "autre",
    }
}

/// The agent of an individual act: `/agent` with at least a name.
fn person(data: &Value, full_title: &str) -> Option<Person> {
    let agent = data.get("agent")?;
    let field = |k: &str| agent.get(k).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty());
    let nom = field("nom")?;
    let name =
        [field("civilite"), field("prenom"), Some(nom)].into_iter().flatten().collect::<Vec<_>>().join(" ");
    Some(Person { name, matricule: field("matricule").map(str::to_owned), title: full_title.to_owned() })
}

/// What names the agent of an individual act: first and family names,
/// matricule (masked in the text others may read).
fn agent_parts(data: &Value) -> Vec<&str> {
    let agent = data.get("agent");
    ["prenom", "nom", "matricule"]
        .into_iter()
        .filter_map(|k| agent.and_then(|a| a.get(k)).and_then(Value::as_str))
        .collect()
}

/// The names of the fields of `v` (but the top-level `agent` subtree's), each
/// once, words separated ("tableau_avancement" → "tableau avancement"): they
/// are the labels the act prints before its values, and people search by them
/// ("nbi 15 points", "IFSE groupe B1", "tableau d'avancement 2026", "avis de la
/// CAP" for `avis_cap`), which the values alone do not say.
fn collect_keys(v: &Value, out: &mut String) {
    fn walk<'a>(v: &'a Value, keys: &mut Vec<&'a str>, top: bool) {
        match v {
            Value::Array(items) => items.iter().for_each(|i| walk(i, keys, false)),
            Value::Object(map) => {
                for (k, i) in map {
                    if top && k == "agent" {
                        continue;
                    }
                    if !keys.contains(&k.as_str()) {
                        keys.push(k);
                    }
                    walk(i, keys, false);
                }
            }
            _ => {}
        }
    }
    let mut keys = Vec::new();
    walk(v, &mut keys, true);
    for k in keys {
        out.push_str(&k.replace('_', " "));
        out.push('\n');
    }
}

/// Every string of `v`, one per line; at the top level, the `agent` subtree
/// is left out (it goes to restricted fields).
fn collect_text(v: &Value, out: &mut String, top: bool) {
    match v {
        Value::String(s) => {
            out.push_str(s);
            // A day is also found as people write it: "12 mars 2026".
            if let Ok(day) = Date::parse(s, DAY) {
                out.push_str(" (");
                out.push_str(&super::archive::select::french_date(day));
                out.push(')');
            }
            out.push('\n');
        }
        // Numbers are searched too ("indice brut 420", "quotité 80").
        Value::Number(n) => {
            out.push_str(&n.to_string());
            out.push('\n');
        }
        Value::Array(items) => items.iter().for_each(|i| collect_text(i, out, false)),
        Value::Object(map) => {
            for (k, i) in map {
                if !(top && k == "agent") {
                    collect_text(i, out, false);
                }
            }
        }
        _ => {}
    }
}

/// A field error for every string of `data` holding a character the act's font
/// cannot print (an emoji, a script it lacks): it would come out as an empty box.
pub(super) fn unprintable(data: &Value, at: &str, can_print: &dyn Fn(char) -> bool) -> Vec<FieldError> {
    match data {
        Value::String(s) => match s.chars().find(|&c| !can_print(c)) {
            Some(c) => vec![FieldError {
                path: at.to_owned(),
                message: format!(
                    "contient un caractère que les polices de l’acte ne peuvent pas imprimer ({c} U+{:04X})",
                    u32::from(c)
                ),
            }],
            None => Vec::new(),
        },
        Value::Array(items) => items
            .iter()
            .enumerate()
            .flat_map(|(i, v)| unprintable(v, &format!("{at}/{i}"), can_print))
            .collect(),
        Value::Object(map) => map
            .iter()
            .flat_map(|(k, v)| {
                unprintable(v, &format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")), can_print)
            })
            .collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::act::fingerprint;
    use crate::assets::FileTree;
    use crate::catalog::Catalog;
    use crate::collectivite::Collectivites;
    use crate::domain::ActId;

    const T: &str = "arrete-disponibilite";

    /// The built-in catalogue, or one whose template `T` is flagged
    /// `x-acta.secret_medical`.
    fn catalog(secret_medical: bool) -> Catalog {
        let dir = tempfile::tempdir().unwrap();
        let root = env!("CARGO_MANIFEST_DIR");
        let mut schema: Value =
            serde_json::from_slice(&std::fs::read(format!("{root}/schemas/{T}.schema.json")).unwrap())
                .unwrap();
        schema["x-acta"]["secret_medical"] = Value::Bool(secret_medical);
        std::fs::write(dir.path().join(format!("{T}.schema.json")), serde_json::to_vec(&schema).unwrap())
            .unwrap();
        let schemas = FileTree::from_dir(dir.path()).unwrap();
        Catalog::load(&schemas, &FileTree::builtin_templates()).unwrap()
    }

    fn entry(secret_medical: bool, extra_text: &str) -> Entry {
        let root = env!("CARGO_MANIFEST_DIR");
        let request: Value =
            serde_json::from_slice(&std::fs::read(format!("{root}/fixtures/acts/{T}.json")).unwrap())
                .unwrap();
        let mut data = request["data"].clone();
        data["suivi_par"] = Value::String(extra_text.into());
        data["publication"] = serde_json::json!({ "date": "2026-02-12" });
        let catalog = catalog(secret_medical);
        let template = catalog.iter().next().unwrap();
        let collectivites = Collectivites::demo().unwrap();
        let siren = request["collectivite"].as_str().unwrap().parse().unwrap();
        let draft = Draft {
            id: ActId::generate(),
            template: template.id.clone(),
            collectivite: siren,
            title: template.act_title(&data),
            data_sha256: fingerprint(&data),
            data,
            created_at: time::macros::datetime!(2026-02-10 09:00 UTC),
            corrects: None,
        };
        search_entry(&draft, collectivites.get(&draft.collectivite).unwrap(), Some(template), None)
    }

    #[test]
    fn the_agent_of_an_individual_act_stays_out_of_public_fields() {
        let e = entry(false, "dossier suivi pour Mme TRONQUOY (Eulalie) par la DRH");
        let person = e.person.as_ref().unwrap();
        assert_eq!(person.name, "Mme Eulalie Tronquoy");
        assert_eq!(person.matricule.as_deref(), Some("S-2207"));
        assert!(person.title.contains("Tronquoy"));
        for public in [&e.title, &e.body] {
            assert!(!public.to_lowercase().contains("tronquoy"), "{public}");
            assert!(!public.contains("Eulalie") && !public.contains("S-2207"), "{public}");
        }
        assert!(e.body.contains("rédacteur principal"), "{}", e.body);
        assert_eq!((e.kind.as_str(), e.matiere.as_str(), e.nature), ("arrete", "4.1", 3));
        assert_eq!(e.dates.decision, Some(time::macros::date!(2026 - 02 - 09)));
        assert_eq!(e.dates.effect, Some(time::macros::date!(2026 - 05 - 01)));
        assert_eq!(e.dates.publication, Some(time::macros::date!(2026 - 02 - 12)));
    }

    #[test]
    fn the_content_of_a_secret_medical_template_is_never_indexed() {
        let e = entry(true, "avis du conseil médical sur l'état de santé");
        assert!(e.body.is_empty(), "{}", e.body);
        assert!(!e.title.contains("Tronquoy"));
        assert!(!entry(false, "avis").body.is_empty());
    }
}
