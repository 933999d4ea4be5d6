//! Ranking the matches of a natural query without scoring every one of them.
//!
//! A common two-word query matches a tenth of the acts (~100 000 at a
//! million). Counting them and their facets needs every match, but not their
//! scores; the page needs the best twenty, not every score. So a natural
//! query runs in two passes:
//!
//! 1. the whole scoped query, *without scoring* (postings without
//!    frequencies, no phrase check, blocks of documents), gives the total,
//!    the facets and the set of matching acts per segment ([`Matches`]);
//! 2. the *ranking*: the sum of the scores of the query's terms found in an
//!    act, each with its weight (title 2, content and collectivité 1) — the
//!    very score the scored query gives a match — computed by tantivy's
//!    block-max WAND over the union of those terms, which skips every block of
//!    postings that cannot beat the current best [`CANDIDATES`]; an act
//!    outside the set of pass 1 (out of scope, filtered out, missing a
//!    required word) is never a candidate.
//!
//! The words typed together in the title (the phrase boost) are then added
//! to the score of those candidates only: an act with the phrase in its
//! title has every word in its title (weight 2), so it scores high already
//! and is among them unless [`CANDIDATES`] acts score higher without it.
//! With few matches ([`PRUNE_FROM`]), the scored query ranks them directly.

use std::collections::HashMap;
use std::sync::Arc;

use tantivy::collector::{Collector, SegmentCollector, TopDocs};
use tantivy::index::SegmentId;
use tantivy::query::{
    BooleanQuery, BoostQuery, EnableScoring, Explanation, Query, Scorer, TermQuery, Weight,
};
use tantivy::schema::IndexRecordOption;
use tantivy::{
    BitSet, DocAddress, DocId, DocSet, Score, Searcher, SeekDangerResult, SegmentOrdinal, SegmentReader,
    TERMINATED, Term,
};

/// Best matches by the terms' score that the phrase boost re-scores (more
/// when a page goes further).
pub(super) const CANDIDATES: usize = 100;

/// Fewest matches ranked by pruning: below, scoring every match is cheaper
/// than walking the postings of every term (which the filters do not narrow).
pub(super) const PRUNE_FROM: usize = 5_000;

/// How the matches of a natural query are ranked.
pub(super) struct Ranking {
    /// Every term of the query with its weight: the score of a match is the
    /// sum of those it has.
    pub terms: Vec<(Term, Score)>,
    /// The words typed together in the title, added to the candidates' score.
    pub phrase: Option<Box<dyn Query>>,
}

/// The acts matching a query, per segment.
pub(super) type MatchSets = HashMap<SegmentId, Arc<BitSet>>;

/// Collects the set of matching acts of each segment (without scores).
pub(super) struct Matches;

pub(super) struct SegmentMatches {
    segment: SegmentId,
    docs: BitSet,
}

impl Collector for Matches {
    type Fruit = MatchSets;
    type Child = SegmentMatches;

    fn for_segment(&self, _: SegmentOrdinal, reader: &SegmentReader) -> tantivy::Result<SegmentMatches> {
        Ok(SegmentMatches { segment: reader.segment_id(), docs: BitSet::with_max_value(reader.max_doc()) })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<(SegmentId, Arc<BitSet>)>) -> tantivy::Result<MatchSets> {
        Ok(fruits.into_iter().collect())
    }
}

impl SegmentCollector for SegmentMatches {
    type Fruit = (SegmentId, Arc<BitSet>);

    fn collect(&mut self, doc: DocId, _: Score) {
        self.docs.insert(doc);
    }

    fn collect_block(&mut self, docs: &[DocId]) {
        for &doc in docs {
            self.docs.insert(doc);
        }
    }

    fn harvest(self) -> Self::Fruit {
        (self.segment, Arc::new(self.docs))
    }
}

