//! Full-text search over acts, with tantivy.
//!
//! The index is *derived data*: it is fed from the structured data of each act
//! (never from PDF text), lives on local disk under the data directory, and can
//! be deleted and rebuilt from the store at any time. An [`Entry`] is what one
//! act contributes; re-indexing an act replaces its previous entry (a draft
//! becomes sealed).
//!
//! Text fields go through the French analyser of [`analyzer`], so "arrete
//! disponibilite" finds "arrêté … disponibilité". Act numbers and SIREN are
//! indexed verbatim and matched exactly.

mod analyzer;

use std::path::Path;
use std::sync::Mutex;

use serde::Serialize;
use tantivy::collector::{Count, TopDocs};
use tantivy::directory::MmapDirectory;
use tantivy::query::QueryParser;
use tantivy::schema::{
    Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions, Value,
};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term, doc};

/// Memory budget of the index writer.
const WRITER_HEAP_BYTES: usize = 50_000_000;
/// Most hits one query returns.
pub const MAX_LIMIT: usize = 100;

/// What one act contributes to the index.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Act id.
    pub id: String,
    /// SIREN of the collectivité.
    pub siren: String,
    /// Name of the collectivité.
    pub collectivite: String,
    /// Template id.
    pub template: String,
    /// "draft" or "sealed".
    pub status: String,
    /// Act number, once sealed.
    pub number: Option<String>,
    /// Title of the act.
    pub title: String,
    /// Every text value of the act's data, joined.
    pub body: String,
    /// Year of the act (creation for drafts, sealing for sealed acts).
    pub year: u64,
}

/// One search result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hit {
    /// Act id.
    pub id: String,
    /// Title of the act.
    pub title: String,
    /// Act number, if sealed.
    pub number: Option<String>,
    /// SIREN of the collectivité.
    pub siren: String,
    /// "draft" or "sealed".
    pub status: String,
    /// Relevance score.
    pub score: f32,
}

/// Results of one query.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Results {
    /// Number of matching acts.
    pub total: usize,
    /// The best hits, most relevant first.
    pub hits: Vec<Hit>,
}

/// A search operation failed.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// The query text cannot be parsed.
    #[error("requête invalide : {0}")]
    InvalidQuery(String),
    /// The index is broken or its directory unusable.
    #[error("search index: {0}")]
    Index(#[from] tantivy::TantivyError),
    /// The index directory cannot be created.
    #[error("search index directory: {0}")]
    Directory(String),
}

#[derive(Debug, Clone, Copy)]
struct Fields {
    id: Field,
    siren: Field,
    collectivite: Field,
    template: Field,
    status: Field,
    number: Field,
    title: Field,
    body: Field,
    year: Field,
}

/// The search index; share it behind an `Arc`.
pub struct SearchIndex {
    index: Index,
    reader: IndexReader,
    // Opened on first write, so read-only users (`acta search` next to a running
    // server) never take the writer lock.
    writer: Mutex<Option<IndexWriter>>,
    fields: Fields,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex").finish_non_exhaustive()
    }
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let french = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(analyzer::FRENCH)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    let fields = Fields {
        id: b.add_text_field("id", STRING | STORED),
        siren: b.add_text_field("siren", STRING | STORED),
        collectivite: b.add_text_field("collectivite", french.clone() | STORED),
        template: b.add_text_field("template", STRING | STORED),
        status: b.add_text_field("status", STRING | STORED),
        number: b.add_text_field("number", STRING | STORED),
        title: b.add_text_field("title", french.clone() | STORED),
        body: b.add_text_field("body", french),
        year: b.add_u64_field("year", INDEXED | STORED),
    };
    (b.build(), fields)
}

impl SearchIndex {
    /// Open the index in `dir`, creating it if needed.
    pub fn open(dir: &Path) -> Result<Self, SearchError> {
        std::fs::create_dir_all(dir)
            .map_err(|e| SearchError::Directory(format!("{}: {e}", dir.display())))?;
        let (schema, fields) = schema();
        let mmap = MmapDirectory::open(dir)
            .map_err(|e| SearchError::Directory(format!("{}: {e}", dir.display())))?;
        let index = Index::open_or_create(mmap, schema)?;
        analyzer::register(&index);
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        Ok(Self { index, reader, writer: Mutex::new(None), fields })
    }

