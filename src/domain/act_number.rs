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
    /// The number of the `seq`-th act (1-based) of `series` in `year`, in the
    /// default shape `YYYY_SERIES_NNNNN`.
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

/// How a collectivité's numbers are shaped: a pattern of literal characters
/// (`0-9`, `A-Z`, `_`) and placeholders `{AAAA}` (year), `{AA}` (year, two
/// digits), `{SERIE}` (series code), `{N}` (rank) or `{N:k}` (rank, zero-padded
/// to k digits). Default `{AAAA}_{SERIE}_{N:5}` → `2026_ARR_00042`.
///
/// A format is accepted only if it fits @ctes (`^[0-9A-Z_]{1,15}$`) for the
/// longest series and ranks up to 99 999, and if it names the year, the series
/// and the rank, so that two acts of a collectivité never share a number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct NumberFormat {
    pattern: String,
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(String),
    Year4,
    Year2,
    Series,
    Rank(usize),
}

/// Why a number format is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("format de numéro invalide « {pattern} » : {reason}")]
pub struct NumberFormatError {
    pattern: String,
    reason: &'static str,
}

impl Default for NumberFormat {
    fn default() -> Self {
        "{AAAA}_{SERIE}_{N:5}".parse().expect("the default format is valid")
    }
}

impl FromStr for NumberFormat {
    type Err = NumberFormatError;
    fn from_str(pattern: &str) -> Result<Self, Self::Err> {
        let err = |reason| NumberFormatError { pattern: pattern.to_owned(), reason };
        let mut parts = Vec::new();
        let mut rest = pattern;
        while !rest.is_empty() {
            if let Some(after) = rest.strip_prefix('{') {
                let (name, tail) = after.split_once('}').ok_or_else(|| err("accolade non fermée"))?;
                parts.push(match name {
                    "AAAA" => Part::Year4,
                    "AA" => Part::Year2,
                    "SERIE" => Part::Series,
                    "N" => Part::Rank(0),
                    n => match n.strip_prefix("N:").and_then(|k| k.parse::<usize>().ok()) {
                        Some(k) if (1..=9).contains(&k) => Part::Rank(k),
                        _ => return Err(err("champ inconnu (AAAA, AA, SERIE, N ou N:k)")),
                    },
                });
                rest = tail;
            } else {
                let end = rest.find('{').unwrap_or(rest.len());
                let literal = &rest[..end];
                if !literal.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_uppercase() || b == b'_') {
                    return Err(err("seuls 0-9, A-Z et _ sont permis hors des champs"));
                }
                parts.push(Part::Literal(literal.to_owned()));
                rest = &rest[end..];
            }
        }
        let has = |p: fn(&Part) -> bool| parts.iter().any(p);
        if !has(|p| matches!(p, Part::Rank(_))) || !has(|p| matches!(p, Part::Series)) {
            return Err(err("le format doit contenir {SERIE} et {N}"));
        }
        if !has(|p| matches!(p, Part::Year4 | Part::Year2)) {
            return Err(err("le format doit contenir l'année ({AAAA} ou {AA})"));
        }
        let format = Self { pattern: pattern.to_owned(), parts };
        let longest = Series("XXXX".into());
        if format.render(2026, &longest, 99_999).len() > ACT_NUMBER_MAX_LEN {
            return Err(err("un numéro dépasserait 15 caractères (série de 4 lettres, rang 99 999)"));
        }
        Ok(format)
    }
}

impl TryFrom<String> for NumberFormat {
    type Error = NumberFormatError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<NumberFormat> for String {
    fn from(f: NumberFormat) -> Self {
        f.pattern
    }
}

impl NumberFormat {
    fn render(&self, year: i32, series: &Series, seq: u64) -> String {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Literal(l) => out.push_str(l),
                Part::Year4 => out.push_str(&format!("{year:04}")),
                Part::Year2 => out.push_str(&format!("{:02}", year.rem_euclid(100))),
                Part::Series => out.push_str(series.as_str()),
                Part::Rank(width) => out.push_str(&format!("{seq:0width$}")),
            }
        }
        out
    }

    /// The number of the `seq`-th act (1-based) of `series` in `year`.
    pub fn compose(&self, year: i32, series: &Series, seq: u64) -> Result<ActNumber, ActNumberError> {
        let n = self.render(year, series, seq);
        if n.len() > ACT_NUMBER_MAX_LEN {
            return Err(ActNumberError::Overflow);
        }
        n.parse()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_collectivite_may_shape_its_numbers() {
        let f: NumberFormat = "{AA}{SERIE}{N:4}".parse().unwrap();
        assert_eq!(f.compose(2026, &arr(), 7).unwrap().as_str(), "26ARR0007");
        let f: NumberFormat = "A{AAAA}{N}_{SERIE}".parse().unwrap();
        assert_eq!(f.compose(2026, &arr(), 123).unwrap().as_str(), "A2026123_ARR");
        assert_eq!(NumberFormat::default().compose(2026, &arr(), 42).unwrap().as_str(), "2026_ARR_00042");
        for bad in [
            "{AAAA}_{N:5}",
            "{SERIE}_{N}",
            "{AAAA}-{SERIE}-{N}",
            "{AAAA}_{SERIE}_{N:9}",
            "{AAAA}_{X}_{N}",
            "{AAAA",
        ] {
            assert!(bad.parse::<NumberFormat>().is_err(), "{bad:?}");
        }
    }

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
