//! Drafts people change their minds about, and what the pages need to know
//! before sealing one.
//!
//! A draft is never rewritten (the store is create-only, and an archivist
//! expects nothing lost): *deleting* a draft writes a *discard* marker
//! (`acts/<id>/discarded.json`) beside it, and *editing* one stores a new
//! draft, then discards the old one with a pointer to its replacement. A
//! discarded draft keeps its files, answers like an unknown act, cannot be
//! sealed, and leaves the search index. A sealed act is never discarded: once
//! its number is taken (its register entry copy exists) it is refused, and
//! the seal record always wins over a marker.

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;

use super::{ActView, Acta, ServiceError, now};
use crate::domain::{ActId, ActNumber};
use crate::register::Numbering;
use crate::store::{StoreError, keys};

/// The marker of a discarded draft.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Discard {
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    at: OffsetDateTime,
    /// The draft that replaced it, when it was edited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    replaced_by: Option<ActId>,
}

/// The register a draft would be sealed in, and the number it would take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NextNumber {
    /// The register's series (`ARR`, `DEL`…).
    pub series: String,
    /// The register's year.
    pub year: i32,
    /// The number the act would take if it were sealed now (another act
    /// sealed in between takes it first).
    pub number: ActNumber,
}

impl Acta {
    /// Discard the draft `id` (see the module docs); idempotent.
    /// [`ServiceError::ActSealed`] once the act is sealed or being sealed.
    pub async fn discard_draft(&self, id: &ActId) -> Result<(), ServiceError> {
        self.discard(id, None).await
    }

    /// Store `body` (as [`Acta::create_draft`] does) as the new version of
    /// the draft `id`, which is discarded: the new draft, with its own id.
    /// The body must name the same collectivité.
    pub async fn replace_draft(&self, id: &ActId, body: &Value) -> Result<ActView, ServiceError> {
        let (owner, sealed) = self.owner(id).await?;
        if sealed {
            return Err(ServiceError::ActSealed);
        }
        if body.get("collectivite").and_then(Value::as_str) != Some(owner.as_str()) {
            return Err(ServiceError::Invalid(vec![crate::catalog::FieldError {
                path: "/collectivite".into(),
                message: "un projet reste celui de sa collectivité".into(),
            }]));
        }
        let view = self.create_draft(body).await?;
        if let Err(e) = self.discard(id, Some(view.id)).await {
            // Sealed meanwhile: the new draft must not linger as a twin.
            if let Err(undo) = self.discard(&view.id, None).await {
                tracing::error!(act = %view.id, error = %undo, "a replacement draft could not be discarded");
            }
            return Err(e);
        }
        Ok(view)
    }

