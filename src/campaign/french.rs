//! Numbers and dates as French HR software writes them in spreadsheets:
//! `1 234,56` (spaces, non-breaking or narrow, as thousands separators, comma
//! for decimals), `15/03/2026`. ISO forms (`1234.56`, `2026-03-15`) are
//! accepted too: XLSX cells and JSON come that way.

use time::{Date, Month};

/// A decimal number: `1 234,56`, `1.234,56`, `1234.56`, `-3`.
pub(super) fn decimal(s: &str) -> Option<f64> {
    let mut t: String = s.chars().filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}')).collect();
    if t.contains(',') {
        // `1.234,56`: the dots group thousands.
        t = t.replace('.', "").replace(',', ".");
    }
    let valid = !t.is_empty()
        && t.chars()
            .enumerate()
            .all(|(i, c)| c.is_ascii_digit() || c == '.' || (i == 0 && (c == '-' || c == '+')));
    if !valid || t.matches('.').count() > 1 {
        return None;
    }
    t.parse::<f64>().ok().filter(|f| f.is_finite())
}

/// A whole number: `420`, `1 234`, `420,00`.
pub(super) fn integer(s: &str) -> Option<i64> {
    let f = decimal(s)?;
    // Whole and exactly representable.
    (f.fract() == 0.0 && f.abs() < 9.0e15).then_some(f as i64)
}

/// A day: `15/03/2026`, `15-03-2026`, `15.03.2026`, `2026-03-15`; returned
/// as `AAAA-MM-JJ`. Two-digit years are refused: `15/03/26` could be 1926.
pub(super) fn date(s: &str) -> Option<String> {
    let s = s.trim();
    // An XLSX date cell read with its time of day: `2026-03-15T00:00:00`.
    let s = s.strip_suffix("T00:00:00").or_else(|| s.strip_suffix(" 00:00:00")).unwrap_or(s);
    let parts: Vec<&str> = s.split(['/', '-', '.']).collect();
    let [a, b, c] = parts.as_slice() else { return None };
    let num = |p: &str, len: std::ops::RangeInclusive<usize>| {
        (len.contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()))
            .then(|| p.parse::<u32>().ok())
            .flatten()
    };
    let (y, m, d) = if a.len() == 4 {
        (num(a, 4..=4)?, num(b, 1..=2)?, num(c, 1..=2)?)
    } else {
        (num(c, 4..=4)?, num(b, 1..=2)?, num(a, 1..=2)?)
    };
    let month = Month::try_from(u8::try_from(m).ok()?).ok()?;
    let day = Date::from_calendar_date(i32::try_from(y).ok()?, month, u8::try_from(d).ok()?).ok()?;
    Some(format!("{:04}-{:02}-{:02}", day.year(), u8::from(day.month()), day.day()))
}

/// A yes/no cell: `oui`, `non`, `vrai`, `faux`, `x`, `1`, `0`.
pub(super) fn boolean(s: &str) -> Option<bool> {
    match s.trim().to_lowercase().as_str() {
        "oui" | "o" | "vrai" | "x" | "1" | "true" => Some(true),
        "non" | "n" | "faux" | "0" | "false" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_read_as_french_spreadsheets_write_them() {
        assert_eq!(decimal("1 234,56"), Some(1234.56));
        assert_eq!(decimal("1\u{202f}234,5"), Some(1234.5));
        assert_eq!(decimal("1.234,56"), Some(1234.56));
        assert_eq!(decimal("1234.56"), Some(1234.56));
        assert_eq!(integer("420"), Some(420));
        assert_eq!(integer("420,00"), Some(420));
        for bad in ["", "4 2 0,5,1", "12a", "1,2,3", "--1", "quatre"] {
            assert_eq!(decimal(bad), None, "{bad}");
        }
        assert_eq!(integer("420,5"), None);
    }

    #[test]
    fn days_are_read_in_french_order_and_checked() {
        assert_eq!(date("15/03/2026").as_deref(), Some("2026-03-15"));
        assert_eq!(date("1/4/2026").as_deref(), Some("2026-04-01"));
        assert_eq!(date("2026-03-15").as_deref(), Some("2026-03-15"));
        assert_eq!(date("2026-03-15T00:00:00").as_deref(), Some("2026-03-15"));
        for bad in ["31/02/2026", "15/03/26", "03/15/2026", "15 mars 2026", ""] {
            assert_eq!(date(bad), None, "{bad}");
        }
    }
}
