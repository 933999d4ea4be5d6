//! What a template and the search index receive about an act.
//!
//! Templates read one JSON document, `/data.json`:
//! ```json
//! { "acte": { "id", "numero" (null for a draft), "projet", "titre", "empreinte" },
//!   "collectivite": { …profile… },
//!   "donnees": { …the request's data… } }
//! ```
//! Straight apostrophes in the data are turned into typographic ones (’) on
//! the way, as French typography wants; the stored data keeps what was sent.

use serde_json::{Value, json};

use crate::act::{Draft, Sealed, Status};
use crate::catalog::FieldError;
use crate::collectivite::Profile;
use crate::domain::ActNumber;
use crate::register::year_in_paris;
use crate::search::Entry;

/// The `/data.json` document of an act; `number` is `None` for a draft.
pub(super) fn data(draft: &Draft, profile: &Profile, number: Option<&ActNumber>) -> Vec<u8> {
    let doc = json!({
        "acte": {
            "id": draft.id.to_string(),
            "numero": number.map(ActNumber::as_str),
            "projet": number.is_none(),
            "titre": draft.title,
            "empreinte": draft.data_sha256.as_str(),
        },
        "collectivite": typographic(serde_json::to_value(profile).expect("profiles serialise")),
        "donnees": typographic(draft.data.clone()),
    });
    serde_json::to_vec(&doc).expect("JSON values serialise")
}

fn typographic(v: Value) -> Value {
    match v {
        Value::String(s) => Value::String(s.replace('\'', "\u{2019}")),
        Value::Array(items) => Value::Array(items.into_iter().map(typographic).collect()),
        Value::Object(map) => Value::Object(map.into_iter().map(|(k, v)| (k, typographic(v))).collect()),
        other => other,
    }
}

/// The search-index entry of an act.
pub(super) fn search_entry(draft: &Draft, profile: &Profile, sealed: Option<&Sealed>) -> Entry {
    let mut body = String::new();
    collect_text(&draft.data, &mut body);
    let (status, year) = match sealed {
        Some(s) => (Status::Sealed, s.year),
        None => (Status::Draft, year_in_paris(draft.created_at)),
    };
    Entry {
        id: draft.id.to_string(),
        siren: draft.collectivite.to_string(),
        collectivite: profile.nom.clone(),
        template: draft.template.to_string(),
        status: status.as_str().to_owned(),
        number: sealed.map(|s| s.number.to_string()),
        title: draft.title.clone(),
        body,
        year: u64::try_from(year).unwrap_or_default(),
    }
}

fn collect_text(v: &Value, out: &mut String) {
    match v {
        Value::String(s) => {
            out.push_str(s);
            out.push('\n');
        }
        Value::Array(items) => items.iter().for_each(|i| collect_text(i, out)),
        Value::Object(map) => map.values().for_each(|i| collect_text(i, out)),
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