    async fn discard(&self, id: &ActId, replaced_by: Option<ActId>) -> Result<(), ServiceError> {
        let _guard = self.act_lock(id).lock().await;
        self.load_draft(id).await?;
        if self.load_sealed(id).await?.is_some()
            || self.store.get(&keys::act_register_entry(id)).await?.is_some()
            || self.pending.lock().unwrap_or_else(|p| p.into_inner()).contains_key(id)
        {
            return Err(ServiceError::ActSealed);
        }
        let marker = Discard { at: now(), replaced_by };
        let bytes = Bytes::from(serde_json::to_vec(&marker).expect("markers serialise"));
        match self.store.create(&keys::act_discarded(id), bytes).await {
            Ok(()) | Err(StoreError::AlreadyExists(_)) => {}
            Err(e) => return Err(e.into()),
        }
        let index = std::sync::Arc::clone(&self.index);
        let key = id.to_string();
        match tokio::task::spawn_blocking(move || index.remove(&key)).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::error!(act = %id, error = %e, "a discarded draft stays in the index"),
            Err(e) => tracing::error!(act = %id, error = %e, "index removal task failed"),
        }
        // The act lock is this process's only: another acta sharing the store
        // may have taken a number for this draft after the checks above. The
        // seal record wins, so the act goes back into the index. Checked
        // *after* the removal: the copy of the register entry is written
        // before the log leaf this process's follower indexes, so a sealing
        // the follower indexed before the removal is seen here, and one it
        // indexes later is indexed again by it.
        if self.load_sealed(id).await?.is_some()
            || self.store.get(&keys::act_register_entry(id)).await?.is_some()
        {
            tracing::warn!(act = %id, "draft sealed by another process while being discarded: it stays sealed");
            if let Err(e) = self.index_sealed(&[*id]).await {
                tracing::error!(act = %id, error = %e, "a sealed act could not be indexed again; run `acta reindex`");
            }
            return Err(ServiceError::ActSealed);
        }
        Ok(())
    }

    /// The record of the draft `id`, to edit it: [`ServiceError::ActSealed`]
    /// once sealed, [`ServiceError::ActNotFound`] once discarded.
    pub async fn draft_record(&self, id: &ActId) -> Result<crate::act::Draft, ServiceError> {
        let (_, sealed) = self.owner(id).await?;
        if sealed {
            return Err(ServiceError::ActSealed);
        }
        self.load_draft(id).await
    }

    /// The data of act `id` (to start a correction from a sealed act).
    pub async fn act_data(&self, id: &ActId) -> Result<Value, ServiceError> {
        Ok(self.load_draft(id).await?.data)
    }

    /// Whether the draft `id` was discarded.
    pub(super) async fn is_discarded(&self, id: &ActId) -> Result<bool, ServiceError> {
        Ok(self.store.get(&keys::act_discarded(id)).await?.is_some())
    }

    /// The register the draft `id` would be sealed in now, and the number
    /// it would take there.
    pub async fn next_number(&self, id: &ActId) -> Result<NextNumber, ServiceError> {
        let draft = self.load_draft(id).await?;
        let profile = self.profile_of(&draft)?;
        let template = self
            .catalog
            .get(&draft.template)
            .ok_or_else(|| ServiceError::UnknownTemplate(draft.template.clone()))?;
        let numbering = Numbering {
            siren: &draft.collectivite,
            series: &template.series,
            format: &profile.format_numero,
        };
        let at = now();
        let number =
            self.registers.next_free(&self.store, numbering, at).await.map_err(ServiceError::from)?;
        Ok(NextNumber {
            series: template.series.to_string(),
            year: crate::register::year_in_paris(at),
            number,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::fmt;
    use std::ops::Range;
    use std::sync::Arc;

    use futures::stream::BoxStream;
    use object_store::local::LocalFileSystem;
    use object_store::path::Path;
    use object_store::{
        CopyOptions, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore,
        PutMultipartOptions, PutOptions, PutPayload, PutResult, Result,
    };

    use super::*;
    use crate::config::Settings;
    use crate::store::Store;

    /// The local store, where another acta process seals each draft just as
    /// this one discards it: the act's register entry copy lands right
    /// before its discard marker (what two processes racing leave, made
    /// deterministic).
    #[derive(Debug)]
    struct SealedMeanwhile(LocalFileSystem);

    impl fmt::Display for SealedMeanwhile {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "SealedMeanwhile")
        }
    }

    #[async_trait::async_trait]
    impl ObjectStore for SealedMeanwhile {
        async fn put_opts(
            &self,
            location: &Path,
            payload: PutPayload,
            opts: PutOptions,
        ) -> Result<PutResult> {
            if let Some(act) = location.as_ref().strip_suffix("/discarded.json") {
                let entry = Path::from(format!("{act}/register.json"));
                self.0.put_opts(&entry, PutPayload::from_static(b"{}"), PutOptions::default()).await?;
            }
            self.0.put_opts(location, payload, opts).await
        }
        async fn put_multipart_opts(
            &self,
            location: &Path,
            opts: PutMultipartOptions,
        ) -> Result<Box<dyn MultipartUpload>> {
            self.0.put_multipart_opts(location, opts).await
        }
        async fn get_opts(&self, location: &Path, options: GetOptions) -> Result<GetResult> {
            self.0.get_opts(location, options).await
        }
        async fn get_ranges(&self, location: &Path, ranges: &[Range<u64>]) -> Result<Vec<Bytes>> {
            self.0.get_ranges(location, ranges).await
        }
        fn delete_stream(
            &self,
            locations: BoxStream<'static, Result<Path>>,
        ) -> BoxStream<'static, Result<Path>> {
            self.0.delete_stream(locations)
        }
        fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, Result<ObjectMeta>> {
            self.0.list(prefix)
        }
        async fn list_with_delimiter(&self, prefix: Option<&Path>) -> Result<ListResult> {
            self.0.list_with_delimiter(prefix).await
        }
        async fn copy_opts(&self, from: &Path, to: &Path, options: CopyOptions) -> Result<()> {
            self.0.copy_opts(from, to, options).await
        }
    }

    #[tokio::test]
    async fn a_draft_sealed_by_another_process_while_it_is_discarded_stays_an_act_and_searchable() {
        let dir = tempfile::tempdir().unwrap();
        let settings = Settings { data_dir: dir.path().to_owned(), ..Settings::default() };
        let mut acta = Acta::open(&settings).unwrap();
        let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/acts/arrete-avancement-echelon.json");
        let body: Value = serde_json::from_slice(&std::fs::read(fixture).unwrap()).unwrap();
        let id = acta.create_draft(&body).await.unwrap().id;
        assert!(acta.index.indexed().unwrap().contains_key(&id.to_string()));

        let racing = SealedMeanwhile(LocalFileSystem::new_with_prefix(settings.store_dir()).unwrap());
        acta.store = Store::from_backend(Arc::new(racing), "file://racing".into());
        let discarded = acta.discard_draft(&id).await;
        assert!(matches!(discarded, Err(ServiceError::ActSealed)), "{discarded:?}");
        assert!(acta.is_discarded(&id).await.unwrap(), "the marker was written before the re-check");
        assert!(
            acta.index.indexed().unwrap().contains_key(&id.to_string()),
            "the act the other process sealed went back into the index"
        );
    }
}
