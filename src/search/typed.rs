//! Dates and act numbers as people type them in a query: "15/03/2026",
//! "2026-03-15", "03/2026", "arrêté 2026-045", "n° 45/2026", "2026-ARR-45".
//!
//! A *typed* value is one chunk of the query (no space inside) read as a
//! date or a loosely written act number. The natural query builder
//! ([`super::natural`]) searches it as "any of its readings": a day is found
//! as acts write it ("15 mars 2026") and as the data holds it
//! ("2026-03-15"); a number is found as the act of that year and rank (its
//! register series, when typed, or any series), and also as the same digits
//! in the content ("décret n° 2016-596"). A reading that is wrong
//! (`2026-03` is March 2026, or the third act of 2026) only adds candidates:
//! it never hides the other.

use std::collections::BTreeSet;

use tantivy::schema::Field;
use tantivy::{Searcher, Term};
use time::{Date, Month};

/// The months as acts write them.
use crate::domain::text::MONTHS;
/// Series codes of different register series of one year looked at, at
/// most, per segment (a register has a handful).
const MAX_SERIES: usize = 64;
/// Widths a rank may be zero-padded to in a number (`{N}`, `{N:k}`).
const RANK_WIDTHS: [usize; 6] = [0, 2, 3, 4, 5, 6];

/// One reading of a typed chunk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Reading {
    /// A day.
    Day(Date),
    /// A month of a year.
    Month(i32, Month),
    /// The act of `rank` in `year`, in `series` if typed.
    Number { year: i32, series: Option<String>, rank: u32 },
}

impl Reading {
    /// The texts a document holding this reading spells (as phrases, through
    /// the French analyser): "15 mars 2026" and "2026-03-15" for a day.
    pub(super) fn phrases(&self) -> Vec<String> {
        match self {
            Self::Day(d) => {
                let day = if d.day() == 1 { "1er".to_owned() } else { d.day().to_string() };
                vec![
                    format!("{day} {} {}", MONTHS[d.month() as usize - 1], d.year()),
                    format!("{}-{:02}-{:02}", d.year(), d.month() as u8, d.day()),
                ]
            }
            Self::Month(y, m) => {
                vec![format!("{} {y}", MONTHS[*m as usize - 1]), format!("{y}-{:02}", *m as u8)]
            }
            Self::Number { .. } => Vec::new(),
        }
    }
}

/// The readings of one chunk of a query (none: it is words).
pub(super) fn readings(chunk: &str) -> Vec<Reading> {
    let bare = chunk.trim_matches(|c: char| !c.is_alphanumeric());
    // "n°45/2026", "nº 2026-045" (the sign glued to the number).
    let bare = ["n°", "N°", "nº", "Nº", "no", "No", "NO"]
        .iter()
        .find_map(|p| bare.strip_prefix(p).filter(|r| r.starts_with(|c: char| c.is_ascii_digit())))
        .unwrap_or(bare);
    if !bare.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '/' | '.' | '_')) {
        return Vec::new();
    }
    let parts: Vec<&str> = bare.split(['-', '/', '.', '_']).collect();
    if parts.len() < 2 || parts.iter().any(|p| p.is_empty()) {
        return Vec::new();
    }
    let digits = |p: &str, min: usize, max: usize| {
        (min..=max).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit())
    };
    let year = |p: &str| {
        digits(p, 4, 4).then(|| p.parse::<i32>().ok()).flatten().filter(|y| (1900..2100).contains(y))
    };
    let rank = |p: &str| digits(p, 1, 6).then(|| p.parse::<u32>().ok()).flatten().filter(|&r| r > 0);
    let series = |p: &str| {
        ((1..=4).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphabetic()))
            .then(|| p.to_ascii_uppercase())
    };
    let day = |y: i32, m: &str, d: &str| {
        let (m, d) = (m.parse::<u8>().ok()?, d.parse::<u8>().ok()?);
        Date::from_calendar_date(y, Month::try_from(m).ok()?, d).ok()
    };
    let mut out = Vec::new();
    match parts.as_slice() {
        [y, m, d] if digits(m, 1, 2) && digits(d, 1, 2) && year(y).is_some() => {
            out.extend(year(y).and_then(|y| day(y, m, d)).map(Reading::Day));
        }
        [d, m, y] if digits(d, 1, 2) && digits(m, 1, 2) && (year(y).is_some() || digits(y, 2, 2)) => {
            let y = year(y).or_else(|| y.parse::<i32>().ok().map(|yy| 2000 + yy));
            out.extend(y.and_then(|y| day(y, m, d)).map(Reading::Day));
        }
        [y, s, n] | [s, y, n] if year(y).is_some() && series(s).is_some() && rank(n).is_some() => {
            out.push(Reading::Number {
                year: year(y).unwrap_or_default(),
                series: series(s),
                rank: rank(n).unwrap_or_default(),
            });
        }
        [a, b] => {
            // "2026-045", "45/2026", "03/2026", "2026-03".
            let (y, other) = match (year(a), year(b)) {
                (Some(y), None) => (y, *b),
                (None, Some(y)) => (y, *a),
                _ => return out,
            };
            if digits(other, 1, 2)
                && let Some(m) = other.parse::<u8>().ok().and_then(|m| Month::try_from(m).ok())
            {
                out.push(Reading::Month(y, m));
            }
            if let Some(r) = rank(other) {
                out.push(Reading::Number { year: y, series: None, rank: r });
            }
        }
        _ => {}
    }
    out
}

