//! Full-text search over acts, with tantivy.
//!
//! The index is *derived data*: it is fed from the structured data of each act
//! (never from PDF text), lives on local disk under the data directory, and can
//! be deleted and rebuilt from the store at any time (`acta reindex`). An
//! [`Entry`] is what one act contributes; re-indexing an act replaces its
//! previous entry (a draft becomes sealed).
//!
//! - [`schema`]: the fields, public and restricted;
//! - [`analyzer`]: French analysis ("arrete disponibilite" finds "arrêté …
//!   disponibilité", "avancement d'échelon" the same as "avancement échelon");
//!   act numbers and SIREN are matched exactly;
//! - [`natural`]: queries as people type them (never a syntax error), with
//!   phrase and title matches first;
//! - [`typed`]: dates and act numbers as people type them ("15/03/2026",
//!   "arrêté 2026-045");
//! - [`mask`]: the agent's name masked in free text with the index's own
//!   folding;
//! - [`synonyms`]: abbreviations expanded at query time ("CST" ↔ "comité
//!   social territorial"), from `index/synonymes.txt`;
//! - [`request`]: a [`SearchRequest`] (text, filters, sort, page);
//! - [`scope`]: what the caller may see, ANDed into every query and facet;
//! - [`facets`]: counts per collectivité, kind, template, status, matière, year.
//!
//! Writes are *group-committed*: concurrent [`SearchIndex::upsert`] calls share
//! one commit, and each returns once its entries are visible. The service
//! rather [stages](SearchIndex::stage) its writes and lets searches commit:
//! a search first makes visible whatever was staged before it began
//! (read-your-writes, see [`SearchIndex::search`]), so an act is found by any
//! search that follows its creation or sealing, without the writer waiting
//! for a commit; a background task commits what no search did.

mod analyzer;
pub mod bench;
mod directory;
mod facets;
mod mask;
mod min_match;
mod natural;
mod query;
mod rank;
mod request;
mod schema;
mod scope;
mod synonyms;
mod typed;

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError, RwLock, RwLockReadGuard};

use serde::Serialize;
use tantivy::collector::{Count, TopDocs};
use tantivy::query::Query;
use tantivy::schema::Value;
use tantivy::snippet::SnippetGenerator;
use tantivy::{
    DateTime, DocAddress, Index, IndexReader, IndexWriter, Order, ReloadPolicy, Searcher, TantivyDocument,
    Term,
};

pub use facets::{FacetValue, Facets};
pub use mask::mask_person;
pub use request::{DEFAULT_LIMIT, DateField, Filters, MAX_LIMIT, MAX_WINDOW, SearchRequest, Sort};
pub use schema::{Dates, Entry, Person};
pub use scope::{Collectivites, Scope};
pub use synonyms::Synonyms;

use schema::Fields;

/// Longest highlighted snippet, in characters.
const SNIPPET_CHARS: usize = 200;

/// How the index writer works.
#[derive(Debug, Clone, Copy)]
pub struct WriterOptions {
    /// Indexing threads.
    pub threads: usize,
    /// Memory budget of all threads together, in bytes.
    pub heap_bytes: usize,
    /// Merge segments in the background while writing (off for a bulk load
    /// that merges once at the end).
    pub merge: bool,
}

impl Default for WriterOptions {
    /// What the service needs: acts arrive one by one.
    fn default() -> Self {
        Self { threads: 1, heap_bytes: 50_000_000, merge: true }
    }
}

/// The agent of an individual act, shown only to a scope with personal data.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Agent {
    /// "Mme Camille Durand".
    pub name: String,
    /// Matricule, if known.
    pub matricule: Option<String>,
}

