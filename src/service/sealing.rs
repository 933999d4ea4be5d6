//! Sealing an act: number → final rendering → electronic seal → store → log →
//! index.
//!
//! The register entry is the commit point. Before it, nothing is visible and a
//! failure leaves the act a draft. After it, the act *will* be sealed: if the
//! process dies before the seal record is written, [`Acta::recover`] finishes
//! it from the entry at the next start, rendering the same document (same
//! number, same date), so no number is ever skipped. Every later step is
//! idempotent: the sealed PDF and the log leaf are written once and found
//! again by a retry or by another process sealing the same draft (see
//! [`Acta::commit`]).

use bytes::Bytes;

use super::{ActView, Acta, ServiceError, now};
use crate::act::{Draft, SealInfo, Sealed};
use crate::domain::{ActId, ActNumber};
use crate::register::{self, Entry, Numbering};
use crate::seal;
use crate::store::{StoreError, keys};

/// When a newly sealed act is indexed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Indexing {
    /// Before the sealing returns (one commit, shared with concurrent ones).
    Now,
    /// By the caller, in a batch (the index is derived data: an act sealed
    /// but not yet indexed when the process dies is indexed at the next start
    /// by the index catch-up).
    Later,
}

impl Acta {
    /// Seal the draft `id`. Sealing an already sealed act returns it unchanged.
    pub async fn seal(&self, id: &ActId) -> Result<ActView, ServiceError> {
        let _guard = self.act_lock(id).lock().await;
        let draft = self.load_draft(id).await?;
        let profile = self.profile_of(&draft)?;
        let (sealed, _) = self.seal_locked(&draft, Indexing::Now).await?;
        Ok(ActView::new(&draft, profile, Some(&sealed)))
    }

    /// Seal `draft`, whose act lock the caller holds; returns its seal record
    /// and whether it was sealed before this call. With [`Indexing::Later`]
    /// the caller indexes the act itself (a campaign groups its commits).
    pub(super) async fn seal_locked(
        &self,
        draft: &Draft,
        indexing: Indexing,
    ) -> Result<(Sealed, bool), ServiceError> {
        let id = &draft.id;
        let profile = self.profile_of(draft)?;
        if let Some(sealed) = self.load_sealed(id).await? {
            return Ok((sealed, true));
        }
        if self.is_discarded(id).await? {
            return Err(ServiceError::ActNotFound);
        }
        // A previous attempt may have taken a number and failed before the
        // seal record (store down, crash): finish with that number. It is
        // found in the store, or in memory when even its copy could not be
        // written.
        let earlier = match self.entry_copy(id).await? {
            Some(entry) => Some(entry),
            None => self.pending_entry(id),
        };
        if let Some(entry) = earlier {
            let entry = self.keep_entry_copy(&entry).await?;
            let pdf = self.render_final(draft, &entry.number, entry.sealed_at).await?;
            let sealed = self.commit(draft, &entry, pdf, indexing).await?;
            self.forget_pending(id);
            return Ok((sealed, false));
        }
        let template = self
            .catalog
            .get(&draft.template)
            .ok_or_else(|| ServiceError::UnknownTemplate(draft.template.clone()))?;
        let sealed_at = now();
        // Render with the number we expect before taking it, so that a
        // template failure cannot leave a number allocated but unusable; in the
        // common case the expected number is the one we get and the rendering is
        // reused.
        let mut rendered = None;
        let numbering = Numbering {
            siren: &draft.collectivite,
            series: &template.series,
            format: &profile.format_numero,
        };
        if let Some(number) = self.registers.predicted(numbering, sealed_at) {
            let pdf = self.render_final(draft, &number, sealed_at).await?;
            rendered = Some((number, pdf));
        }
        let log_from = self.log.size_hint().await?;
        let entry = self.registers.allocate(&self.store, numbering, draft.id, sealed_at, log_from).await?;
        // From here the number is this act's: remember it until the seal
        // record exists, so that a retry after a failure reuses it.
        self.pending.lock().unwrap_or_else(|p| p.into_inner()).insert(entry.act_id, entry.clone());
        // Another process may have numbered this act first: finish with its number.
        let kept = self.keep_entry_copy(&entry).await?;
        let pdf = match rendered {
            Some((number, pdf)) if number == kept.number => pdf,
            _ => self.render_final(draft, &kept.number, kept.sealed_at).await?,
        };
        let sealed = self.commit(draft, &kept, pdf, indexing).await?;
        self.forget_pending(id);
        Ok((sealed, false))
    }

    fn pending_entry(&self, id: &ActId) -> Option<Entry> {
        self.pending.lock().unwrap_or_else(|p| p.into_inner()).get(id).cloned()
    }

    fn forget_pending(&self, id: &ActId) {
        self.pending.lock().unwrap_or_else(|p| p.into_inner()).remove(id);
    }

