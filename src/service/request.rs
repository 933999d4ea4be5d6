//! The body of `POST /api/v1/acts` (and the input of `acta render`):
//! `{ "template": "<id>", "collectivite": "<SIREN>", "data": { … } }`.
//! Parsed by hand rather than by serde so that *every* problem of the envelope
//! is reported at once, with its JSON pointer and a French message.

use serde_json::Value;

use crate::catalog::FieldError;
use crate::domain::{Siren, TemplateId};

/// Members the envelope may have.
const MEMBERS: [&str; 3] = ["template", "collectivite", "data"];

/// A request for a new act, with a well-formed envelope (the data itself is
/// checked against the template's schema later).
#[derive(Debug, Clone)]
pub struct NewAct {
    /// Template id.
    pub template: TemplateId,
    /// Collectivité SIREN.
    pub collectivite: Siren,
    /// The act's data (a JSON object).
    pub data: Value,
}

impl NewAct {
    /// Parse a request body.
    pub fn parse(body: &Value) -> Result<Self, Vec<FieldError>> {
        let err = |path: &str, message: String| FieldError { path: path.into(), message };
        let Some(obj) = body.as_object() else {
            return Err(vec![err("", "le corps de la requête doit être un objet JSON".into())]);
        };
        let mut errors: Vec<FieldError> = obj
            .keys()
            .filter(|k| !MEMBERS.contains(&k.as_str()))
            .map(|k| err(&format!("/{k}"), "champ inconnu".into()))
            .collect();
        let text = |name: &str, errors: &mut Vec<FieldError>| match obj.get(name) {
            None => {
                errors.push(err(&format!("/{name}"), "champ obligatoire manquant".into()));
                None
            }
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => {
                errors.push(err(&format!("/{name}"), "doit être un texte".into()));
                None
            }
        };
        let template = text("template", &mut errors).and_then(|s| {
            s.parse::<TemplateId>().map_err(|e| errors.push(err("/template", e.to_string()))).ok()
        });
        let collectivite = text("collectivite", &mut errors).and_then(|s| {
            s.parse::<Siren>().map_err(|e| errors.push(err("/collectivite", e.to_string()))).ok()
        });
        let data = match obj.get("data") {
            None => {
                errors.push(err("/data", "champ obligatoire manquant".into()));
                None
            }
            Some(v @ Value::Object(_)) => Some(v.clone()),
            Some(_) => {
                errors.push(err("/data", "doit être un objet".into()));
                None
            }
        };
        match (template, collectivite, data) {
            (Some(template), Some(collectivite), Some(data)) if errors.is_empty() => {
                Ok(Self { template, collectivite, data })
            }
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_envelope_problem_is_reported_at_once() {
        let errs = NewAct::parse(&json!({"template": 3, "collectivite": "123", "extra": 1})).unwrap_err();
        let paths: Vec<_> = errs.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(paths, ["/extra", "/template", "/collectivite", "/data"]);
    }

    #[test]
    fn a_well_formed_envelope_parses() {
        let r = NewAct::parse(&json!({"template": "t", "collectivite": "216295105", "data": {}}));
        assert!(r.is_ok());
    }
}