    /// Add or replace the entries of some acts, then make them visible to
    /// searches. Blocking: call it off the async runtime.
    pub fn upsert(&self, entries: &[Entry]) -> Result<(), SearchError> {
        let mut guard = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        if guard.is_none() {
            *guard = Some(self.index.writer(WRITER_HEAP_BYTES)?);
        }
        let writer = guard.as_mut().expect("writer opened above");
        let f = self.fields;
        for e in entries {
            writer.delete_term(Term::from_field_text(f.id, &e.id));
            let mut d = doc!(
                f.id => e.id.clone(),
                f.siren => e.siren.clone(),
                f.collectivite => e.collectivite.clone(),
                f.template => e.template.clone(),
                f.status => e.status.clone(),
                f.title => e.title.clone(),
                f.body => e.body.clone(),
                f.year => e.year,
            );
            if let Some(n) = &e.number {
                d.add_text(f.number, n);
            }
            writer.add_document(d)?;
        }
        writer.commit()?;
        self.reader.reload()?;
        Ok(())
    }

    /// Acts matching `query` (tantivy query syntax: words, "phrases", AND/OR,
    /// -exclusion), best first. An empty query matches every act.
    pub fn search(&self, query: &str, limit: usize) -> Result<Results, SearchError> {
        self.reader.reload()?;
        let searcher = self.reader.searcher();
        let f = self.fields;
        let mut parser =
            QueryParser::for_index(&self.index, vec![f.title, f.body, f.collectivite, f.number, f.siren]);
        parser.set_conjunction_by_default();
        parser.set_field_boost(f.title, 2.0);
        let text = if query.trim().is_empty() { "*" } else { query };
        let q = parser.parse_query(text).map_err(|e| SearchError::InvalidQuery(e.to_string()))?;
        let limit = limit.clamp(1, MAX_LIMIT);
        let (top, total) = searcher.search(&q, &(TopDocs::with_limit(limit).order_by_score(), Count))?;
        let mut hits = Vec::with_capacity(top.len());
        for (score, addr) in top {
            let d: TantivyDocument = searcher.doc(addr)?;
            let text = |field| d.get_first(field).and_then(|v| v.as_str()).map(str::to_owned);
            hits.push(Hit {
                id: text(f.id).unwrap_or_default(),
                title: text(f.title).unwrap_or_default(),
                number: text(f.number),
                siren: text(f.siren).unwrap_or_default(),
                status: text(f.status).unwrap_or_default(),
                score,
            });
        }
        Ok(Results { total, hits })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: &str, title: &str, number: Option<&str>) -> Entry {
        Entry {
            id: id.into(),
            siren: "216295105".into(),
            collectivite: "Commune d'Aubrecourt-en-Artois".into(),
            template: "t".into(),
            status: "sealed".into(),
            number: number.map(Into::into),
            title: title.into(),
            body: String::new(),
            year: 2026,
        }
    }

    #[test]
    fn accents_and_plurals_do_not_matter_and_reindexing_replaces() {
        let dir = tempfile::tempdir().unwrap();
        let idx = SearchIndex::open(dir.path()).unwrap();
        idx.upsert(&[entry("a", "Arrêté portant mise en disponibilité", None)]).unwrap();
        idx.upsert(&[entry("b", "Délibération budgétaire", Some("2026_DEL_00001"))]).unwrap();
        assert_eq!(idx.search("arrete disponibilites", 10).unwrap().hits[0].id, "a");
        assert_eq!(idx.search("2026_DEL_00001", 10).unwrap().hits[0].id, "b");
        idx.upsert(&[entry("a", "Arrêté portant mise en disponibilité", Some("2026_ARR_00001"))]).unwrap();
        assert_eq!(idx.search("", 10).unwrap().total, 2);
    }

    #[test]
    fn a_malformed_query_is_an_invalid_query_error() {
        let dir = tempfile::tempdir().unwrap();
        let idx = SearchIndex::open(dir.path()).unwrap();
        assert!(matches!(idx.search("title:(", 10), Err(SearchError::InvalidQuery(_))));
    }
}
