//! From a [`SearchRequest`] and a [`Scope`] to one tantivy query.
//!
//! The free text is parsed with tantivy's grammar, then checked (only fields
//! the scope may search), rewritten (act numbers and SIREN matched exactly,
//! synonyms expanded) and built. Filters and the scope are ANDed around it as
//! zero-score clauses, so they narrow without changing relevance.

use std::ops::Bound;

use tantivy::query::{
    AllQuery, BooleanQuery, ConstScoreQuery, EmptyQuery, EnableScoring, Occur, Query, QueryParser,
    QueryParserError, RangeQuery, TermQuery, TermSetQuery,
};
use tantivy::query_grammar::{Delimiter, UserInputAst, UserInputLeaf};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DateTime, DocSet, Index, Searcher, TERMINATED, Term};

use super::natural::Seek;
use super::rank::Ranking;
use super::request::{Filters, SearchRequest};
use super::schema::{Fields, PUBLIC_FIELDS, RESTRICTED_FIELDS, day};
use super::scope::{Collectivites, Scope};
use super::{SearchError, Synonyms, analyzer, natural};
use crate::domain::Siren;

/// The whole query of a request, scope included, and for a natural query
/// how to rank its matches ([`Ranking`]).
pub(super) fn build(
    searcher: &Searcher,
    index: &Index,
    f: &Fields,
    synonyms: &Synonyms,
    req: &SearchRequest,
    scope: &Scope,
    seek: Seek,
) -> Result<(Box<dyn Query>, Option<Ranking>), SearchError> {
    let (text, ranking) = text_query(searcher, index, f, synonyms, &req.text, scope, seek)?;
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, text)];
    clauses.push((Occur::Must, filter(scope_query(f, scope))));
    if !scope.drafts() {
        clauses.push((Occur::Must, filter(terms(f.status, std::iter::once("sealed")))));
    }
    for q in filter_queries(f, &req.filters) {
        clauses.push((Occur::Must, filter(q)));
    }
    Ok((Box::new(BooleanQuery::new(clauses)), ranking))
}

/// An upper bound on the acts the filters and the scope of `req` let
/// through, from the number of acts of each value they name (one lookup per
/// value): a collectivité's acts are a few thousand at most. `u64::MAX` when
/// nothing narrows by value (years or dates alone narrow little).
pub(super) fn at_most(searcher: &Searcher, f: &Fields, req: &SearchRequest, scope: &Scope) -> u64 {
    let acts = |field: Field, values: &mut dyn Iterator<Item = &str>| -> u64 {
        values
            .map(|v| searcher.doc_freq(&Term::from_field_text(field, v)).unwrap_or(u64::MAX))
            .fold(0, u64::saturating_add)
    };
    let filters = &req.filters;
    let mut bound = u64::MAX;
    if let Collectivites::Only(set) = scope.collectivites() {
        bound = bound.min(acts(f.siren, &mut set.iter().map(Siren::as_str)));
    }
    if !filters.collectivites.is_empty() {
        bound = bound.min(acts(f.siren, &mut filters.collectivites.iter().map(Siren::as_str)));
    }
    for (field, set) in
        [(f.kind, &filters.kinds), (f.template, &filters.templates), (f.matiere, &filters.matieres)]
    {
        if !set.is_empty() {
            bound = bound.min(acts(field, &mut set.iter().map(String::as_str)));
        }
    }
    bound
}

