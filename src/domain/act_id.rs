//! Act identifier: the stable, opaque id acta gives an act when its draft is
//! created. It is a UUID v7 (time-ordered), always in canonical lowercase
//! hyphenated form, so it is safe inside URLs and object-store keys.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The id of an act (draft or sealed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ActId(Uuid);

/// Why a string is not an act id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("identifiant d'acte invalide")]
pub struct ActIdError;

impl ActId {
    /// A new id, ordered by creation time.
    pub fn generate() -> Self {
        Self(Uuid::now_v7())
    }
}

impl FromStr for ActId {
    type Err = ActIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let uuid = Uuid::try_parse(s).map_err(|_| ActIdError)?;
        // Only the canonical spelling is accepted, so that one act has exactly
        // one URL and one key prefix.
        if uuid.hyphenated().to_string() != s {
            return Err(ActIdError);
        }
        Ok(Self(uuid))
    }
}

impl TryFrom<String> for ActId {
    type Error = ActIdError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<ActId> for String {
    fn from(id: ActId) -> Self {
        id.to_string()
    }
}

impl fmt::Display for ActId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0.hyphenated(), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_id_round_trips_through_its_text_form() {
        let id = ActId::generate();
        assert_eq!(id.to_string().parse::<ActId>(), Ok(id));
    }

    #[test]
    fn non_canonical_spellings_are_rejected() {
        let id = ActId::generate().to_string();
        assert!(id.to_uppercase().parse::<ActId>().is_err());
        assert!(id.replace('-', "").parse::<ActId>().is_err());
        assert!(format!("{{{id}}}").parse::<ActId>().is_err());
        assert!("..".parse::<ActId>().is_err());
    }
}