/// The act numbers of the index that `year`, `series` (any when `None`) and
/// `rank` may stand for, in the default shape `YYYY_SERIES_N` (the rank
/// zero-padded or not). Costs a few lookups in the numbers' dictionary per
/// segment: the series of a year are visited by skipping from one to the
/// next, not by walking their numbers.
pub(super) fn numbers(
    searcher: &Searcher,
    field: Field,
    year: i32,
    series: Option<&str>,
    rank: u32,
) -> Vec<Term> {
    let mut found = BTreeSet::new();
    for segment in searcher.segment_readers() {
        let Ok(inverted) = segment.inverted_index(field) else { continue };
        let dict = inverted.terms();
        let mut codes = Vec::new();
        match series {
            Some(s) => codes.push(s.to_owned()),
            None => {
                let prefix = format!("{year}_");
                let mut from = prefix.clone();
                while codes.len() < MAX_SERIES {
                    let Ok(mut stream) = dict.range().ge(from.as_bytes()).into_stream() else { break };
                    if !stream.advance() {
                        break;
                    }
                    let Some(code) = std::str::from_utf8(stream.key())
                        .ok()
                        .and_then(|k| k.strip_prefix(&prefix))
                        .and_then(|rest| rest.split_once('_'))
                        .map(|(code, _)| code.to_owned())
                    else {
                        break;
                    };
                    // Past every number of this series ('`' follows '_').
                    from = format!("{prefix}{code}`");
                    codes.push(code);
                }
            }
        }
        for code in &codes {
            for width in RANK_WIDTHS {
                let number = format!("{year}_{code}_{rank:0width$}");
                if dict.get(number.as_bytes()).is_ok_and(|info| info.is_some()) {
                    found.insert(number);
                }
            }
        }
    }
    found.into_iter().map(|n| Term::from_field_text(field, &n)).collect()
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    fn number(year: i32, series: Option<&str>, rank: u32) -> Reading {
        Reading::Number { year, series: series.map(str::to_owned), rank }
    }

    #[test]
    fn days_are_read_in_the_ways_people_write_them() {
        for typed in ["15/03/2026", "15-03-2026", "15.03.2026", "2026-03-15", "15/3/26", "(15/03/2026)"] {
            assert_eq!(readings(typed), [Reading::Day(date!(2026 - 03 - 15))], "{typed}");
        }
        assert_eq!(Reading::Day(date!(2026 - 03 - 01)).phrases(), ["1er mars 2026", "2026-03-01"]);
        assert!(readings("31/02/2026").is_empty());
        assert!(readings("15/03/2026/1").is_empty());
    }

    #[test]
    fn loosely_written_act_numbers_are_read_with_their_other_meaning() {
        assert_eq!(readings("2026-045"), [number(2026, None, 45)]);
        assert_eq!(readings("n°45/2026"), [number(2026, None, 45)]);
        assert_eq!(readings("2026-arr-45"), [number(2026, Some("ARR"), 45)]);
        assert_eq!(readings("DEL/2026/00012"), [number(2026, Some("DEL"), 12)]);
        assert_eq!(readings("03/2026"), [Reading::Month(2026, Month::March), number(2026, None, 3)]);
        for words in ["mi-temps", "2026", "L332-8", "12", "a/b", "2016-596-1", "1789-45", "S-2207"] {
            assert!(readings(words).iter().all(|r| !matches!(r, Reading::Day(_))), "{words}");
        }
        assert!(readings("mi-temps").is_empty() && readings("S-2207").is_empty());
    }
}
