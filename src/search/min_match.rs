//! "At least `min` of these clauses": a sentence of more than three concepts,
//! where one in three may be missing ([`super::natural`]).
//!
//! tantivy's minimum-should-match disjunction walks every document of every
//! clause, one by one (it cannot seek): with a common word among the clauses
//! ("agent", "technique"), that is most of the index. Here, the *lead* is
//! the `n - min + 1` cheapest clauses: a document with `min` of the `n`
//! clauses has at least one of them (missing all of them, it would have at
//! most `min - 1`). So only the lead's documents are candidates, and the
//! other clauses (the *tail*) are asked, by seeking their postings, whether
//! they have each candidate. The matches and their scores (the sum of the
//! scores of the clauses found) are those of tantivy's query.

use tantivy::query::{EmptyScorer, EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::{DocId, DocSet, Score, SeekDangerResult, SegmentReader, TERMINATED, TantivyError, Term};

/// Documents matching at least `min` of `clauses`.
#[derive(Debug)]
pub(super) struct MinMatchQuery {
    clauses: Vec<Box<dyn Query>>,
    min: usize,
}

impl MinMatchQuery {
    /// At least `min` (≥ 1) of `clauses`.
    pub(super) fn new(clauses: Vec<Box<dyn Query>>, min: usize) -> Self {
        Self { clauses, min: min.max(1) }
    }
}

impl Clone for MinMatchQuery {
    fn clone(&self) -> Self {
        Self { clauses: self.clauses.iter().map(|q| q.box_clone()).collect(), min: self.min }
    }
}

impl Query for MinMatchQuery {
    fn weight(&self, scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        let weights = self.clauses.iter().map(|q| q.weight(scoring)).collect::<tantivy::Result<_>>()?;
        Ok(Box::new(MinMatchWeight { weights, min: self.min }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        for q in &self.clauses {
            q.query_terms(visitor);
        }
    }
}

struct MinMatchWeight {
    weights: Vec<Box<dyn Weight>>,
    min: usize,
}

impl Weight for MinMatchWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let mut scorers = Vec::with_capacity(self.weights.len());
        for w in &self.weights {
            let s = w.scorer(reader, boost)?;
            if s.doc() != TERMINATED {
                scorers.push(s);
            }
        }
        if scorers.len() < self.min {
            return Ok(Box::new(EmptyScorer));
        }
        scorers.sort_by_key(|s| s.cost());
        let tail = scorers.split_off(scorers.len() - self.min + 1).into_iter().map(Clause::new).collect();
        let lead = scorers.into_iter().map(Clause::new).collect();
        let mut scorer = MinMatchScorer { lead, tail, min: self.min, doc: 0 };
        scorer.next_match();
        Ok(Box::new(scorer))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let found: Vec<Explanation> =
            self.weights.iter().filter_map(|w| w.explain(reader, doc).ok()).collect();
        if found.len() < self.min {
            return Err(TantivyError::InvalidArgument(format!(
                "document {doc} matches {} clauses, fewer than {}",
                found.len(),
                self.min
            )));
        }
        let mut explanation =
            Explanation::new("sum of the clauses found", found.iter().map(Explanation::value).sum());
        for e in found {
            explanation.add_detail(e);
        }
        Ok(explanation)
    }
}

struct MinMatchScorer {
    /// The cheapest clauses: every match has one of them.
    lead: Vec<Clause>,
    /// The other clauses, asked about each candidate.
    tail: Vec<Clause>,
    min: usize,
    doc: DocId,
}

/// One clause and where it stands. A clause is *asked* whether it has a
/// document ([`DocSet::seek_danger`]) rather than sought to it: a phrase
/// sought walks on to its next match, through positions, which is most of
/// the cost of a query whose filter leads (one collectivité's acts are
/// spread over the whole index). Asked, it answers « no, nothing before
/// `bound` » and may be left between documents, where only asking again is
/// allowed until it answers yes.
struct Clause {
    scorer: Box<dyn Scorer>,
    at: At,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum At {
    /// On this document (a valid docset).
    On(DocId),
    /// Between documents: nothing before this bound.
    Before(DocId),
}

impl Clause {
    fn new(scorer: Box<dyn Scorer>) -> Self {
        let at = At::On(scorer.doc());
        Self { scorer, at }
    }

    /// Its document, or the bound of its next one.
    fn next(&self) -> DocId {
        match self.at {
            At::On(d) | At::Before(d) => d,
        }
    }

    /// Whether it has `target`, which is at or beyond where it stands.
    fn has(&mut self, target: DocId) -> bool {
        match self.at {
            At::On(d) if d >= target => return d == target,
            At::Before(bound) if bound > target => return false,
            _ => {}
        }
        if target == TERMINATED {
            self.at = At::Before(TERMINATED);
            return false;
        }
        self.at = match self.scorer.seek_danger(target) {
            SeekDangerResult::Found => At::On(target),
            SeekDangerResult::SeekLowerBound(bound) => At::Before(bound),
        };
        self.at == At::On(target)
    }

    /// Past `doc`, on its next document (valid again).
    fn step_past(&mut self, doc: DocId) {
        if self.next() > doc {
            return;
        }
        if self.has(doc) {
            self.at = At::On(self.scorer.advance());
        }
    }

    /// Its score on `doc`, if it is on it.
    fn score_on(&mut self, doc: DocId) -> Option<Score> {
        (self.at == At::On(doc)).then(|| self.scorer.score())
    }
}

impl MinMatchScorer {
    /// From the lead's current documents (or bounds), the first document
    /// with `min` clauses.
    fn next_match(&mut self) -> DocId {
        loop {
            let candidate = self.lead.iter().map(Clause::next).min().unwrap_or(TERMINATED);
            if candidate == TERMINATED {
                self.doc = TERMINATED;
                return TERMINATED;
            }
            let mut found = 0;
            for c in &mut self.lead {
                if c.next() == candidate && c.has(candidate) {
                    found += 1;
                }
            }
            let mut left = self.tail.len();
            for t in &mut self.tail {
                if found + left < self.min {
                    break;
                }
                left -= 1;
                if t.has(candidate) {
                    found += 1;
                }
            }
            if found >= self.min {
                self.doc = candidate;
                return candidate;
            }
            for c in &mut self.lead {
                c.step_past(candidate);
            }
        }
    }
}

impl DocSet for MinMatchScorer {
    fn advance(&mut self) -> DocId {
        let doc = self.doc;
        if doc == TERMINATED {
            return TERMINATED;
        }
        for c in &mut self.lead {
            c.step_past(doc);
        }
        self.next_match()
    }

    fn seek(&mut self, target: DocId) -> DocId {
        if target <= self.doc {
            return self.doc;
        }
        // Only asked: the candidates come from the lead's bounds.
        for c in &mut self.lead {
            if c.next() < target {
                c.has(target);
            }
        }
        self.next_match()
    }

    fn seek_danger(&mut self, target: DocId) -> SeekDangerResult {
        if target == TERMINATED {
            self.doc = TERMINATED;
            return SeekDangerResult::SeekLowerBound(TERMINATED);
        }
        // Every clause is asked (the score sums those found); a match has
        // one of the lead, so the next one is no sooner than their bounds.
        let mut found = 0;
        for c in self.lead.iter_mut().chain(self.tail.iter_mut()) {
            if c.has(target) {
                found += 1;
            }
        }
        if found >= self.min {
            self.doc = target;
            return SeekDangerResult::Found;
        }
        let bound = self.lead.iter().map(|c| if c.next() == target { target + 1 } else { c.next() }).min();
        SeekDangerResult::SeekLowerBound(bound.unwrap_or(TERMINATED))
    }

    fn doc(&self) -> DocId {
        self.doc
    }

    fn size_hint(&self) -> u32 {
        self.lead.iter().map(|c| c.scorer.size_hint()).fold(0, u32::saturating_add)
    }

    fn cost(&self) -> u64 {
        self.lead.iter().map(|c| c.scorer.cost()).fold(0, u64::saturating_add)
    }
}

impl Scorer for MinMatchScorer {
    fn score(&mut self) -> Score {
        let doc = self.doc;
        // A match has asked every clause about it (a tail clause is skipped
        // only when the count could no longer reach `min`).
        self.lead.iter_mut().chain(self.tail.iter_mut()).filter_map(|c| c.score_on(doc)).sum()
    }
}

#[cfg(test)]
mod tests {
    use tantivy::collector::{Count, TopDocs};
    use tantivy::query::{BooleanQuery, Occur, TermQuery};
    use tantivy::schema::{IndexRecordOption, STRING, Schema};
    use tantivy::{Index, TantivyDocument};

    use super::*;

    /// Same matches and scores as tantivy's minimum-should-match query, over
    /// words from rare to common.
    #[test]
    fn matches_and_scores_are_those_of_the_minimum_should_match_disjunction() {
        let mut b = Schema::builder();
        let w = b.add_text_field("w", STRING);
        let f = b.add_text_field("f", STRING);
        let index = Index::create_in_ram(b.build());
        let mut writer: tantivy::IndexWriter = index.writer_with_num_threads(1, 15_000_000).unwrap();
        let words = ["a", "b", "c", "d", "e"];
        for n in 0..3_000u32 {
            let mut doc = TantivyDocument::default();
            if n % 37 == 0 {
                doc.add_text(f, "oui");
            }
            // "a" in one document in ten, "e" in nine in ten.
            for (i, (word, prime)) in words.iter().zip([3, 7, 11, 13, 17]).enumerate() {
                if (n * prime + i as u32) % 10 < 2 * i as u32 + 1 {
                    doc.add_text(w, word);
                }
            }
            writer.add_document(doc).unwrap();
        }
        writer.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        let clauses = || -> Vec<Box<dyn Query>> {
            words
                .iter()
                .map(|t| {
                    Box::new(TermQuery::new(Term::from_field_text(w, t), IndexRecordOption::WithFreqs))
                        as Box<dyn Query>
                })
                .collect()
        };
        // Alone, then behind a selective filter that leads the intersection
        // (the clauses are then only asked about its documents).
        let filter = || -> Box<dyn Query> {
            Box::new(TermQuery::new(Term::from_field_text(f, "oui"), IndexRecordOption::Basic))
        };
        let cases = (1..=5).flat_map(|min| [(min, false), (min, true)]);
        for (min, filtered) in cases {
            let theirs: Box<dyn Query> = Box::new(BooleanQuery::with_minimum_required_clauses(
                clauses().into_iter().map(|q| (Occur::Should, q)).collect(),
                min,
            ));
            let ours: Box<dyn Query> = Box::new(MinMatchQuery::new(clauses(), min));
            let (ours, theirs) = if filtered {
                (
                    Box::new(BooleanQuery::intersection(vec![filter(), ours])) as Box<dyn Query>,
                    Box::new(BooleanQuery::intersection(vec![filter(), theirs])) as Box<dyn Query>,
                )
            } else {
                (ours, theirs)
            };
            let count = searcher.search(&ours, &Count).unwrap();
            assert_eq!(count, searcher.search(&theirs, &Count).unwrap(), "min {min}");
            assert!(count > 0 || (filtered && min > 3), "min {min}, filtered {filtered}");
            let top = TopDocs::with_limit(3_000).order_by_score();
            let mut a = searcher.search(&ours, &top).unwrap();
            let mut b = searcher.search(&theirs, &top).unwrap();
            a.sort_by_key(|(_, d)| *d);
            b.sort_by_key(|(_, d)| *d);
            assert_eq!(a.len(), b.len(), "min {min}");
            for ((sa, da), (sb, db)) in a.iter().zip(&b) {
                assert!(da == db && (sa - sb).abs() < 1e-4, "min {min}: {da:?} {sa} ≠ {db:?} {sb}");
            }
        }
    }
}
