//! A search request and its parsing from `key=value` parameters (the HTTP
//! query string, `acta search --param`), with a French message for every
//! mistake.

use std::collections::BTreeSet;

use time::Date;
use time::macros::format_description;

use super::SearchError;
use crate::domain::Siren;

/// Hits returned when no limit is given.
pub const DEFAULT_LIMIT: usize = 20;
/// Most hits one request returns.
pub const MAX_LIMIT: usize = 100;
/// Deepest page: `offset + limit` may not exceed this (deep pages cost, and
/// nobody reads them; narrow the search instead).
pub const MAX_WINDOW: usize = 10_000;
/// Longest query text, in bytes: a paragraph pasted from an act fits (a
/// natural query searches its most telling words, see `natural`).
pub const MAX_QUERY_BYTES: usize = 4_000;
/// First year a filter may name: no act is older, and beyond the range
/// `MIN_YEAR..=MAX_YEAR` a date cannot be an index date (refused, never
/// clamped).
pub const MIN_YEAR: i32 = 1800;
/// Last year a filter may name.
pub const MAX_YEAR: i32 = 2200;

/// Order of the hits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    /// Most relevant first.
    #[default]
    Relevance,
    /// Most recent act date first.
    DateDesc,
    /// Oldest act date first.
    DateAsc,
}

/// Which date a date range applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DateField {
    /// The act's own date (decision, else séance, else sealing, else creation).
    #[default]
    Act,
    /// Date of the decision.
    Decision,
    /// Date the act takes effect.
    Effect,
    /// Date of the séance.
    Seance,
    /// Date of publication.
    Publication,
    /// Creation of the draft.
    Created,
    /// Sealing.
    Sealed,
}

impl DateField {
    /// Its index field.
    pub(super) fn field_name(self) -> &'static str {
        match self {
            Self::Act => "date",
            Self::Decision => "decision",
            Self::Effect => "effect",
            Self::Seance => "seance",
            Self::Publication => "publication",
            Self::Created => "created",
            Self::Sealed => "sealed",
        }
    }
}

/// Filters; each one given narrows the results (values of one filter are
/// alternatives).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filters {
    /// SIREN of the collectivités.
    pub collectivites: BTreeSet<Siren>,
    /// Kinds of act (`arrete`, `deliberation`…).
    pub kinds: BTreeSet<String>,
    /// Template ids.
    pub templates: BTreeSet<String>,
    /// @ctes matière codes ("4.1").
    pub matieres: BTreeSet<String>,
    /// `draft` or `sealed`.
    pub status: Option<String>,
    /// First year (inclusive).
    pub year_from: Option<u64>,
    /// Last year (inclusive).
    pub year_to: Option<u64>,
    /// The date the range applies to.
    pub date_field: DateField,
    /// First day (inclusive).
    pub from: Option<Date>,
    /// Last day (inclusive).
    pub to: Option<Date>,
}

/// One search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchRequest {
    /// Free text: words, "phrases", AND / OR / NOT, -excluded, field:value;
    /// empty matches every act.
    pub text: String,
    /// Filters.
    pub filters: Filters,
    /// Order of the hits.
    pub sort: Sort,
    /// Hits to return (1–[`MAX_LIMIT`]).
    pub limit: usize,
    /// Hits to skip.
    pub offset: usize,
}

impl Default for SearchRequest {
    fn default() -> Self {
        Self {
            text: String::new(),
            filters: Filters::default(),
            sort: Sort::Relevance,
            limit: DEFAULT_LIMIT,
            offset: 0,
        }
    }
}

impl SearchRequest {
    /// A request for `text` with defaults.
    pub fn text(text: impl Into<String>) -> Self {
        Self { text: text.into(), ..Self::default() }
    }

