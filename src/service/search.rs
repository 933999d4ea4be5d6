//! Search use cases: query within a scope, rebuild the index from the store,
//! and catch up on acts the index missed.
//!
//! The index is derived from the store: an act is indexed from its draft
//! record and, once sealed, its seal record. Anything the index lost (a crash
//! before a commit, a deleted directory, acts sealed by another acta process
//! sharing the store) is found again by comparing the two.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use futures::{StreamExt, TryStreamExt};

use super::{Acta, ServiceError, document};
use crate::domain::ActId;
use crate::search::{Entry, Results, Scope, SearchRequest};

/// File of the data directory that replaces the built-in synonym list.
pub const SYNONYMS_FILE: &str = "synonymes.txt";
/// Longest a sealing or a draft creation waits for its act to be searchable.
pub(super) const INDEX_WAIT: Duration = Duration::from_secs(2);
/// Acts read from the store at once while (re)indexing.
const LOAD_CONCURRENCY: usize = 16;
/// Acts staged per batch while (re)indexing.
const BATCH: usize = 1_000;
/// How long entries staged by creations and sealings wait for a search to
/// commit them before the background committer does (bounds what a crash
/// leaves to the start-up catch-up, and the writer's memory).
const COMMIT_AFTER: Duration = Duration::from_millis(200);

/// Progress of a long indexing: (acts done, acts in all).
pub type Progress<'a> = &'a (dyn Fn(u64, u64) + Send + Sync);

impl Acta {
    /// Acts matching `req` that `scope` may see.
    pub async fn search(&self, req: SearchRequest, scope: Scope) -> Result<Results, ServiceError> {
        let index = Arc::clone(&self.index);
        let results = tokio::task::spawn_blocking(move || index.search(&req, &scope))
            .await
            .map_err(|e| ServiceError::Internal(format!("search task: {e}")))??;
        Ok(results)
    }

    /// Rebuild the index from the store: every act, then one commit (until
    /// then searches see the previous index). Returns the number of acts.
    pub async fn reindex(&self, progress: Progress<'_>) -> Result<usize, ServiceError> {
        let acts: Vec<ActId> = self.stored_acts().await?.into_keys().collect();
        self.index.clear()?;
        let n = self.index_acts(&acts, true, progress).await?;
        self.commit_index().await?;
        Ok(n)
    }

    /// Index the acts of the store that the index lacks or holds as drafts
    /// although they are sealed, and remove the entries of acts the store
    /// does not hold (a discarded draft whose removal was lost to a crash).
    /// Returns how many were indexed.
    pub async fn catch_up_index(&self) -> Result<usize, ServiceError> {
        let index = Arc::clone(&self.index);
        let indexed = tokio::task::spawn_blocking(move || index.indexed())
            .await
            .map_err(|e| ServiceError::Internal(format!("index scan task: {e}")))??;
        // Listed after the scan: an act is stored before it is indexed, so an
        // entry the listing lacks is stale, never an act made meanwhile.
        let stored = self.stored_acts().await?;
        let stale: Vec<String> = indexed
            .keys()
            .filter(|id| id.parse::<ActId>().map_or(true, |id| !stored.contains_key(&id)))
            .cloned()
            .collect();
        if !stale.is_empty() {
            let index = Arc::clone(&self.index);
            let n = stale.len();
            tokio::task::spawn_blocking(move || {
                index.remove_all(&stale.iter().map(String::as_str).collect::<Vec<_>>())
            })
            .await
            .map_err(|e| ServiceError::Internal(format!("index removal task: {e}")))??;
            tracing::info!(removed = n, "search index: entries of discarded drafts removed");
        }
        let missing: Vec<ActId> = stored
            .into_iter()
            .filter(|(id, sealed)| {
                indexed.get(&id.to_string()).is_none_or(|was_sealed| *sealed && !was_sealed)
            })
            .map(|(id, _)| id)
            .collect();
        if missing.is_empty() {
            return Ok(0);
        }
        let n = self.index_acts(&missing, false, &|_, _| {}).await?;
        self.commit_index().await?;
        Ok(n)
    }

