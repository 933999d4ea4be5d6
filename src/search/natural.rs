//! Queries as people type them: "arrêté de mise en disponibilité de Mme
//! Tronquoy", "avancement d’échelon 2026", "délib CST terrasses".
//!
//! A text without explicit operators (see [`is_natural`]) is never a syntax
//! error: it is read with the index's own analysis (elisions, function words,
//! case, accents, ordinals: [`super::analyzer`]) and built here, without
//! tantivy's grammar:
//!
//! - act numbers and SIREN match their own field exactly (required);
//! - each remaining *concept* (a word, or a run of words spelling a form of a
//!   synonym group, e.g. "comité social territorial" ↔ "CST") matches in the
//!   title, the content or the collectivité's name (and, for a scope with
//!   personal data, the agent's name and matricule);
//! - every concept is required up to three; beyond, one in three may be
//!   missing (a sentence has words no act spells: "je cherche…");
//! - the last word, still being typed (no act has it whole), matches as a
//!   prefix ("Dupon" finds "Dupont", "disponib" finds "disponibilité");
//! - ranking: the title weighs more than the content, and the words found as
//!   a phrase in the title weigh most.

use tantivy::query::{AllQuery, BooleanQuery, BoostQuery, FuzzyTermQuery, PhraseQuery, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{Searcher, Term};

use super::analyzer::{self, Stems};
use super::min_match::MinMatchQuery;
use super::query::{self, is_act_number};
use super::rank::{Boosted, Ranking};
use super::schema::Fields;
use super::scope::Scope;
use super::synonyms::Synonyms;
use super::typed;
use crate::domain::Siren;

/// Weight of a word found in the title (the content weighs 1).
const TITLE_BOOST: f32 = 2.0;
/// Weight of the words found together, as typed, in the title.
const TITLE_PHRASE_BOOST: f32 = 6.0;
/// Weight of a prefix match of the last word (a whole word weighs more).
const PREFIX_BOOST: f32 = 0.5;
/// Shortest last word (folded, in characters) matched as a prefix.
const MIN_PREFIX_CHARS: usize = 3;
/// Concepts that are all required; beyond, one in three may be missing.
const ALL_REQUIRED_UP_TO: usize = 3;
/// Most concepts searched: a pasted paragraph is searched by its most telling
/// ones (see [`keep_the_longest`]).
const MAX_CONCEPTS: usize = 12;

/// Whether `text` uses none of the explicit operators of the query language:
/// quotes, `+word`/`-word`, `AND`/`OR`/`NOT`, `field:value`, `word*`.
pub(super) fn is_natural(text: &str) -> bool {
    if text.contains('"') {
        return false;
    }
    !text.split_whitespace().any(|chunk| {
        let mut chars = chunk.chars();
        let first = chars.next();
        let second = chars.next();
        let signed = matches!(first, Some('+' | '-')) && second.is_some_and(|c| c.is_alphanumeric());
        let keyword = matches!(chunk, "AND" | "OR" | "NOT" | "&&" | "||");
        let prefix = chunk.len() > 1 && chunk.ends_with('*');
        let field = chunk.split_once(':').is_some_and(|(name, rest)| {
            !name.is_empty() && !rest.is_empty() && name.bytes().all(|b| b.is_ascii_alphabetic() || b == b'_')
        });
        signed || keyword || prefix || field
    })
}

/// The text query of a natural `text`, and how to rank its matches without
/// scoring them all (`None` when a word is matched as a prefix: the ranking
/// must then score every match).
pub(super) fn build(
    searcher: &Searcher,
    f: &Fields,
    synonyms: &Synonyms,
    text: &str,
    scope: &Scope,
    seek: Seek,
) -> (Box<dyn Query>, Option<Ranking>) {
    // The terms whose scores add up to the score of a match (see `rank`).
    let mut ranked: Vec<(Term, f32)> = Vec::new();
    let mut prefixed = false;
    let (mut required, mut concepts, rest) = identifiers(searcher, f, text, scope, seek, &mut ranked);
    // Still typing the last word: no space nor punctuation after it.
    let typing = text.chars().last().is_some_and(char::is_alphanumeric);
    let words: Vec<String> = analyzer::words(&rest)
        .into_iter()
        .filter(|w| w.folded.len() <= 40 && !analyzer::is_function_word(&rest[w.span.clone()], &w.folded))
        .map(|w| w.folded)
        .collect();
    let mut stems = Stems::new();
    let stemmed: Vec<String> = words.iter().map(|w| stems.of(w)).collect();

    let mut i = 0;
    while i < stemmed.len() {
        let mut c = Concept::default();
        if let Some((len, group)) = synonyms.longest_form(&stemmed[i..]) {
            let forms = synonyms
                .form_tokens(group)
                .map(|tokens| text_fields(f, tokens, seek, &mut c.ranked))
                .collect();
            c.query = Some(any_of(forms, seek));
            c.key = format!("group {group}");
            concepts.push(c);
            i += len;
            continue;
        }
        c.stem = Some(stemmed[i].clone());
        c.key = format!("word {}", stemmed[i]);
        let mut alternatives = vec![text_fields(f, std::slice::from_ref(&stemmed[i]), seek, &mut c.ranked)];
        if scope.personal_data() {
            alternatives.push(ranked_term(&mut c.ranked, f.agent, &words[i], 1.0));
        }
        let last = i + 1 == stemmed.len();
        if last
            && typing
            && words[i].chars().count() >= MIN_PREFIX_CHARS
            && !is_number(&words[i])
            && !is_a_word(searcher, f, scope, &stemmed[i], &words[i])
        {
            let mut fields = vec![f.title, f.body, f.collectivite];
            if scope.personal_data() {
                fields.push(f.agent);
            }
            c.prefix = true;
            for field in fields {
                let prefix = FuzzyTermQuery::new_prefix(Term::from_field_text(field, &words[i]), 0, false);
                alternatives.push(Box::new(BoostQuery::new(Box::new(prefix), PREFIX_BOOST)));
            }
        }
        c.query = Some(any_of(alternatives, seek));
        concepts.push(c);
        i += 1;
    }
    keep_the_longest(&mut concepts);

    let mut phrase_boost = None;
    let n = concepts.len();
    if n > 0 {
        prefixed = concepts.iter().any(|c| c.prefix);
        let mut queries = Vec::with_capacity(n);
        for c in concepts {
            ranked.extend(c.ranked);
            queries.extend(c.query);
        }
        let core: Box<dyn Query> = if n <= ALL_REQUIRED_UP_TO {
            Box::new(BooleanQuery::intersection(queries))
        } else {
            Box::new(MinMatchQuery::new(queries, n - n / 3))
        };
        // The words as typed, together in the title: first (a form typed is
        // one of its group). Not in the content: checking positions of every
        // matching act's content doubles the time of a common two-word query
        // at a million acts; the content ranks by BM25. Not for a pasted
        // paragraph, which no title spells. Only asked of each match
        // (`Boosted`), never sought beyond it.
        if (2..=MAX_CONCEPTS).contains(&stemmed.len()) {
            let terms = stemmed.iter().map(|s| Term::from_field_text(f.title, s)).collect();
            let phrase = BoostQuery::new(Box::new(PhraseQuery::new(terms)), TITLE_PHRASE_BOOST);
            phrase_boost = Some(Box::new(phrase.clone()) as Box<dyn Query>);
            required.push(Box::new(Boosted::new(core, Box::new(phrase))));
        } else {
            required.push(core);
        }
    }
    let ranking =
        (!prefixed && !ranked.is_empty()).then_some(Ranking { terms: ranked, phrase: phrase_boost });
    let query: Box<dyn Query> = match required.len() {
        // Only function words ("de la"): like an empty query.
        0 => return (Box::new(AllQuery), None),
        1 => required.pop().expect("one clause"),
        _ => Box::new(BooleanQuery::intersection(required)),
    };
    (query, ranking)
}

/// The identifiers of `text` (act numbers, SIREN, matricules: required,
/// each in its own field), its dates and loosely written numbers (concepts),
/// and the rest of the text.
fn identifiers(
    searcher: &Searcher,
    f: &Fields,
    text: &str,
    scope: &Scope,
    seek: Seek,
    ranked: &mut Vec<(Term, f32)>,
) -> (Vec<Box<dyn Query>>, Vec<Concept>, String) {
    let mut required: Vec<Box<dyn Query>> = Vec::new();
    let mut concepts = Vec::new();
    let mut rest = String::with_capacity(text.len());
    for chunk in text.split_whitespace() {
        let bare = chunk.trim_matches(|c: char| !c.is_alphanumeric() && c != '_');
        if is_act_number(bare) {
            required.push(ranked_term(ranked, f.number, &bare.to_ascii_uppercase(), 1.0));
        } else if bare.len() == 9 && bare.parse::<Siren>().is_ok() {
            required.push(ranked_term(ranked, f.siren, bare, 1.0));
        } else if scope.personal_data() && looks_like_matricule(bare) {
            let forms = vec![
                ranked_term(ranked, f.matricule, bare, 1.0),
                ranked_term(ranked, f.matricule, &bare.to_uppercase(), 1.0),
            ];
            required.push(any_of(forms, seek));
        } else if let Some(mut concept) = typed_concept(searcher, f, bare, seek) {
            concept.key = format!("typed {bare}");
            concepts.push(concept);
        } else {
            rest.push_str(chunk);
            rest.push(' ');
        }
    }
    (required, concepts, rest)
}

/// One thing a natural query looks for: a word, a synonym form, a date or an
/// act number, and the terms that rank it.
#[derive(Default)]
struct Concept {
    query: Option<Box<dyn Query>>,
    ranked: Vec<(Term, f32)>,
    /// The word's stem (none for a form, a date, a number: always kept).
    stem: Option<String>,
    /// Matched as a prefix (the last word, being typed).
    prefix: bool,
    /// What it looks for: a word, a group, a date or number as typed (a
    /// word typed twice is one concept).
    key: String,
}

/// At most [`MAX_CONCEPTS`] concepts: those of a pasted paragraph that say
/// the most, i.e. the forms, dates and numbers, then the longest words (the
/// short ones, "arrêté", "vu", "agent", narrow little and cost the most to
/// walk). Chosen from the text alone: a choice made from the index's
/// statistics would change what a caller finds according to acts outside
/// their scope.
fn keep_the_longest(concepts: &mut Vec<Concept>) {
    let mut seen = std::collections::HashSet::new();
    concepts.retain(|c| seen.insert(c.key.clone()));
    if concepts.len() <= MAX_CONCEPTS {
        return;
    }
    let mut keyed: Vec<(usize, usize, Concept)> = std::mem::take(concepts)
        .into_iter()
        .enumerate()
        .map(|(i, c)| (c.stem.as_ref().map_or(usize::MAX, String::len), i, c))
        .collect();
    keyed.sort_by_key(|(len, i, _)| (std::cmp::Reverse(*len), *i));
    keyed.truncate(MAX_CONCEPTS);
    // Back in the order typed.
    keyed.sort_by_key(|(_, i, _)| *i);
    concepts.extend(keyed.into_iter().map(|(_, _, c)| c));
}

/// A date or a loosely written act number ([`typed`]), as one concept: any
/// of its readings, and for a number the same digits in the content
/// ("décret n° 2016-596").
fn typed_concept(searcher: &Searcher, f: &Fields, bare: &str, seek: Seek) -> Option<Concept> {
    let readings = typed::readings(bare);
    if readings.is_empty() {
        return None;
    }
    let mut c = Concept::default();
    let mut analyzer = analyzer::french();
    let mut alternatives = Vec::new();
    let mut spelt = |text: &str, ranked: &mut Vec<(Term, f32)>, alternatives: &mut Vec<Box<dyn Query>>| {
        let tokens = analyzer::tokens(&mut analyzer, text);
        if !tokens.is_empty() {
            alternatives.push(text_fields(f, &tokens, seek, ranked));
        }
    };
    for reading in &readings {
        match reading {
            typed::Reading::Number { year, series, rank } => {
                for term in typed::numbers(searcher, f.number, *year, series.as_deref(), *rank) {
                    c.ranked.push((term.clone(), 1.0));
                    alternatives
                        .push(Box::new(TermQuery::new(term, IndexRecordOption::Basic)) as Box<dyn Query>);
                }
            }
            other => other.phrases().iter().for_each(|p| spelt(p, &mut c.ranked, &mut alternatives)),
        }
    }
    if readings.iter().all(|r| matches!(r, typed::Reading::Number { .. } | typed::Reading::Month(..))) {
        spelt(bare, &mut c.ranked, &mut alternatives);
    }
    c.query = Some(any_of(alternatives, seek));
    Some(c)
}

/// Whether some act the caller may see has the word whole (then it is no
/// prefix being typed: "budget" is a word, "Dupon" or "disponib" are not).
/// Only acts and fields within `scope` count: a word found only in another
/// collectivité's acts, or an agent's name for a caller without personal
/// data, must change nothing (else what the caller finds would reveal it).
/// Costs a lookup in the term dictionaries and, for a word that exists, a
/// walk to the first act in scope, not a walk of every term that starts alike.
fn is_a_word(searcher: &Searcher, f: &Fields, scope: &Scope, stem: &str, folded: &str) -> bool {
    let has = |field: Field, text: &str| query::seen(searcher, f, scope, &Term::from_field_text(field, text));
    has(f.title, stem) || has(f.body, stem) || (scope.personal_data() && has(f.agent, folded))
}

/// The analysed words `tokens`, as a term or a phrase, in the title
/// (weighted), the content or the collectivité's name. Each word goes to
/// `ranked` with its field's weight (a phrase of a synonym form ranks by its
/// words).
fn text_fields(f: &Fields, tokens: &[String], seek: Seek, ranked: &mut Vec<(Term, f32)>) -> Box<dyn Query> {
    let mut on = |field: Field, weight: f32| -> Box<dyn Query> {
        ranked.extend(tokens.iter().map(|t| (Term::from_field_text(field, t), weight)));
        match tokens {
            [one] => term(field, one),
            _ => Box::new(PhraseQuery::new(tokens.iter().map(|t| Term::from_field_text(field, t)).collect())),
        }
    };
    let fields = vec![
        Box::new(BoostQuery::new(on(f.title, TITLE_BOOST), TITLE_BOOST)) as Box<dyn Query>,
        on(f.body, 1.0),
        on(f.collectivite, 1.0),
    ];
    any_of(fields, seek)
}

/// How the alternatives of a concept are walked: the same matches and
/// scores either way, at very different costs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Seek {
    /// tantivy's union: it fills a window of 4 096 documents from every
    /// alternative at a time, scores included, which is the fastest way
    /// through every match of a common word.
    Walk,
    /// A union that seeks each alternative to the documents asked for
    /// ([`MinMatchQuery`] with a minimum of one): when a selective filter
    /// (a collectivité: ~1 000 acts of a million) leads the intersection,
    /// the window would make the union read every document of the
    /// alternatives anyway, phrase positions included (17 ms at p99 for
    /// "comité social territorial" in one collectivité at a million acts).
    Lead,
}

