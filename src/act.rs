//! The records acta keeps about an act, as stored in the object store.
//!
//! An act starts as a *draft* (`acts/<id>/draft.json`): the validated request,
//! never rendered with a number. *Sealing* gives it a number from its
//! collectivité's register, renders the final PDF/A, and writes the PDF and
//! then the *seal record* (`acts/<id>/sealed.json`). An act is sealed exactly
//! when its seal record exists; neither file is ever rewritten.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;

use crate::domain::{ActId, ActNumber, Series, Sha256Digest, Siren, TemplateId};
use crate::seal::Hashes;

/// A validated draft.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Draft {
    /// Act id.
    pub id: ActId,
    /// Template it is written with.
    pub template: TemplateId,
    /// SIREN of the collectivité that issues it.
    pub collectivite: Siren,
    /// Title, e.g. "Arrêté portant avancement d'échelon — Mme Camille DURAND".
    pub title: String,
    /// The request's data, as validated.
    pub data: Value,
    /// SHA-256 of the canonical JSON of `data` (printed in the footer).
    pub data_sha256: Sha256Digest,
    /// When the draft was created (UTC, whole seconds).
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// The sealed act this one corrects, if it is a rectificatif or a retrait.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corrects: Option<Correction>,
}

/// A sealed act is never changed: a correction is a new act that names the
/// one it corrects (printed under its title, kept in its record).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Correction {
    /// What the new act does to the old one.
    pub nature: CorrectionKind,
    /// The corrected act.
    pub act: ActId,
    /// Its number.
    pub number: ActNumber,
    /// When it was sealed.
    #[serde(with = "time::serde::rfc3339")]
    pub sealed_at: OffsetDateTime,
}

/// Kinds of correction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CorrectionKind {
    /// Corrects an error in the act (it stays in force as corrected).
    Rectificatif,
    /// Withdraws the act (retrait).
    Retrait,
}

/// The record that makes an act sealed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sealed {
    /// Act id.
    pub id: ActId,
    /// Official number.
    pub number: ActNumber,
    /// Register series the number belongs to.
    pub series: Series,
    /// Register year.
    pub year: i32,
    /// When the act was sealed (UTC, whole seconds); also the PDF's date.
    #[serde(with = "time::serde::rfc3339")]
    pub sealed_at: OffsetDateTime,
    /// Digests and size of the stored PDF.
    #[serde(flatten)]
    pub hashes: Hashes,
    /// Index of the act's leaf in the register log.
    #[serde(default)]
    pub leaf: Option<u64>,
    /// The electronic seal embedded in the PDF.
    #[serde(default)]
    pub seal: Option<SealInfo>,
}

/// What seals a sealed PDF.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealInfo {
    /// SHA-256 of the seal certificate (the same value is in the log leaf).
    pub certificate_sha256: Sha256Digest,
    /// Whether the seal carries an RFC 3161 timestamp (PAdES B-T) or not (B-B).
    pub timestamped: bool,
}

/// Where an act stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Validated, not numbered, may still change.
    Draft,
    /// Numbered, rendered, hashed and stored; immutable.
    Sealed,
}

impl Status {
    /// The status as text.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::Sealed => "sealed",
        }
    }
}

/// SHA-256 of the canonical form of a JSON value: object keys sorted, no
/// insignificant whitespace. Two requests with the same data in another key
/// order get the same fingerprint.
pub fn fingerprint(data: &Value) -> Sha256Digest {
    let mut out = String::new();
    canonical(data, &mut out);
    Sha256Digest::of(out.as_bytes())
}

fn canonical(v: &Value, out: &mut String) {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                canonical(&map[k], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical(item, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_fingerprint_ignores_key_order_but_not_values() {
        let a = json!({"b": 1, "a": {"y": [1, 2], "x": "é"}});
        let b = json!({"a": {"x": "é", "y": [1, 2]}, "b": 1});
        assert_eq!(fingerprint(&a), fingerprint(&b));
        assert_ne!(fingerprint(&a), fingerprint(&json!({"b": 2, "a": {"y": [1, 2], "x": "é"}})));
    }
}
