//! The body of `POST /api/v1/acts` (and the input of `acta render`):
//! `{ "template": "<id>", "collectivite": "<SIREN>", "data": { … } }`, plus
//! `"corrige": { "acte": "<id>", "nature": "rectificatif" | "retrait" }` for an
//! act that corrects a sealed one.
//! Parsed by hand rather than by serde so that *every* problem of the envelope
//! is reported at once, with its JSON pointer and a French message.

use serde_json::Value;

use crate::act::CorrectionKind;
use crate::catalog::FieldError;
use crate::domain::{ActId, Siren, TemplateId};

/// Members the envelope may have.
const MEMBERS: [&str; 4] = ["template", "collectivite", "data", "corrige"];

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
    /// `corrige`: the sealed act this one corrects, and how.
    pub corrects: Option<(ActId, CorrectionKind)>,
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
        let corrects = match obj.get("corrige") {
            None | Some(Value::Null) => None,
            Some(Value::Object(c)) => {
                let act = c.get("acte").and_then(Value::as_str).and_then(|s| s.parse::<ActId>().ok());
                let kind = match c.get("nature").and_then(Value::as_str) {
                    Some("rectificatif") => Some(CorrectionKind::Rectificatif),
                    Some("retrait") => Some(CorrectionKind::Retrait),
                    _ => None,
                };
                if act.is_none() {
                    errors.push(err(
                        "/corrige/acte",
                        "identifiant de l'acte corrigé manquant ou invalide".into(),
                    ));
                }
                if kind.is_none() {
                    errors.push(err("/corrige/nature", "doit valoir « rectificatif » ou « retrait »".into()));
                }
                if let Some(k) = c.keys().find(|k| !["acte", "nature"].contains(&k.as_str())) {
                    errors.push(err(&format!("/corrige/{k}"), "champ inconnu".into()));
                }
                act.zip(kind)
            }
            Some(_) => {
                errors.push(err("/corrige", "doit être un objet { acte, nature }".into()));
                None
            }
        };
        match (template, collectivite, data) {
            (Some(template), Some(collectivite), Some(data)) if errors.is_empty() => {
                Ok(Self { template, collectivite, data, corrects })
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
