//! Template identifier: the name of an act model, such as
//! `arrete-avancement-echelon`. It names a Typst file in `templates/`, a JSON
//! Schema in `schemas/` and a fixture in `fixtures/acts/`, so it is restricted to
//! lowercase ASCII words joined by dashes.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Longest template id.
pub const TEMPLATE_ID_MAX_LEN: usize = 64;

/// The id of a template.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TemplateId(String);

/// Why a string is not a template id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("identifiant de modèle invalide (lettres minuscules, chiffres et tirets)")]
pub struct TemplateIdError;

impl TemplateId {
    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for TemplateId {
    type Err = TemplateIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let ok = !s.is_empty()
            && s.len() <= TEMPLATE_ID_MAX_LEN
            && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !s.starts_with('-')
            && !s.ends_with('-');
        if ok { Ok(Self(s.to_owned())) } else { Err(TemplateIdError) }
    }
}

impl TryFrom<String> for TemplateId {
    type Error = TemplateIdError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<TemplateId> for String {
    fn from(t: TemplateId) -> Self {
        t.0
    }
}

impl fmt::Display for TemplateId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_ids_are_dashed_lowercase_words() {
        assert!("arrete-avancement-echelon".parse::<TemplateId>().is_ok());
        for bad in ["", "Arrete", "../lib/entete", "a_b", "-a", "a-", "lib/x"] {
            assert!(bad.parse::<TemplateId>().is_err(), "{bad:?}");
        }
    }
}