    /// Build a request from `key=value` parameters: `q`, `limit`, `offset`,
    /// `page` (from 1, `limit` acts a page, instead of `offset`),
    /// `sort` (`relevance`, `date_desc`, `date_asc`), `collectivite`, `kind`,
    /// `template`, `matiere` (repeatable or comma-separated), `status`, `year`,
    /// `year_from`, `year_to`, `date_field` (`act`, `decision`, `effect`,
    /// `seance`, `created`, `sealed`), `from`, `to` (YYYY-MM-DD).
    pub fn from_params<'a>(
        params: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, SearchError> {
        let mut r = Self::default();
        let mut page = None;
        // A parameter of one value given twice is refused, never read as
        // either of them (the caller meant something; we cannot know what).
        let mut given: Vec<&str> = Vec::new();
        let f = &mut r.filters;
        for (key, value) in params {
            let value = value.trim();
            if SINGLE.contains(&key) {
                if given.contains(&key) {
                    return Err(invalid(format!("le paramètre « {key} » est donné plusieurs fois")));
                }
                given.push(key);
            }
            let list = || value.split(',').map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned);
            match key {
                "q" => r.text = value.to_owned(),
                "limit" => r.limit = number(key, value, 1, MAX_LIMIT)?,
                "offset" => r.offset = number(key, value, 0, MAX_WINDOW - 1)?,
                "page" => page = Some(number(key, value, 1, MAX_WINDOW)?),
                "sort" => {
                    r.sort = match value {
                        "relevance" | "" => Sort::Relevance,
                        "date_desc" => Sort::DateDesc,
                        "date_asc" => Sort::DateAsc,
                        _ => {
                            return Err(invalid(format!(
                                "tri inconnu « {value} » : les tris possibles sont relevance, date_desc et date_asc"
                            )));
                        }
                    }
                }
                "collectivite" => {
                    for s in list() {
                        let siren =
                            s.parse().map_err(|_| invalid(format!("« {s} » n'est pas un SIREN valide")))?;
                        f.collectivites.insert(siren);
                    }
                }
                "kind" => f.kinds.extend(list()),
                "template" => f.templates.extend(list()),
                "matiere" => f.matieres.extend(list()),
                "status" => {
                    f.status = match value {
                        "draft" | "sealed" => Some(value.to_owned()),
                        "" => None,
                        _ => return Err(invalid(format!("statut inconnu « {value} » : draft ou sealed"))),
                    }
                }
                "year" => {
                    let y = year(key, value)?;
                    (f.year_from, f.year_to) = (Some(y), Some(y));
                }
                "year_from" => f.year_from = Some(year(key, value)?),
                "year_to" => f.year_to = Some(year(key, value)?),
                "date_field" => {
                    f.date_field = match value {
                        "act" | "" => DateField::Act,
                        "decision" => DateField::Decision,
                        "effect" => DateField::Effect,
                        "seance" => DateField::Seance,
                        "publication" => DateField::Publication,
                        "created" => DateField::Created,
                        "sealed" => DateField::Sealed,
                        _ => {
                            return Err(invalid(format!(
                                "date inconnue « {value} » : act, decision, effect, seance, publication, created ou sealed"
                            )));
                        }
                    }
                }
                "from" => f.from = Some(date(key, value)?),
                "to" => f.to = Some(date(key, value)?),
                _ => return Err(invalid(format!("paramètre inconnu « {key} »"))),
            }
        }
        if let Some(page) = page {
            if given.contains(&"offset") {
                return Err(invalid("page et offset ne peuvent être donnés ensemble".into()));
            }
            r.offset = (page - 1).checked_mul(r.limit).filter(|o| *o < MAX_WINDOW).ok_or_else(|| {
                invalid(format!(
                    "page doit être comprise entre 1 et {} pour {} résultats par page",
                    MAX_WINDOW / r.limit,
                    r.limit
                ))
            })?;
        }
        r.check()?;
        Ok(r)
    }

    /// Refuse inconsistent requests.
    pub fn check(&self) -> Result<(), SearchError> {
        if self.text.len() > MAX_QUERY_BYTES {
            return Err(invalid(format!(
                "la requête dépasse {MAX_QUERY_BYTES} octets : raccourcissez le texte collé"
            )));
        }
        if self.limit == 0 || self.limit > MAX_LIMIT {
            return Err(invalid(format!("limit doit être compris entre 1 et {MAX_LIMIT}")));
        }
        if self.offset.checked_add(self.limit).is_none_or(|end| end > MAX_WINDOW) {
            return Err(invalid(format!(
                "offset + limit ne peut dépasser {MAX_WINDOW} : affinez la recherche plutôt que d'aller si loin"
            )));
        }
        let f = &self.filters;
        for (key, year) in [("year_from", f.year_from), ("year_to", f.year_to)] {
            if let Some(y) = year
                && !(MIN_YEAR as u64..=MAX_YEAR as u64).contains(&y)
            {
                return Err(invalid(format!(
                    "{key} doit être une année entre {MIN_YEAR} et {MAX_YEAR}, pas {y}"
                )));
            }
        }
        for (key, day) in [("from", f.from), ("to", f.to)] {
            if let Some(d) = day
                && !(MIN_YEAR..=MAX_YEAR).contains(&d.year())
            {
                return Err(invalid(date_range(key, &d.to_string())));
            }
        }
        if let (Some(a), Some(b)) = (f.year_from, f.year_to)
            && a > b
        {
            return Err(invalid(format!("year_from ({a}) est postérieure à year_to ({b})")));
        }
        if let (Some(a), Some(b)) = (f.from, f.to)
            && a > b
        {
            return Err(invalid(format!("from ({a}) est postérieure à to ({b})")));
        }
        Ok(())
    }
}

