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
use tantivy::{DocId, DocSet, Score, SegmentReader, TERMINATED, TantivyError, Term};

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
        let tail = scorers.split_off(scorers.len() - self.min + 1);
        let mut scorer = MinMatchScorer { lead: scorers, tail, min: self.min, doc: 0 };
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
    lead: Vec<Box<dyn Scorer>>,
    /// The other clauses, sought on each candidate.
    tail: Vec<Box<dyn Scorer>>,
    min: usize,
    doc: DocId,
}

impl MinMatchScorer {
    /// From the lead's current documents, the first one with `min` clauses.
    fn next_match(&mut self) -> DocId {
        loop {
            let candidate = self.lead.iter().map(|s| s.doc()).min().unwrap_or(TERMINATED);
            if candidate == TERMINATED {
                self.doc = TERMINATED;
                return TERMINATED;
            }
            let mut found = self.lead.iter().filter(|s| s.doc() == candidate).count();
            let mut left = self.tail.len();
            for t in &mut self.tail {
                if found + left < self.min {
                    break;
                }
                left -= 1;
                if t.doc() < candidate {
                    t.seek(candidate);
                }
                if t.doc() == candidate {
                    found += 1;
                }
            }
            if found >= self.min {
                self.doc = candidate;
                return candidate;
            }
            for s in &mut self.lead {
                if s.doc() == candidate {
                    s.advance();
                }
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
        for s in &mut self.lead {
            if s.doc() == doc {
                s.advance();
            }
        }
        self.next_match()
    }

    fn seek(&mut self, target: DocId) -> DocId {
        if target <= self.doc {
            return self.doc;
        }
        for s in &mut self.lead {
            if s.doc() < target {
                s.seek(target);
            }
        }
        self.next_match()
    }

    fn doc(&self) -> DocId {
        self.doc
    }

    fn size_hint(&self) -> u32 {
        self.lead.iter().map(|s| s.size_hint()).fold(0, u32::saturating_add)
    }

    fn cost(&self) -> u64 {
        self.lead.iter().map(|s| s.cost()).fold(0, u64::saturating_add)
    }
}

impl Scorer for MinMatchScorer {
    fn score(&mut self) -> Score {
        let doc = self.doc;
        // A match has sought every tail clause up to it: none was skipped, the
        // count could still reach `min`.
        self.lead.iter_mut().chain(self.tail.iter_mut()).filter(|s| s.doc() == doc).map(|s| s.score()).sum()
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
        let index = Index::create_in_ram(b.build());
        let mut writer: tantivy::IndexWriter = index.writer_with_num_threads(1, 15_000_000).unwrap();
        let words = ["a", "b", "c", "d", "e"];
        for n in 0..3_000u32 {
            let mut doc = TantivyDocument::default();
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
        for min in 1..=5 {
            let ours = MinMatchQuery::new(clauses(), min);
            let theirs = BooleanQuery::with_minimum_required_clauses(
                clauses().into_iter().map(|q| (Occur::Should, q)).collect(),
                min,
            );
            let count = searcher.search(&ours, &Count).unwrap();
            assert_eq!(count, searcher.search(&theirs, &Count).unwrap(), "min {min}");
            assert!(count > 0, "min {min}");
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