/// One search result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hit {
    /// Act id.
    pub id: String,
    /// Title of the act (naming the agent only for a scope with personal data).
    pub title: String,
    /// Act number, if sealed.
    pub number: Option<String>,
    /// SIREN of the collectivité.
    pub siren: String,
    /// Name of the collectivité.
    pub collectivite: String,
    /// Template id.
    pub template: String,
    /// Kind of act.
    pub kind: String,
    /// @ctes matière code.
    pub matiere: String,
    /// "draft" or "sealed".
    pub status: String,
    /// Year of the act.
    pub year: u64,
    /// The act's date (YYYY-MM-DD).
    pub date: String,
    /// Relevance score (0 when sorted by date).
    pub score: f32,
    /// Passage of the content around the words found, HTML-escaped, words
    /// found in `<b>…</b>`.
    pub snippet: Option<String>,
    /// The agent, for individual acts and a scope with personal data.
    pub agent: Option<Agent>,
}

/// Results of one query.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Results {
    /// Number of matching acts.
    pub total: usize,
    /// Hits skipped.
    pub offset: usize,
    /// This page of hits.
    pub hits: Vec<Hit>,
    /// Counts of the matching acts by facet.
    pub facets: Facets,
}

/// A search operation failed.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// The request cannot be understood (French message for the caller).
    #[error("requête invalide : {0}")]
    InvalidQuery(String),
    /// The index is broken or its directory unusable.
    #[error("search index: {0}")]
    Index(#[from] tantivy::TantivyError),
    /// The index directory cannot be created.
    #[error("search index directory: {0}")]
    Directory(String),
    /// The synonym list is unreadable or invalid.
    #[error("synonym list {0}")]
    Synonyms(String),
}

/// The search index; share it behind an `Arc`.
pub struct SearchIndex {
    index: Index,
    reader: IndexReader,
    fields: Fields,
    synonyms: Synonyms,
    options: WriterOptions,
    // Opened on first write, so read-only users (`acta search` next to a running
    // server) never take the writer lock.
    writer: RwLock<Option<IndexWriter>>,
    /// Batches staged so far.
    staged: AtomicU64,
    /// Batches known committed.
    committed: Mutex<u64>,
    /// Batches visible to searches (committed and the reader reloaded): the
    /// lock-free copy of `committed` that searches check.
    visible: AtomicU64,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex").field("synonyms", &self.synonyms.len()).finish_non_exhaustive()
    }
}

impl SearchIndex {
    /// Open the index in `dir` for the service, creating it if needed.
    pub fn open(dir: &Path, synonyms: Synonyms) -> Result<Self, SearchError> {
        Self::open_with(dir, synonyms, WriterOptions::default())
    }

    /// Open the index in `dir`, creating it if needed. An index written with
    /// another schema (an older acta), or unreadable (its last writes lost to
    /// a power cut, see [`directory`]), is derived data: it is emptied, and
    /// catching up from the store fills it again.
    pub fn open_with(dir: &Path, synonyms: Synonyms, options: WriterOptions) -> Result<Self, SearchError> {
        let dir_err = |e: &dyn std::fmt::Display| SearchError::Directory(format!("{}: {e}", dir.display()));
        std::fs::create_dir_all(dir).map_err(|e| dir_err(&e))?;
        let (schema, fields) = schema::build();
        let (index, reader) = match open_index(dir, &schema) {
            Ok(opened) => opened,
            Err(why) if rebuildable(&why) && !written_elsewhere(dir) => {
                tracing::warn!(dir = %dir.display(), %why, "search index unusable (other schema, or damaged): rebuilding it");
                std::fs::remove_dir_all(dir).map_err(|e| dir_err(&e))?;
                std::fs::create_dir_all(dir).map_err(|e| dir_err(&e))?;
                open_index(dir, &schema)?
            }
            Err(e) => return Err(e.into()),
        };
        Ok(Self {
            index,
            reader,
            fields,
            synonyms,
            options,
            writer: RwLock::new(None),
            staged: AtomicU64::new(0),
            committed: Mutex::new(0),
            visible: AtomicU64::new(0),
        })
    }

    /// Add or replace the entries of some acts, then make them visible to
    /// searches (sharing the commit with concurrent callers). Blocking: call
    /// it off the async runtime.
    pub fn upsert(&self, entries: &[Entry]) -> Result<(), SearchError> {
        let ticket = self.stage(entries)?;
        self.commit_up_to(ticket)
    }