/// The best `k` of the acts in `matches` by `ranking`, best first.
pub(super) fn top(
    searcher: &Searcher,
    ranking: &Ranking,
    matches: MatchSets,
    k: usize,
) -> tantivy::Result<Vec<(Score, DocAddress)>> {
    let terms: Vec<Box<dyn Query>> = ranking
        .terms
        .iter()
        .map(|(term, weight)| {
            let q = Box::new(TermQuery::new(term.clone(), IndexRecordOption::WithFreqs));
            Box::new(BoostQuery::new(q, *weight)) as Box<dyn Query>
        })
        .collect();
    let within = Within { terms: BooleanQuery::union(terms), matches: Arc::new(matches) };
    let mut best = searcher.search(&within, &TopDocs::with_limit(k.max(1)).order_by_score())?;
    if let Some(phrase) = &ranking.phrase {
        add_scores(searcher, phrase.as_ref(), &mut best)?;
        best.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    }
    Ok(best)
}

/// Adds the score `query` gives each of `hits` (those it matches).
fn add_scores(
    searcher: &Searcher,
    query: &dyn Query,
    hits: &mut [(Score, DocAddress)],
) -> tantivy::Result<()> {
    let weight = query.weight(EnableScoring::enabled_from_searcher(searcher))?;
    hits.sort_by_key(|&(_, a)| a);
    let mut i = 0;
    while i < hits.len() {
        let ord = hits[i].1.segment_ord;
        let mut probe = Probe::new(weight.scorer(searcher.segment_reader(ord), 1.0)?);
        while i < hits.len() && hits[i].1.segment_ord == ord {
            if let Some(score) = probe.score_at(hits[i].1.doc_id) {
                hits[i].0 += score;
            }
            i += 1;
        }
    }
    Ok(())
}

/// Asks a scorer whether it has given documents, in increasing order,
/// without walking past them: a phrase scorer sought to an act without the
/// phrase walks on to the next act with it, reading the positions of every
/// act with the words but not the phrase on the way ("arrêté disponibilité"
/// in titles, which say "arrêté portant mise en disponibilité": every such
/// title of the index, to the end).
pub(super) struct Probe {
    scorer: Box<dyn Scorer>,
    /// Whether the scorer is on a document of its own (`doc()` is valid).
    valid: bool,
    /// When not, no document of it is below this one.
    next: DocId,
}

impl Probe {
    pub(super) fn new(scorer: Box<dyn Scorer>) -> Self {
        Self { scorer, valid: true, next: 0 }
    }

    /// The score of `doc`, if the scorer has it; `doc` must increase from
    /// call to call.
    pub(super) fn score_at(&mut self, doc: DocId) -> Option<Score> {
        if self.valid {
            let at = self.scorer.doc();
            if at > doc {
                return None;
            }
            if at == doc {
                return Some(self.scorer.score());
            }
        } else if doc < self.next {
            return None;
        }
        match self.scorer.seek_danger(doc) {
            SeekDangerResult::Found => {
                self.valid = true;
                Some(self.scorer.score())
            }
            SeekDangerResult::SeekLowerBound(next) => {
                self.valid = false;
                self.next = next;
                None
            }
        }
    }
}

/// The matches of `required`, those also matching `boost` scoring that much
/// more: what a `BooleanQuery` of a `Must` and a `Should` clause gives, but
/// `boost` (the title phrase) is only asked about each match ([`Probe`]).
#[derive(Debug)]
pub(super) struct Boosted {
    required: Box<dyn Query>,
    boost: Box<dyn Query>,
}

impl Boosted {
    pub(super) fn new(required: Box<dyn Query>, boost: Box<dyn Query>) -> Self {
        Self { required, boost }
    }
}

impl Clone for Boosted {
    fn clone(&self) -> Self {
        Self { required: self.required.box_clone(), boost: self.boost.box_clone() }
    }
}