/// Whether some act the scope lets the caller see has `term`: what a query
/// decides from the index's words must not depend on acts outside the
/// scope (whether a word exists in another collectivité's acts, or in a draft
/// a caller may not see). Stops at the first such act.
pub(super) fn seen(searcher: &Searcher, f: &Fields, scope: &Scope, term: &Term) -> bool {
    // Nowhere at all (deleted acts included): no walk.
    if searcher.doc_freq(term).is_ok_and(|n| n == 0) {
        return false;
    }
    let mut clauses: Vec<Box<dyn Query>> =
        vec![Box::new(TermQuery::new(term.clone(), IndexRecordOption::Basic)), scope_query(f, scope)];
    if !scope.drafts() {
        clauses.push(terms(f.status, std::iter::once("sealed")));
    }
    let query = BooleanQuery::intersection(clauses);
    let Ok(weight) = query.weight(EnableScoring::disabled_from_searcher(searcher)) else { return false };
    searcher.segment_readers().iter().any(|reader| {
        let Ok(mut docs) = weight.scorer(reader, 1.0) else { return false };
        let alive = reader.alive_bitset();
        let mut doc = docs.doc();
        while doc != TERMINATED {
            if alive.is_none_or(|a| a.is_alive(doc)) {
                return true;
            }
            doc = docs.advance();
        }
        false
    })
}

/// A clause that selects without scoring.
fn filter(q: Box<dyn Query>) -> Box<dyn Query> {
    Box::new(ConstScoreQuery::new(q, 0.0))
}

fn scope_query(f: &Fields, scope: &Scope) -> Box<dyn Query> {
    match scope.collectivites() {
        Collectivites::All => Box::new(AllQuery),
        Collectivites::Only(set) if set.is_empty() => Box::new(EmptyQuery),
        Collectivites::Only(set) => terms(f.siren, set.iter().map(Siren::as_str)),
    }
}

fn terms<'a>(field: Field, values: impl Iterator<Item = &'a str>) -> Box<dyn Query> {
    let terms: Vec<Term> = values.map(|v| Term::from_field_text(field, v)).collect();
    match terms.as_slice() {
        [one] => Box::new(TermQuery::new(one.clone(), IndexRecordOption::Basic)),
        _ => Box::new(TermSetQuery::new(terms)),
    }
}

fn filter_queries(f: &Fields, filters: &Filters) -> Vec<Box<dyn Query>> {
    let mut out = Vec::new();
    if !filters.collectivites.is_empty() {
        out.push(terms(f.siren, filters.collectivites.iter().map(Siren::as_str)));
    }
    for (field, set) in
        [(f.kind, &filters.kinds), (f.template, &filters.templates), (f.matiere, &filters.matieres)]
    {
        if !set.is_empty() {
            out.push(terms(field, set.iter().map(String::as_str)));
        }
    }
    if let Some(s) = &filters.status {
        out.push(terms(f.status, std::iter::once(s.as_str())));
    }
    if filters.year_from.is_some() || filters.year_to.is_some() {
        let bound =
            |y: Option<u64>| y.map_or(Bound::Unbounded, |y| Bound::Included(Term::from_field_u64(f.year, y)));
        out.push(Box::new(RangeQuery::new(bound(filters.year_from), bound(filters.year_to))));
    }
    if filters.from.is_some() || filters.to.is_some() {
        let field = match filters.date_field.field_name() {
            "decision" => f.decision,
            "effect" => f.effect,
            "seance" => f.seance,
            "publication" => f.publication,
            "created" => f.created,
            "sealed" => f.sealed,
            _ => f.date,
        };
        let term = |d: DateTime| Term::from_field_date_for_search(field, d);
        let lower = filters.from.map_or(Bound::Unbounded, |d| Bound::Included(term(day(d))));
        // Inclusive last day: everything before the next midnight.
        let upper = filters.to.map_or(Bound::Unbounded, |d| match d.next_day() {
            Some(next) => Bound::Excluded(term(day(next))),
            None => Bound::Unbounded,
        });
        out.push(Box::new(RangeQuery::new(lower, upper)));
    }
    out
}

