//! Sealing an act: number → final rendering → seal → store → index.
//!
//! The register entry is the commit point. Before it, nothing is visible and a
//! failure leaves the act a draft. After it, the act *will* be sealed: if the
//! process dies before the seal record is written, [`Acta::recover`] finishes
//! it from the entry at the next start, rendering the same document (same
//! number, same date), so no number is ever skipped.

use bytes::Bytes;

use super::{ActView, Acta, ServiceError, document, now};
use crate::act::{Draft, Sealed};
use crate::domain::{ActId, ActNumber};
use crate::register::{self, Entry};
use crate::seal;
use crate::store::{StoreError, keys};

impl Acta {
    /// Seal the draft `id`. Sealing an already sealed act returns it unchanged.
    pub async fn seal(&self, id: &ActId) -> Result<ActView, ServiceError> {
        let _guard = self.act_lock(id).lock().await;
        let draft = self.load_draft(id).await?;
        let profile = self.profile_of(&draft)?;
        if let Some(sealed) = self.load_sealed(id).await? {
            return Ok(ActView::new(&draft, profile, Some(&sealed)));
        }
        // A previous attempt may have taken a number and failed before the
        // seal record (store down, crash): finish with that number. It is
        // found in the store, or in memory when even its copy could not be
        // written.
        let earlier = match self.store.get(&keys::act_register_entry(id)).await? {
            Some(bytes) => Some(
                serde_json::from_slice::<Entry>(&bytes)
                    .map_err(|e| ServiceError::Corrupt(format!("register entry copy of {id}: {e}")))?,
            ),
            None => self.pending_entry(id),
        };
        if let Some(entry) = earlier {
            self.keep_entry_copy(&entry).await?;
            let pdf = self.render_final(&draft, &entry.number, entry.sealed_at).await?;
            let sealed = self.commit(&draft, &entry, pdf).await?;
            self.forget_pending(id);
            return Ok(ActView::new(&draft, profile, Some(&sealed)));
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
        if let Some(number) = self.registers.predicted(&draft.collectivite, &template.series, sealed_at) {
            let pdf = self.render_final(&draft, &number, sealed_at).await?;
            rendered = Some((number, pdf));
        }
        let entry = self
            .registers
            .allocate(&self.store, &draft.collectivite, &template.series, draft.id, sealed_at)
            .await?;
        // From here the number is this act's: remember it until the seal
        // record exists, so that a retry after a failure reuses it.
        self.pending.lock().unwrap_or_else(|p| p.into_inner()).insert(entry.act_id, entry.clone());
        self.keep_entry_copy(&entry).await?;
        let pdf = match rendered {
            Some((number, pdf)) if number == entry.number => pdf,
            _ => self.render_final(&draft, &entry.number, sealed_at).await?,
        };
        let sealed = self.commit(&draft, &entry, pdf).await?;
        self.forget_pending(id);
        Ok(ActView::new(&draft, profile, Some(&sealed)))
    }

    fn pending_entry(&self, id: &ActId) -> Option<Entry> {
        self.pending.lock().unwrap_or_else(|p| p.into_inner()).get(id).cloned()
    }

    fn forget_pending(&self, id: &ActId) {
        self.pending.lock().unwrap_or_else(|p| p.into_inner()).remove(id);
    }

    /// Write the act's copy of its register entry (idempotent).
    async fn keep_entry_copy(&self, entry: &Entry) -> Result<(), ServiceError> {
        let copy = serde_json::to_vec(entry).expect("entries serialise");
        match self.store.create(&keys::act_register_entry(&entry.act_id), Bytes::from(copy)).await {
            Ok(()) | Err(StoreError::AlreadyExists(_)) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Finish every act whose number was allocated but whose sealing did not
    /// complete (the process died in between). Returns how many were finished.
    pub async fn recover(&self) -> Result<usize, ServiceError> {
        let mut finished = 0;
        for entry in register::all_entries(&self.store).await? {
            if self.store.get(&keys::sealed_record(&entry.act_id)).await?.is_some() {
                continue;
            }
            let _guard = self.act_lock(&entry.act_id).lock().await;
            let draft = self.load_draft(&entry.act_id).await?;
            let pdf = self.render_final(&draft, &entry.number, entry.sealed_at).await?;
            self.commit(&draft, &entry, pdf).await?;
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
        let data = document::data(draft, self.profile_of(draft)?, Some(number));
        self.render(draft.template.clone(), data, at, number.to_string()).await
    }

    /// Seal, store and index the final PDF of a numbered act.
    async fn commit(&self, draft: &Draft, entry: &Entry, pdf: Vec<u8>) -> Result<Sealed, ServiceError> {
        let (bytes, hashes) = seal::apply(pdf);
        let key = keys::sealed_pdf(&draft.id);
        match self.store.create(&key, Bytes::from(bytes)).await {
            Ok(()) => {}
            // A previous attempt stored the PDF before dying: keep it if it is
            // the same document, never overwrite it.
            Err(StoreError::AlreadyExists(_)) => {
                let existing = self.store.get(&key).await?.unwrap_or_default();
                if seal::Hashes::of(&existing) != hashes {
                    return Err(ServiceError::Corrupt(format!(
                        "{key} exists with other content than the sealing of {} renders",
                        entry.number
                    )));
                }
            }
            Err(e) => return Err(e.into()),
        }
        let sealed = Sealed {
            id: draft.id,
            number: entry.number.clone(),
            series: entry.series.clone(),
            year: entry.year,
            sealed_at: entry.sealed_at,
            hashes,
        };
        let record = serde_json::to_vec(&sealed).expect("seal records serialise");
        match self.store.create(&keys::sealed_record(&draft.id), Bytes::from(record)).await {
            Ok(()) | Err(StoreError::AlreadyExists(_)) => {}
            Err(e) => return Err(e.into()),
        }
        self.index(draft, Some(&sealed)).await;
        Ok(sealed)
    }
}
