//! Facet counts: how many matching acts per collectivité, kind, template,
//! status, matière and year, read from fast fields by one collector that runs
//! with the hit collector on the same (scoped) query.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::{Column, StrColumn};
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

pub(super) struct SegmentFacets {
    columns: Vec<(&'static str, Option<StrColumn>, Vec<u64>)>,
    year: Column<u64>,
    years: HashMap<u64, u64>,
}

impl Collector for FacetCollector {
    type Fruit = Facets;
    type Child = SegmentFacets;

    fn for_segment(&self, _: SegmentOrdinal, reader: &SegmentReader) -> tantivy::Result<SegmentFacets> {
        let fast = reader.fast_fields();
        let mut columns = Vec::with_capacity(STRING_FACETS.len());
        for field in STRING_FACETS {
            let column = fast.str(field)?;
            let counts = vec![0; column.as_ref().map_or(0, |c| c.num_terms())];
            columns.push((facet_name(field), column, counts));
        }
        Ok(SegmentFacets { columns, year: fast.u64("year")?, years: HashMap::new() })
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

impl SegmentCollector for SegmentFacets {
    type Fruit = Counts;

    fn collect(&mut self, doc: DocId, _: Score) {
        for (_, column, counts) in &mut self.columns {
            if let Some(column) = column {
                for ord in column.term_ords(doc) {
                    counts[ord as usize] += 1;
                }
            }
        }
        if let Some(y) = self.year.first(doc) {
            *self.years.entry(y).or_default() += 1;
        }
    }

    fn harvest(self) -> Counts {
        let mut out = Counts::new();
        for (name, column, counts) in self.columns {
            let values = out.entry(name).or_default();
            let Some(column) = column else { continue };
            let mut text = String::new();
            for (ord, &n) in counts.iter().enumerate() {
                if n > 0 && column.ord_to_str(ord as u64, &mut text).unwrap_or(false) {
                    values.insert(text.clone(), n);
                }
            }
        }
        out.insert("year", self.years.into_iter().map(|(y, n)| (y.to_string(), n)).collect());
        out
    }
}