fn text_query(
    searcher: &Searcher,
    index: &Index,
    f: &Fields,
    synonyms: &Synonyms,
    text: &str,
    scope: &Scope,
    seek: Seek,
) -> Result<(Box<dyn Query>, Option<Ranking>), SearchError> {
    let text = text.trim();
    if text.is_empty() || text == "*" {
        return Ok((Box::new(AllQuery), None));
    }
    if natural::is_natural(text) {
        return Ok(natural::build(searcher, f, synonyms, text, scope, seek));
    }
    // The grammar reads an apostrophe as a quote: elisions are words apart.
    let spaced = apostrophes_as_spaces(text);
    match advanced(index, f, synonyms, &spaced, scope) {
        Ok(q) => Ok((q, None)),
        // Operators typed by mistake (`conseil de "discipline`, `"budget"*`):
        // read as words, unless a field was named (the caller meant the
        // grammar, and is told what is wrong).
        Err(SearchError::InvalidQuery(_)) if !names_a_field(text) => {
            Ok(natural::build(searcher, f, synonyms, &spaced.replace(['"', '*'], " "), scope, seek))
        }
        Err(e) => Err(e),
    }
}

/// A query with explicit operators, through tantivy's grammar.
fn advanced(
    index: &Index,
    f: &Fields,
    synonyms: &Synonyms,
    text: &str,
    scope: &Scope,
) -> Result<Box<dyn Query>, SearchError> {
    let ast = tantivy::query_grammar::parse_query(text).map_err(|_| {
        SearchError::InvalidQuery("syntaxe incorrecte (parenthèse ou guillemet non fermé ?)".into())
    })?;
    check_fields(&ast, scope)?;
    let ast = drop_function_words(exact_identifiers(ast));
    let mut ast = synonyms.expand(ast);
    // Only exclusions ("-budget"): everything but those.
    if let UserInputAst::Clause(items) = &mut ast
        && !items.is_empty()
        && items.iter().all(|(o, _)| *o == Some(Occur::MustNot))
    {
        items.push((Some(Occur::Must), UserInputAst::Leaf(Box::new(UserInputLeaf::All))));
    }
    // Identifiers are searched by their own fields (see `exact_identifiers`):
    // as default fields, a word would have to equal a whole act number.
    let mut default_fields = vec![f.title, f.body, f.collectivite];
    if scope.personal_data() {
        default_fields.push(f.agent);
    }
    let mut parser = QueryParser::for_index(index, default_fields);
    parser.set_conjunction_by_default();
    parser.set_field_boost(f.title, 2.0);
    parser.build_query_from_user_input_ast(ast).map_err(french)
}

/// `text` with every apostrophe that follows a letter turned into a space.
fn apostrophes_as_spaces(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut previous = ' ';
    for c in text.chars() {
        let apostrophe = matches!(c, '\'' | '\u{2019}' | '\u{02BC}');
        out.push(if apostrophe && previous.is_alphanumeric() { ' ' } else { c });
        previous = c;
    }
    out
}

/// Whether the text names a field (`title:…`).
pub(super) fn names_a_field(text: &str) -> bool {
    text.split_whitespace().any(|chunk| {
        chunk.trim_start_matches(['+', '-', '(']).split_once(':').is_some_and(|(name, _)| {
            !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphabetic() || b == b'_')
        })
    })
}

/// `ast` without the unfielded words that are only function words ("de"):
/// no field would have them, and as required words they would match nothing.
fn drop_function_words(ast: UserInputAst) -> UserInputAst {
    match ast {
        UserInputAst::Clause(items) => UserInputAst::Clause(
            items
                .into_iter()
                .filter(|(_, a)| !is_function_word(a))
                .map(|(o, a)| (o, drop_function_words(a)))
                .collect(),
        ),
        UserInputAst::Boost(inner, b) => UserInputAst::Boost(Box::new(drop_function_words(*inner)), b),
        leaf => leaf,
    }
}

fn is_function_word(ast: &UserInputAst) -> bool {
    let UserInputAst::Leaf(leaf) = ast else { return false };
    let UserInputLeaf::Literal(l) = leaf.as_ref() else { return false };
    let words = analyzer::words(&l.phrase);
    l.field_name.is_none()
        && l.delimiter == Delimiter::None
        && !l.prefix
        && !words.is_empty()
        && words.iter().all(|w| analyzer::is_function_word(&l.phrase[w.span.clone()], &w.folded))
}