    /// Index these acts now and commit.
    /// (A plain loop: few acts at a time, and a future that background tasks
    /// can hold, which the buffered stream of `index_acts` is not.)
    pub(super) async fn index_sealed(&self, acts: &[ActId]) -> Result<usize, ServiceError> {
        let mut entries = Vec::with_capacity(acts.len());
        for id in acts {
            entries.extend(self.entry_of(id).await?);
        }
        let n = entries.len();
        let index = Arc::clone(&self.index);
        tokio::task::spawn_blocking(move || index.stage(&entries))
            .await
            .map_err(|e| ServiceError::Internal(format!("indexing task: {e}")))??;
        self.commit_index().await?;
        Ok(n)
    }

    /// Commit, in the background, the index entries that creations and
    /// sealings staged and no search committed, until the process stops.
    /// From this call on, [`Acta`] writes only stage their entries.
    pub fn spawn_index_committer(self: &Arc<Self>) {
        self.index_committer.store(true, std::sync::atomic::Ordering::Relaxed);
        let acta = Arc::downgrade(self);
        let pending = Arc::clone(&self.index_pending);
        tokio::spawn(async move {
            loop {
                pending.notified().await;
                tokio::time::sleep(COMMIT_AFTER).await;
                let Some(acta) = acta.upgrade() else { return };
                if !acta.index.has_staged() {
                    continue;
                }
                if let Err(e) = acta.commit_index().await {
                    tracing::error!(error = %e, "committing the search index failed; retrying at the next act");
                }
            }
        });
    }

    /// Every act of the store: id → whether it is sealed.
    async fn stored_acts(&self) -> Result<BTreeMap<ActId, bool>, ServiceError> {
        let mut acts = BTreeMap::new();
        let mut discarded = Vec::new();
        for key in self.store.list("acts/").await? {
            let mut parts = key.split('/').skip(1);
            let (Some(id), Some(file)) = (parts.next(), parts.next()) else { continue };
            let Ok(id) = id.parse::<ActId>() else { continue };
            match file {
                "draft.json" => {
                    acts.entry(id).or_insert(false);
                }
                "sealed.json" => {
                    acts.insert(id, true);
                }
                "discarded.json" => discarded.push(id),
                _ => {}
            }
        }
        // A discarded draft is not an act any more (the seal record wins).
        for id in discarded {
            if acts.get(&id) == Some(&false) {
                acts.remove(&id);
            }
        }
        Ok(acts)
    }

    /// Stage the entries of `acts` in batches (not committed); `fresh` when
    /// the index holds none of them (after [`crate::search::SearchIndex::clear`]).
    async fn index_acts(
        &self,
        acts: &[ActId],
        fresh: bool,
        progress: Progress<'_>,
    ) -> Result<usize, ServiceError> {
        let total = acts.len() as u64;
        let mut done = 0;
        let mut indexed = 0;
        progress(0, total);
        for chunk in acts.chunks(BATCH) {
            let entries: Vec<Option<Entry>> = futures::stream::iter(chunk.iter().map(|id| self.entry_of(id)))
                .buffered(LOAD_CONCURRENCY)
                .try_collect()
                .await?;
            let entries: Vec<Entry> = entries.into_iter().flatten().collect();
            indexed += entries.len();
            let index = Arc::clone(&self.index);
            tokio::task::spawn_blocking(move || {
                if fresh { index.stage_new(&entries) } else { index.stage(&entries) }
            })
            .await
            .map_err(|e| ServiceError::Internal(format!("indexing task: {e}")))??;
            done += chunk.len() as u64;
            progress(done, total);
        }
        Ok(indexed)
    }

    async fn commit_index(&self) -> Result<(), ServiceError> {
        let index = Arc::clone(&self.index);
        tokio::task::spawn_blocking(move || index.commit())
            .await
            .map_err(|e| ServiceError::Internal(format!("index commit task: {e}")))??;
        Ok(())
    }

    /// The entry of a stored act; `None` if its collectivité is no longer
    /// served (it cannot be shown, so it is not indexed).
    async fn entry_of(&self, id: &ActId) -> Result<Option<Entry>, ServiceError> {
        let draft = self.load_draft(id).await?;
        let sealed = self.load_sealed(id).await?;
        let Some(profile) = self.collectivites.get(&draft.collectivite) else {
            tracing::warn!(act = %id, collectivite = %draft.collectivite, "act of a collectivité no longer served: not indexed");
            return Ok(None);
        };
        Ok(Some(document::search_entry(&draft, profile, self.catalog.get(&draft.template), sealed.as_ref())))
    }
}