    /// Add or replace entries without committing; [`Self::commit`] makes them
    /// visible. Returns the batch's ticket.
    pub fn stage(&self, entries: &[Entry]) -> Result<u64, SearchError> {
        self.stage_with(entries, true)
    }

    /// Add entries known to be absent from the index (a bulk load into an
    /// empty or [cleared](Self::clear) index) without committing. Skipping
    /// the delete of a previous version saves a queued delete per act: a
    /// million of them weigh about a gigabyte until the commit.
    pub fn stage_new(&self, entries: &[Entry]) -> Result<u64, SearchError> {
        self.stage_with(entries, false)
    }

    fn stage_with(&self, entries: &[Entry], replace: bool) -> Result<u64, SearchError> {
        let guard = self.writer()?;
        let writer = guard.as_ref().expect("writer() opens it");
        for e in entries {
            if replace {
                writer.delete_term(Term::from_field_text(self.fields.id, &e.id));
            }
            writer.add_document(self.fields.document(e))?;
        }
        // Counted while the writer is shared, so a commit (which takes it
        // exclusively) covers every ticket it reads.
        Ok(self.staged.fetch_add(1, Ordering::SeqCst) + 1)
    }

    /// Commit everything staged and make it visible.
    pub fn commit(&self) -> Result<(), SearchError> {
        self.commit_up_to(u64::MAX)
    }

    /// Whether entries were staged that searches do not see yet.
    pub fn has_staged(&self) -> bool {
        self.visible.load(Ordering::SeqCst) < self.staged.load(Ordering::SeqCst)
    }

    /// Commit what was staged before this call, if a search does not see it
    /// yet: what a search does first. A failure is logged (the search sees
    /// what was committed before); the next commit retries.
    fn publish_staged(&self) {
        let ticket = self.staged.load(Ordering::SeqCst);
        if self.visible.load(Ordering::SeqCst) >= ticket {
            return;
        }
        if let Err(e) = self.commit_up_to(ticket) {
            tracing::error!(error = %e, "committing the staged index entries failed");
        }
    }

    fn commit_up_to(&self, ticket: u64) -> Result<(), SearchError> {
        let mut committed = self.committed.lock().unwrap_or_else(PoisonError::into_inner);
        if *committed >= ticket {
            return Ok(());
        }
        let mut guard = self.writer.write().unwrap_or_else(PoisonError::into_inner);
        let upto = self.staged.load(Ordering::SeqCst);
        if let Some(w) = guard.as_mut() {
            w.commit()?;
        }
        drop(guard);
        *committed = upto;
        self.reader.reload()?;
        self.visible.fetch_max(upto, Ordering::SeqCst);
        Ok(())
    }

    /// Remove the entry of act `id` and make that visible. Blocking: call
    /// it off the async runtime.
    pub fn remove(&self, id: &str) -> Result<(), SearchError> {
        self.remove_all(&[id])
    }

    /// Remove the entries of these acts in one commit, and make that
    /// visible. Blocking: call it off the async runtime.
    pub fn remove_all(&self, ids: &[&str]) -> Result<(), SearchError> {
        let ticket = {
            let guard = self.writer()?;
            let writer = guard.as_ref().expect("writer() opens it");
            for id in ids {
                writer.delete_term(Term::from_field_text(self.fields.id, id));
            }
            self.staged.fetch_add(1, Ordering::SeqCst) + 1
        };
        self.commit_up_to(ticket)
    }

    /// Remove every entry (visible at the next commit): the start of a rebuild.
    pub fn clear(&self) -> Result<(), SearchError> {
        let guard = self.writer()?;
        guard.as_ref().expect("writer() opens it").delete_all_documents()?;
        Ok(())
    }