/// Refuse a query naming a field the scope may not search (or that does not
/// exist: both get the same answer, which reveals nothing).
fn check_fields(ast: &UserInputAst, scope: &Scope) -> Result<(), SearchError> {
    let allowed = |name: &str| {
        PUBLIC_FIELDS.contains(&name) || (scope.personal_data() && RESTRICTED_FIELDS.contains(&name))
    };
    let check = |name: Option<&String>| match name {
        Some(n) if !allowed(n) => {
            Err(SearchError::InvalidQuery(format!("champ de recherche inconnu « {n} »")))
        }
        _ => Ok(()),
    };
    match ast {
        UserInputAst::Clause(items) => items.iter().try_for_each(|(_, a)| check_fields(a, scope)),
        UserInputAst::Boost(inner, _) => check_fields(inner, scope),
        UserInputAst::Leaf(leaf) => match leaf.as_ref() {
            UserInputLeaf::Literal(l) => check(l.field_name.as_ref()),
            UserInputLeaf::All => Ok(()),
            UserInputLeaf::Range { field, .. } | UserInputLeaf::Set { field, .. } => check(field.as_ref()),
            UserInputLeaf::Exists { field } => {
                check(Some(field))?;
                Err(SearchError::InvalidQuery(format!(
                    "« {field}:* » n'est pas accepté : cherchez des mots de ce champ"
                )))
            }
            UserInputLeaf::Regex { .. } => {
                Err(SearchError::InvalidQuery("les expressions régulières ne sont pas acceptées".into()))
            }
        },
    }
}

/// Unquoted act numbers (`2026_ARR_00001`) and SIREN search their own field
/// exactly: a number finds that act, not every act that cites it (quote it
/// for those).
fn exact_identifiers(ast: UserInputAst) -> UserInputAst {
    match ast {
        UserInputAst::Clause(items) => {
            UserInputAst::Clause(items.into_iter().map(|(o, a)| (o, exact_identifiers(a))).collect())
        }
        UserInputAst::Boost(inner, b) => UserInputAst::Boost(Box::new(exact_identifiers(*inner)), b),
        UserInputAst::Leaf(mut leaf) => {
            if let UserInputLeaf::Literal(l) = leaf.as_mut()
                && l.field_name.is_none()
                && l.delimiter == Delimiter::None
                && !l.prefix
            {
                if is_act_number(&l.phrase) {
                    l.phrase = l.phrase.to_ascii_uppercase();
                    l.field_name = Some("number".into());
                } else if l.phrase.parse::<Siren>().is_ok() {
                    l.field_name = Some("siren".into());
                }
            }
            UserInputAst::Leaf(leaf)
        }
    }
}

/// `YYYY_SERIES_SEQ`, any case.
pub(super) fn is_act_number(s: &str) -> bool {
    let mut parts = s.split('_');
    let (Some(y), Some(series), Some(seq), None) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    y.len() == 4
        && y.bytes().all(|b| b.is_ascii_digit())
        && !series.is_empty()
        && series.bytes().all(|b| b.is_ascii_alphabetic())
        && !seq.is_empty()
        && seq.bytes().all(|b| b.is_ascii_digit())
}

fn french(e: QueryParserError) -> SearchError {
    use QueryParserError as E;
    let m = match e {
        E::SyntaxError(_) => "syntaxe incorrecte".to_owned(),
        E::FieldDoesNotExist(f) => format!("champ de recherche inconnu « {f} »"),
        E::ExpectedInt(_) | E::ExpectedFloat(_) | E::ExpectedBool(_) => {
            "une valeur numérique est attendue pour ce champ".to_owned()
        }
        E::AllButQueryForbidden => "une requête ne peut contenir que des exclusions".to_owned(),
        other => format!("requête non interprétable ({other})"),
    };
    SearchError::InvalidQuery(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn act_numbers_are_recognised_in_any_case_but_words_are_not() {
        assert!(is_act_number("2026_ARR_00001"));
        assert!(is_act_number("2026_arr_00001"));
        assert!(!is_act_number("CST"));
        assert!(!is_act_number("2026_ARR"));
        assert!(!is_act_number("26_ARR_1"));
    }
}
