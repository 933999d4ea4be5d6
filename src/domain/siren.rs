//! SIREN: the 9-digit INSEE identifier of a French legal entity (every commune,
//! EPCI and Centre de gestion has one). Its last digit is a Luhn check digit.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Number of digits in a SIREN.
pub const SIREN_LEN: usize = 9;

/// The SIREN of La Poste, the one entity whose number does not satisfy Luhn
/// (INSEE applies a sum-of-digits-modulo-5 rule to its establishments instead).
const LA_POSTE: &str = "356000000";

/// A valid SIREN.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Siren(String);

/// Why a string is not a SIREN.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SirenError {
    /// Not exactly nine ASCII digits.
    #[error("un SIREN comporte exactement 9 chiffres")]
    Format,
    /// Nine digits whose Luhn checksum fails (a typo, most of the time).
    #[error("SIREN invalide (clé de contrôle incorrecte)")]
    Checksum,
}

impl Siren {
    /// The nine digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn luhn_valid(digits: &str) -> bool {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let d2 = d * 2;
                if d2 > 9 { d2 - 9 } else { d2 }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

impl FromStr for Siren {
    type Err = SirenError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.len() != SIREN_LEN || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(SirenError::Format);
        }
        if s != LA_POSTE && !luhn_valid(s) {
            return Err(SirenError::Checksum);
        }
        Ok(Self(s.to_owned()))
    }
}

impl TryFrom<String> for Siren {
    type Error = SirenError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<Siren> for String {
    fn from(s: Siren) -> Self {
        s.0
    }
}

impl AsRef<str> for Siren {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Siren {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_siren_with_a_valid_luhn_key_is_accepted() {
        assert!("216295105".parse::<Siren>().is_ok());
        assert!("356000000".parse::<Siren>().is_ok(), "La Poste is the exception");
    }

    #[test]
    fn a_one_digit_typo_is_caught_by_the_check_digit() {
        assert_eq!("216295106".parse::<Siren>(), Err(SirenError::Checksum));
    }

    #[test]
    fn anything_but_nine_digits_is_rejected() {
        for bad in ["", "21629510", "2162951050", "21629510a", "../../etc", "216 295 105"] {
            assert_eq!(bad.parse::<Siren>(), Err(SirenError::Format), "{bad:?}");
        }
    }
}