impl Query for Boosted {
    fn weight(&self, scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        let required = self.required.weight(scoring)?;
        let boost = if scoring.is_scoring_enabled() { Some(self.boost.weight(scoring)?) } else { None };
        Ok(Box::new(BoostedWeight { required, boost }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        self.required.query_terms(visitor);
        self.boost.query_terms(visitor);
    }
}

struct BoostedWeight {
    required: Box<dyn Weight>,
    boost: Option<Box<dyn Weight>>,
}

impl Weight for BoostedWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let required = self.required.scorer(reader, boost)?;
        let Some(extra) = &self.boost else { return Ok(required) };
        Ok(Box::new(BoostedScorer { required, extra: Probe::new(extra.scorer(reader, boost)?) }))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let required = self.required.explain(reader, doc)?;
        let Some(extra) = self.boost.as_ref().and_then(|b| b.explain(reader, doc).ok()) else {
            return Ok(required);
        };
        let mut sum = Explanation::new("sum of", required.value() + extra.value());
        sum.add_detail(required);
        sum.add_detail(extra);
        Ok(sum)
    }
}

struct BoostedScorer {
    required: Box<dyn Scorer>,
    extra: Probe,
}

impl DocSet for BoostedScorer {
    fn advance(&mut self) -> DocId {
        self.required.advance()
    }

    fn seek(&mut self, target: DocId) -> DocId {
        self.required.seek(target)
    }

    fn seek_danger(&mut self, target: DocId) -> SeekDangerResult {
        self.required.seek_danger(target)
    }

    fn doc(&self) -> DocId {
        self.required.doc()
    }

    fn size_hint(&self) -> u32 {
        self.required.size_hint()
    }

    fn cost(&self) -> u64 {
        self.required.cost()
    }
}

impl Scorer for BoostedScorer {
    fn score(&mut self) -> Score {
        let doc = self.required.doc();
        self.required.score() + self.extra.score_at(doc).unwrap_or(0.0)
    }
}

/// The union of the ranking terms, restricted to the matches of pass 1.
#[derive(Clone, Debug)]
struct Within {
    terms: BooleanQuery,
    matches: Arc<MatchSets>,
}

impl Query for Within {
    fn weight(&self, scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(WithinWeight { terms: self.terms.weight(scoring)?, matches: Arc::clone(&self.matches) }))
    }
}

struct WithinWeight {
    terms: Box<dyn Weight>,
    matches: Arc<MatchSets>,
}

impl WithinWeight {
    fn matches(&self, reader: &SegmentReader) -> Option<Arc<BitSet>> {
        self.matches.get(&reader.segment_id()).cloned()
    }
}

impl Weight for WithinWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let Some(matches) = self.matches(reader) else { return Ok(Box::new(tantivy::query::EmptyScorer)) };
        let mut scorer = WithinScorer { inner: self.terms.scorer(reader, boost)?, matches };
        scorer.skip_to_match();
        Ok(Box::new(scorer))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        self.terms.explain(reader, doc)
    }

    fn for_each_pruning(
        &self,
        threshold: Score,
        reader: &SegmentReader,
        callback: &mut dyn FnMut(DocId, Score) -> Score,
    ) -> tantivy::Result<()> {
        let Some(matches) = self.matches(reader) else { return Ok(()) };
        let mut threshold = threshold;
        self.terms.for_each_pruning(threshold, reader, &mut |doc, score| {
            if matches.contains(doc) {
                threshold = callback(doc, score);
            }
            threshold
        })
    }
}

/// The terms' scorer, stopping only on matches (for callers other than
/// [`TopDocs`], which prunes through `for_each_pruning`).
struct WithinScorer {
    inner: Box<dyn Scorer>,
    matches: Arc<BitSet>,
}

impl WithinScorer {
    fn skip_to_match(&mut self) -> DocId {
        let mut doc = self.inner.doc();
        while doc != TERMINATED && !self.matches.contains(doc) {
            doc = self.inner.advance();
        }
        doc
    }
}

impl DocSet for WithinScorer {
    fn advance(&mut self) -> DocId {
        self.inner.advance();
        self.skip_to_match()
    }

    fn seek(&mut self, target: DocId) -> DocId {
        self.inner.seek(target);
        self.skip_to_match()
    }

    fn doc(&self) -> DocId {
        self.inner.doc()
    }

    fn size_hint(&self) -> u32 {
        self.inner.size_hint()
    }
}

impl Scorer for WithinScorer {
    fn score(&mut self) -> Score {
        self.inner.score()
    }
}