/// The parameters that take one value (the filters `collectivite`, `kind`,
/// `template`, `matiere` take several).
const SINGLE: [&str; 12] = [
    "q",
    "limit",
    "offset",
    "page",
    "sort",
    "status",
    "year",
    "year_from",
    "year_to",
    "date_field",
    "from",
    "to",
];

fn invalid(message: String) -> SearchError {
    SearchError::InvalidQuery(message)
}

fn number(key: &str, value: &str, min: usize, max: usize) -> Result<usize, SearchError> {
    match value.parse::<usize>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(invalid(format!("{key} doit être un entier entre {min} et {max}, pas « {value} »"))),
    }
}

fn year(key: &str, value: &str) -> Result<u64, SearchError> {
    match value.parse::<u64>() {
        Ok(y) if (MIN_YEAR as u64..=MAX_YEAR as u64).contains(&y) => Ok(y),
        _ => {
            Err(invalid(format!("{key} doit être une année entre {MIN_YEAR} et {MAX_YEAR}, pas « {value} »")))
        }
    }
}

fn date_range(key: &str, value: &str) -> String {
    format!("{key} doit être une date entre {MIN_YEAR}-01-01 et {MAX_YEAR}-12-31, pas « {value} »")
}

fn date(key: &str, value: &str) -> Result<Date, SearchError> {
    // Years of more than four digits, signed years: out of range, not malformed.
    let long_year = value
        .trim_start_matches(['+', '-'])
        .split('-')
        .next()
        .is_some_and(|y| y.len() > 4 && y.bytes().all(|b| b.is_ascii_digit()));
    match Date::parse(value, format_description!("[year]-[month]-[day]")) {
        Ok(d) if (MIN_YEAR..=MAX_YEAR).contains(&d.year()) => Ok(d),
        Ok(_) => Err(invalid(date_range(key, value))),
        Err(_) if long_year => Err(invalid(date_range(key, value))),
        Err(_) => Err(invalid(format!("{key} doit être une date AAAA-MM-JJ, pas « {value} »"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(params: &[(&str, &str)]) -> String {
        match SearchRequest::from_params(params.iter().copied()) {
            Err(SearchError::InvalidQuery(m)) => m,
            other => panic!("expected an invalid query, got {other:?}"),
        }
    }

    #[test]
    fn parameters_build_filters_and_repeat_or_split_on_commas() {
        let r = SearchRequest::from_params([
            ("q", "budget"),
            ("collectivite", "216295105,216296202"),
            ("collectivite", "216297309"),
            ("year_from", "2020"),
            ("year_to", "2024"),
            ("from", "2021-03-01"),
            ("sort", "date_desc"),
            ("limit", "5"),
            ("offset", "10"),
        ])
        .unwrap();
        assert_eq!(r.filters.collectivites.len(), 3);
        assert_eq!((r.filters.year_from, r.filters.year_to), (Some(2020), Some(2024)));
        assert_eq!(r.filters.from, Some(time::macros::date!(2021 - 03 - 01)));
        assert_eq!((r.sort, r.limit, r.offset), (Sort::DateDesc, 5, 10));
    }

    #[test]
    fn a_parameter_of_one_value_given_twice_is_refused_naming_it() {
        for key in SINGLE {
            let value = match key {
                "limit" | "page" => "2",
                "offset" => "0",
                "status" => "sealed",
                "sort" => "date_asc",
                "date_field" => "act",
                "from" | "to" => "2026-01-01",
                "q" => "budget",
                _ => "2026",
            };
            let m = message(&[(key, value), (key, value)]);
            assert_eq!(m, format!("le paramètre « {key} » est donné plusieurs fois"));
        }
        assert!(message(&[("page", "2"), ("offset", "0")]).contains("page et offset"));
        // The filters that take several values still repeat.
        assert!(SearchRequest::from_params([("kind", "arrete"), ("kind", "deliberation")]).is_ok());
    }

    #[test]
    fn mistakes_are_named_in_french() {
        assert!(message(&[("from", "2021-13-01")]).contains("AAAA-MM-JJ"));
        assert!(message(&[("sort", "pertinence")]).contains("tri inconnu"));
        assert!(message(&[("collectivite", "123")]).contains("SIREN"));
        assert!(message(&[("limit", "0")]).contains("limit"));
        assert!(message(&[("limit", "abc")]).contains("entier"));
        assert!(message(&[("year_from", "2024"), ("year_to", "2020")]).contains("postérieure"));
        assert!(message(&[("colectivite", "1")]).contains("paramètre inconnu"));
        assert!(message(&[("status", "brouillon")]).contains("statut"));
    }

    #[test]
    fn hostile_numbers_and_dates_are_refused_naming_the_parameter_and_its_range() {
        for (params, expected) in [
            (&[("limit", "18446744073709551615")][..], "limit doit être un entier entre 1 et 100"),
            (&[("limit", "-1")], "limit doit être un entier entre 1"),
            (&[("offset", "18446744073709551615")], "offset doit être un entier entre 0 et 9999"),
            (&[("offset", "99999999999999999999999")], "offset"),
            (&[("offset", "9999"), ("limit", "100")], "offset + limit"),
            (&[("page", "0")], "page doit être un entier entre 1"),
            (&[("page", "101"), ("limit", "100")], "page doit être comprise entre 1 et 100"),
            (&[("page", "2"), ("offset", "3")], "page et offset"),
            (&[("year", "99999")], "year doit être une année entre 1800 et 2200"),
            (&[("year_from", "1200")], "year_from doit être une année entre 1800 et 2200"),
            (&[("from", "9999-12-31")], "from doit être une date entre 1800-01-01 et 2200-12-31"),
            (&[("to", "2300-01-01")], "to doit être une date entre"),
            (&[("from", "1601-01-01")], "from doit être une date entre"),
            (&[("to", "+10000-01-01")], "to doit être une date entre"),
            (&[("from", "0000-01-01")], "from doit être une date entre"),
        ] {
            assert!(message(params).contains(expected), "{params:?}: {}", message(params));
        }
        let r = SearchRequest::from_params([("page", "3"), ("limit", "10")]).unwrap();
        assert_eq!(r.offset, 20);
        let r = SearchRequest::from_params([("from", "2200-12-31"), ("to", "2200-12-31")]).unwrap();
        assert_eq!(r.filters.to, Some(time::macros::date!(2200 - 12 - 31)));
        // A request built in code is checked the same way.
        let far = SearchRequest { offset: usize::MAX, ..SearchRequest::default() };
        assert!(far.check().is_err());
    }
}
