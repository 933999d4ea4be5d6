//! Facet counts: how many matching acts per collectivité, kind, template,
//! status, matière and year, read from fast fields by one collector that runs
//! with the hit collector on the same (scoped) query.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::{Cardinality, Column, StrColumn};
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

use super::schema::STRING_FACETS;

/// One value of a facet and the number of matching acts that have it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FacetValue {
    /// The value (a SIREN, a kind, a year…).
    pub value: String,
    /// Matching acts with this value.
    pub count: u64,
}

/// Facet counts by facet name (`collectivite`, `kind`, `template`, `status`,
/// `matiere`, `year`), most frequent value first.
pub type Facets = BTreeMap<&'static str, Vec<FacetValue>>;

/// Name of a facet in results, from its field.
fn facet_name(field: &str) -> &'static str {
    match field {
        "siren" => "collectivite",
        "kind" => "kind",
        "template" => "template",
        "status" => "status",
        "matiere" => "matiere",
        _ => "year",
    }
}

/// Counts every facet over the matching documents.
pub(super) struct FacetCollector;

type Counts = BTreeMap<&'static str, HashMap<String, u64>>;

/// Widest span of years counted in an array (beyond, in a map).
const YEAR_SPAN: u64 = 1_000;

/// One string facet of a segment: its term ordinals, and a count per ordinal.
pub(super) struct StringFacet {
    name: &'static str,
    column: Option<StrColumn>,
    /// The ordinal column, when each document has at most one value (the
    /// facets acta indexes): read with one lookup, not an iterator.
    single: Option<Column<u64>>,
    counts: Vec<u64>,
}

pub(super) struct SegmentFacets {
    strings: Vec<StringFacet>,
    year: Column<u64>,
    first_year: u64,
    /// Count per year from `first_year` (a counter per document is an
    /// increment, not a hash).
    years: Vec<u64>,
    other_years: HashMap<u64, u64>,
    /// Scratch space of `collect_block`.
    block: Vec<Option<u64>>,
}

impl Collector for FacetCollector {
    type Fruit = Facets;
    type Child = SegmentFacets;

    fn for_segment(&self, _: SegmentOrdinal, reader: &SegmentReader) -> tantivy::Result<SegmentFacets> {
        let fast = reader.fast_fields();
        let mut strings = Vec::with_capacity(STRING_FACETS.len());
        for field in STRING_FACETS {
            let column = fast.str(field)?;
            let counts = vec![0; column.as_ref().map_or(0, |c| c.num_terms())];
            let single = column
                .as_ref()
                .map(|c| c.ords())
                .filter(|o| o.get_cardinality() != Cardinality::Multivalued)
                .cloned();
            strings.push(StringFacet { name: facet_name(field), column, single, counts });
        }
        let year = fast.u64("year")?;
        let first_year = year.min_value();
        let span = year.max_value().saturating_sub(first_year).saturating_add(1).min(YEAR_SPAN);
        Ok(SegmentFacets {
            strings,
            year,
            first_year,
            years: vec![0; usize::try_from(span).unwrap_or(0)],
            other_years: HashMap::new(),
            block: Vec::new(),
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<Counts>) -> tantivy::Result<Facets> {
        let mut total: Counts = BTreeMap::new();
        for fruit in fruits {
            for (name, values) in fruit {
                let into = total.entry(name).or_default();
                for (v, n) in values {
                    *into.entry(v).or_default() += n;
                }
            }
        }
        let mut facets = Facets::new();
        for name in STRING_FACETS.iter().map(|f| facet_name(f)).chain(["year"]) {
            let mut values: Vec<FacetValue> = total
                .remove(name)
                .unwrap_or_default()
                .into_iter()
                .map(|(value, count)| FacetValue { value, count })
                .collect();
            values.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
            facets.insert(name, values);
        }
        Ok(facets)
    }
}

impl SegmentFacets {
    fn count_year(&mut self, y: u64) {
        match usize::try_from(y.wrapping_sub(self.first_year)).ok().and_then(|i| self.years.get_mut(i)) {
            Some(n) => *n += 1,
            None => *self.other_years.entry(y).or_default() += 1,
        }
    }
}

impl SegmentCollector for SegmentFacets {
    type Fruit = Counts;

    fn collect(&mut self, doc: DocId, _: Score) {
        for facet in &mut self.strings {
            match (&facet.single, &facet.column) {
                (Some(ords), _) => {
                    if let Some(ord) = ords.first(doc) {
                        facet.counts[ord as usize] += 1;
                    }
                }
                (None, Some(column)) => {
                    for ord in column.term_ords(doc) {
                        facet.counts[ord as usize] += 1;
                    }
                }
                (None, None) => {}
            }
        }
        if let Some(y) = self.year.first(doc) {
            self.count_year(y);
        }
    }

    fn collect_block(&mut self, docs: &[DocId]) {
        let mut block = std::mem::take(&mut self.block);
        block.resize(docs.len(), None);
        for facet in &mut self.strings {
            match (&facet.single, &facet.column) {
                (Some(ords), _) => {
                    ords.first_vals(docs, &mut block);
                    for ord in block.iter().flatten() {
                        facet.counts[*ord as usize] += 1;
                    }
                }
                (None, Some(column)) => {
                    for &doc in docs {
                        for ord in column.term_ords(doc) {
                            facet.counts[ord as usize] += 1;
                        }
                    }
                }
                (None, None) => {}
            }
        }
        self.year.first_vals(docs, &mut block);
        for y in block.iter().flatten() {
            self.count_year(*y);
        }
        self.block = block;
    }

    fn harvest(self) -> Counts {
        let mut out = Counts::new();
        for facet in self.strings {
            let values = out.entry(facet.name).or_default();
            let Some(column) = facet.column else { continue };
            // One walk of the dictionary for all the values found: looking
            // each up alone opens (and decompresses) its block every time,
            // which took half the time of a query matching 20 000 acts.
            let found: Vec<(u64, u64)> = facet
                .counts
                .iter()
                .enumerate()
                .filter(|(_, n)| **n > 0)
                .map(|(o, &n)| (o as u64, n))
                .collect();
            let ords: Vec<u64> = found.iter().map(|&(o, _)| o).collect();
            let mut counts = found.iter().map(|&(_, n)| n);
            let walked = column.dictionary().sorted_ords_to_term_cb(&ords, |bytes| {
                if let Some(n) = counts.next() {
                    values.insert(String::from_utf8_lossy(bytes).into_owned(), n);
                }
            });
            if let Err(e) = walked {
                tracing::warn!(facet = facet.name, error = %e, "facet values unreadable");
            }
        }
        let mut years = self.other_years;
        for (i, &n) in self.years.iter().enumerate() {
            if n > 0 {
                *years.entry(self.first_year + i as u64).or_default() += n;
            }
        }
        out.insert("year", years.into_iter().map(|(y, n)| (y.to_string(), n)).collect());
        out
    }
}