    async fn entry_copy(&self, id: &ActId) -> Result<Option<Entry>, ServiceError> {
        let Some(bytes) = self.store.get(&keys::act_register_entry(id)).await? else { return Ok(None) };
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| ServiceError::Corrupt(format!("register entry copy of {id}: {e}")))
    }

    /// Record on the act the number it keeps, and return it. The copy is
    /// create-only, so when two processes sealed the same draft at the same
    /// instant (or one died before this step and another sealed the act
    /// since), the first copy wins and the other number is declared void.
    async fn keep_entry_copy(&self, entry: &Entry) -> Result<Entry, ServiceError> {
        let copy = serde_json::to_vec(entry).expect("entries serialise");
        match self.store.create(&keys::act_register_entry(&entry.act_id), Bytes::from(copy)).await {
            Ok(()) => Ok(entry.clone()),
            Err(StoreError::AlreadyExists(_)) => {
                let kept = self.entry_copy(&entry.act_id).await?.ok_or_else(|| {
                    ServiceError::Corrupt(format!("register entry copy of {} vanished", entry.act_id))
                })?;
                if kept != *entry {
                    register::declare_void(&self.store, entry, &kept.number).await?;
                    tracing::warn!(act = %entry.act_id, void = %entry.number, kept = %kept.number,
                        "the act was numbered twice; the second number is declared void");
                }
                Ok(kept)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Finish every act whose number was allocated but whose sealing did not
    /// complete (the process died in between). Returns how many were finished.
    pub async fn recover(&self) -> Result<usize, ServiceError> {
        let voids: std::collections::HashSet<_> =
            register::all_voids(&self.store).await?.into_iter().map(|v| v.entry.number).collect();
        let mut finished = 0;
        for entry in register::all_entries(&self.store).await? {
            if voids.contains(&entry.number) {
                continue;
            }
            match self.load_sealed(&entry.act_id).await? {
                Some(sealed) if sealed.number == entry.number => continue,
                // Sealed under another number since this one was taken.
                Some(sealed) => {
                    register::declare_void(&self.store, &entry, &sealed.number).await?;
                    tracing::warn!(act = %entry.act_id, void = %entry.number, kept = %sealed.number,
                        "the act was numbered twice; the other number is declared void");
                    continue;
                }
                None => {}
            }
            let _guard = self.act_lock(&entry.act_id).lock().await;
            let kept = self.keep_entry_copy(&entry).await?;
            if kept != entry {
                continue; // declared void: its act is sealed (or finished) under `kept`
            }
            let draft = self.load_draft(&entry.act_id).await?;
            let pdf = self.render_final(&draft, &entry.number, entry.sealed_at).await?;
            self.commit(&draft, &entry, pdf, Indexing::Now).await?;
            tracing::warn!(act = %entry.act_id, number = %entry.number, "finished an interrupted sealing");
            finished += 1;
        }
        Ok(finished)
    }

    async fn render_final(
        &self,
        draft: &Draft,
        number: &ActNumber,
        at: time::OffsetDateTime,
    ) -> Result<Vec<u8>, ServiceError> {
        self.render(draft, self.profile_of(draft)?, Some(number), at).await
    }

    /// Seal, store, log and index the final PDF of a numbered act.
    ///
    /// Each step is idempotent so that a retry (or recovery) after a failure at
    /// any point converges: the PDF is stored create-only and an existing one
    /// is kept when it is the same document (a B-T seal's timestamp differs
    /// between attempts, nothing else may); the log leaf is found again rather
    /// than appended twice.
    async fn commit(
        &self,
        draft: &Draft,
        entry: &Entry,
        pdf: Vec<u8>,
        indexing: Indexing,
    ) -> Result<Sealed, ServiceError> {
        let reason = format!("Scellement de l'acte n° {}", entry.number);
        let bytes = self.sealer.seal(pdf, entry.sealed_at, &reason).await?;
        let key = keys::sealed_pdf(&draft.id);
        let (bytes, seal_info) = match self.store.create(&key, Bytes::from(bytes.clone())).await {
            Ok(()) => (
                bytes,
                SealInfo {
                    certificate_sha256: self.sealer.certificate_sha256(),
                    timestamped: self.sealer.timestamped(),
                },
            ),
            // A previous attempt stored the PDF before dying: keep it if it is
            // the same document, never overwrite it.
            Err(StoreError::AlreadyExists(_)) => {
                let existing = self.store.get(&key).await?.unwrap_or_default().to_vec();
                let report = seal::verify(&existing).ok().filter(|_| seal::same_document(&existing, &bytes));
                let Some(report) = report else {
                    return Err(ServiceError::Corrupt(format!(
                        "{key} exists with other content than the sealing of {} renders",
                        entry.number
                    )));
                };
                let info =
                    SealInfo { certificate_sha256: report.signer_sha256, timestamped: report.timestamped };
                (existing, info)
            }
            Err(e) => return Err(e.into()),
        };
        let hashes = seal::Hashes::of(&bytes);
        // The hash pointer and the log leaf depend only on the stored PDF and
        // both precede the seal record (the commit point): written at once,
        // their durable writes overlap instead of adding up. A crash between
        // them leaves what a crash before the record always left, which a
        // retry or the start-up recovery finishes (both are create-only and
        // found again).
        let pointer_key = keys::by_sha256(&hashes.sha256);
        let pointer = async {
            match self.store.create(&pointer_key, Bytes::from(draft.id.to_string())).await {
                Ok(()) | Err(StoreError::AlreadyExists(_)) => Ok(()),
                Err(e) => Err(ServiceError::from(e)),
            }
        };
        let (leaf, pointer) = tokio::join!(self.append_leaf(draft, entry, &hashes, &seal_info), pointer);
        let leaf = leaf?;
        pointer?;
        let sealed = Sealed {
            id: draft.id,
            number: entry.number.clone(),
            series: entry.series.clone(),
            year: entry.year,
            sealed_at: entry.sealed_at,
            hashes,
            leaf: Some(leaf),
            seal: Some(seal_info),
        };
        let record = serde_json::to_vec(&sealed).expect("seal records serialise");
        match self.store.create(&keys::sealed_record(&draft.id), Bytes::from(record)).await {
            Ok(()) | Err(StoreError::AlreadyExists(_)) => {}
            Err(e) => return Err(e.into()),
        }
        self.log_pending.notify_one();
        if indexing == Indexing::Now {
            self.indexed_here.lock().unwrap_or_else(|p| p.into_inner()).insert(draft.id);
            self.index(draft, Some(&sealed)).await;
        }
        Ok(sealed)
    }
}