    fn writer(&self) -> Result<RwLockReadGuard<'_, Option<IndexWriter>>, SearchError> {
        {
            let guard = self.writer.read().unwrap_or_else(PoisonError::into_inner);
            if guard.is_some() {
                return Ok(guard);
            }
        }
        {
            let mut guard = self.writer.write().unwrap_or_else(PoisonError::into_inner);
            if guard.is_none() {
                let w: IndexWriter =
                    self.index.writer_with_num_threads(self.options.threads, self.options.heap_bytes)?;
                if !self.options.merge {
                    w.set_merge_policy(Box::new(tantivy::indexer::NoMergePolicy));
                }
                *guard = Some(w);
            }
        }
        Ok(self.writer.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// Every act in the index: id → whether it is indexed as sealed.
    pub fn indexed(&self) -> Result<HashMap<String, bool>, SearchError> {
        self.publish_staged();
        let searcher = self.reader.searcher();
        let mut out = HashMap::new();
        for segment in searcher.segment_readers() {
            let fast = segment.fast_fields();
            let (Some(ids), Some(status)) = (fast.str("id")?, fast.str("status")?) else { continue };
            let (mut id, mut st) = (String::new(), String::new());
            for doc in segment.doc_ids_alive() {
                let (Some(i), Some(s)) = (ids.term_ords(doc).next(), status.term_ords(doc).next()) else {
                    continue;
                };
                if ids.ord_to_str(i, &mut id).map_err(tantivy::TantivyError::from)?
                    && status.ord_to_str(s, &mut st).map_err(tantivy::TantivyError::from)?
                {
                    out.insert(id.clone(), st == "sealed");
                }
            }
        }
        Ok(out)
    }

    /// Number of acts in the index.
    pub fn len(&self) -> u64 {
        self.publish_staged();
        self.reader.searcher().num_docs()
    }

    /// Whether the index holds no act.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Acts matching `req` within `scope`: the total, one page of hits and the
    /// facet counts, all computed from the same scoped query.
    pub fn search(&self, req: &SearchRequest, scope: &Scope) -> Result<Results, SearchError> {
        req.check()?;
        self.publish_staged();
        let searcher = self.reader.searcher();
        // Filters or a scope that leave few acts (a collectivité): they lead
        // the query, its words are sought on their acts only.
        let selective = query::at_most(&searcher, &self.fields, req, scope) <= rank::PRUNE_FROM as u64;
        let seek = if selective { natural::Seek::Lead } else { natural::Seek::Walk };
        let (query, ranking) =
            query::build(&searcher, &self.index, &self.fields, &self.synonyms, req, scope, seek)?;
        let top = TopDocs::with_limit(req.limit).and_offset(req.offset);
        // Without words, relevance means nothing: newest first.
        let no_text = matches!(req.text.trim(), "" | "*");
        let sort = if no_text && req.sort == Sort::Relevance { Sort::DateDesc } else { req.sort };
        let (page, (total, facets)): (Vec<(f32, DocAddress)>, _) = match (sort, ranking) {
            // Counted without scores, then ranked by pruning (see `rank`).
            // Filters or a scope that leave few acts (a collectivité): one
            // scored pass over them costs less than counting, then ranking.
            (Sort::Relevance, Some(_)) if selective => {
                searcher.search(&query, &(top.order_by_score(), (Count, facets::FacetCollector)))?
            }
            (Sort::Relevance, Some(ranking)) => {
                let (counts, matches) =
                    searcher.search(&query, &((Count, facets::FacetCollector), rank::Matches))?;
                let best = if counts.0 <= rank::PRUNE_FROM {
                    // Few matches (filters, rare words): scoring them is cheaper
                    // than walking the terms' postings.
                    searcher.search(&query, &top.order_by_score())?
                } else {
                    let k = req.offset.saturating_add(req.limit).max(rank::CANDIDATES);
                    let best = rank::top(&searcher, &ranking, matches, k)?;
                    best.into_iter().skip(req.offset).take(req.limit).collect()
                };
                (best, counts)
            }
            (Sort::Relevance, _) => {
                searcher.search(&query, &(top.order_by_score(), (Count, facets::FacetCollector)))?
            }
            (Sort::DateDesc | Sort::DateAsc, _) => {
                let order = if sort == Sort::DateDesc { Order::Desc } else { Order::Asc };
                let (docs, rest) = searcher.search(
                    &query,
                    &(top.order_by_fast_field::<DateTime>("date", order), (Count, facets::FacetCollector)),
                )?;
                (docs.into_iter().map(|(_, a)| (0.0, a)).collect(), rest)
            }
        };
        let hits = self.hits(&searcher, query.as_ref(), &page, scope)?;
        Ok(Results { total, offset: req.offset, hits, facets })
    }

    fn hits(
        &self,
        searcher: &Searcher,
        query: &dyn Query,
        page: &[(f32, DocAddress)],
        scope: &Scope,
    ) -> Result<Vec<Hit>, SearchError> {
        let f = self.fields;
        let mut snippets = SnippetGenerator::create(searcher, query, f.body)?;
        snippets.set_max_num_chars(SNIPPET_CHARS);
        let mut hits = Vec::with_capacity(page.len());
        for &(score, addr) in page {
            let d: TantivyDocument = searcher.doc(addr)?;
            let text = |field| d.get_first(field).and_then(|v| v.as_str()).map(str::to_owned);
            let u64_of = |field| d.get_first(field).and_then(|v| v.as_u64()).unwrap_or_default();
            let date =
                d.get_first(f.date).and_then(|v| v.as_datetime()).map(|t| t.into_utc().date().to_string());
            let snippet = snippets.snippet_from_doc(&d);
            let personal = scope.personal_data().then(|| text(f.person_title)).flatten();
            hits.push(Hit {
                id: text(f.id).unwrap_or_default(),
                title: personal.clone().or_else(|| text(f.title)).unwrap_or_default(),
                number: text(f.number),
                siren: text(f.siren).unwrap_or_default(),
                collectivite: text(f.collectivite).unwrap_or_default(),
                template: text(f.template).unwrap_or_default(),
                kind: text(f.kind).unwrap_or_default(),
                matiere: text(f.matiere).unwrap_or_default(),
                status: text(f.status).unwrap_or_default(),
                year: u64_of(f.year),
                date: date.unwrap_or_default(),
                score,
                snippet: (!snippet.fragment().is_empty()).then(|| snippet.to_html()),
                agent: personal
                    .and_then(|_| text(f.agent))
                    .map(|name| Agent { name, matricule: text(f.matricule) }),
            });
        }
        Ok(hits)
    }
}

/// The index in `dir` (created if empty) and its reader, which opens every
/// segment: a damaged index fails here rather than at the first search.
fn open_index(dir: &Path, schema: &tantivy::schema::Schema) -> tantivy::Result<(Index, IndexReader)> {
    let directory = directory::UnsyncedDirectory::open(dir)?;
    let index = Index::open_or_create(directory, schema.clone())?;
    analyzer::register(&index);
    let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
    Ok((index, reader))
}

/// Whether another process holds the index's writer lock: then a failure to
/// open it may be a reader racing that writer's merges, not damage, and the
/// index is not this process's to rebuild.
fn written_elsewhere(dir: &Path) -> bool {
    use tantivy::directory::{Directory, INDEX_WRITER_LOCK, Lock};
    let lock = Lock { filepath: INDEX_WRITER_LOCK.filepath.clone(), is_blocking: false };
    directory::UnsyncedDirectory::open(dir).map_or(true, |d| d.acquire_lock(&lock).is_err())
}

/// Whether opening the index failed because of what is in it (rebuilt from
/// the store), not because of the disk or another process (reported).
fn rebuildable(e: &tantivy::TantivyError) -> bool {
    use tantivy::TantivyError as E;
    matches!(
        e,
        E::SchemaError(_)
            | E::DataCorruption(_)
            | E::OpenReadError(_)
            | E::IncompatibleIndex(_)
            | E::DeserializeError(_)
    )
}

#[cfg(test)]
mod tests;
