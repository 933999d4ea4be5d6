//! Official act numbers and the register series they are drawn from.
//!
//! A *series* is one numbering sequence of a collectivité (arrêtés, délibérations…).
//! An *act number* is what the register hands out: unique per collectivité, and
//! shaped to be accepted by @ctes as the "numéro interne" (`^[0-9A-Z_]{1,15}$`).
//! The default shape is `YYYY_SERIES_NNNNN`, e.g. `2026_ARR_00042`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Longest number @ctes accepts.
pub const ACT_NUMBER_MAX_LEN: usize = 15;
/// Longest series code, so that `YYYY_SERIES_NNNNN` stays within 15 characters.
pub const SERIES_MAX_LEN: usize = 4;
/// Digits of the sequence part in the default shape.
const SEQ_DIGITS: usize = 5;

/// A register series code, e.g. `ARR` (arrêtés) or `DEL` (délibérations).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Series(String);

/// Why a string is not a series code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("code de série invalide (1 à {SERIES_MAX_LEN} lettres majuscules)")]
pub struct SeriesError;

impl FromStr for Series {
    type Err = SeriesError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.is_empty() || s.len() > SERIES_MAX_LEN || !s.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(SeriesError);
        }
        Ok(Self(s.to_owned()))
    }
}

impl TryFrom<String> for Series {
    type Error = SeriesError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<Series> for String {
    fn from(s: Series) -> Self {
        s.0
    }
}

impl Series {
    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Series {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An official act number.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ActNumber(String);

/// Why a string is not an act number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ActNumberError {
    /// Characters outside `[0-9A-Z_]`, empty, or longer than 15.
    #[error("numéro d'acte invalide (1 à 15 caractères parmi 0-9, A-Z et _)")]
    Format,
    /// The sequence does not fit the default shape.
    #[error("le registre a dépassé sa capacité de numérotation")]
    Overflow,
}

impl ActNumber {
    /// The number of the `seq`-th act (1-based) of `series` in `year`.
    pub fn compose(year: i32, series: &Series, seq: u64) -> Result<Self, ActNumberError> {
        let n = format!("{year:04}_{series}_{seq:0SEQ_DIGITS$}");
        if n.len() > ACT_NUMBER_MAX_LEN {
            return Err(ActNumberError::Overflow);
        }
        n.parse()
    }

    /// The number as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for ActNumber {
    type Err = ActNumberError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let ok = !s.is_empty()
            && s.len() <= ACT_NUMBER_MAX_LEN
            && s.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_uppercase() || b == b'_');
        if ok { Ok(Self(s.to_owned())) } else { Err(ActNumberError::Format) }
    }
}

impl TryFrom<String> for ActNumber {
    type Error = ActNumberError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<ActNumber> for String {
    fn from(n: ActNumber) -> Self {
        n.0
    }
}

impl fmt::Display for ActNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arr() -> Series {
        "ARR".parse().unwrap()
    }

    #[test]
    fn numbers_are_composed_in_the_actes_alphabet() {
        let n = ActNumber::compose(2026, &arr(), 42).unwrap();
        assert_eq!(n.as_str(), "2026_ARR_00042");
    }

    #[test]
    fn the_longest_series_still_fits_fifteen_characters() {
        let n = ActNumber::compose(2026, &"DELB".parse().unwrap(), 99_999).unwrap();
        assert_eq!(n.as_str().len(), 15);
        assert_eq!(
            ActNumber::compose(2026, &"DELB".parse().unwrap(), 100_000),
            Err(ActNumberError::Overflow)
        );
    }

    #[test]
    fn lowercase_dashes_and_long_numbers_are_rejected() {
        for bad in ["", "2026-ARR-1", "2026_arr_1", "1234567890123456", "../x"] {
            assert!(bad.parse::<ActNumber>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn series_codes_are_short_uppercase_words() {
        assert!("DEL".parse::<Series>().is_ok());
        for bad in ["", "arr", "ARRET", "A_R"] {
            assert!(bad.parse::<Series>().is_err(), "{bad:?}");
        }
    }
}