/// Any of `alternatives`, walked as `seek` says.
fn any_of(alternatives: Vec<Box<dyn Query>>, seek: Seek) -> Box<dyn Query> {
    match seek {
        Seek::Walk => Box::new(BooleanQuery::union(alternatives)),
        Seek::Lead => Box::new(MinMatchQuery::new(alternatives, 1)),
    }
}

fn term(field: Field, text: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(Term::from_field_text(field, text), IndexRecordOption::WithFreqs))
}

/// A term query, its term ranked with `weight`.
fn ranked_term(ranked: &mut Vec<(Term, f32)>, field: Field, text: &str, weight: f32) -> Box<dyn Query> {
    ranked.push((Term::from_field_text(field, text), weight));
    term(field, text)
}

fn is_number(word: &str) -> bool {
    word.bytes().all(|b| b.is_ascii_digit())
}

/// "S-2207", "A-00417", "CDG-0417": letters, a hyphen, digits.
fn looks_like_matricule(s: &str) -> bool {
    let Some((letters, digits)) = s.split_once('-') else { return false };
    !letters.is_empty()
        && letters.len() <= 5
        && letters.bytes().all(|b| b.is_ascii_alphabetic())
        && !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_explicit_operators_make_a_query_advanced() {
        for natural in [
            "avancement d'échelon",
            "conseil de discipline",
            "mi-temps thérapeutique",
            "CST : avis",
            "séance de 18:30",
            "congé (maladie",
            "Saint-Ombeline",
            "2026_ARR_00001",
            "a - b",
            "*",
        ] {
            assert!(is_natural(natural), "{natural}");
        }
        for advanced in ["\"budget primitif\"", "-budget", "budget OR x", "title:budget", "budg*", "title:("]
        {
            assert!(!is_natural(advanced), "{advanced}");
        }
    }

    #[test]
    fn matricules_are_recognised() {
        assert!(looks_like_matricule("S-2207") && looks_like_matricule("CDG-0417"));
        assert!(!looks_like_matricule("mi-temps") && !looks_like_matricule("2026-03"));
    }
}
