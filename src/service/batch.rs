//! The batched path of campaigns ([`crate::campaign`]): many acts made from
//! checked request bodies, with the same guarantees as the per-act API.
//!
//! - [`Acta::check_request`] is the check of `POST /api/v1/acts` without
//!   storing anything: the schema, the printable characters, then the
//!   template's business rules, evaluated by laying the document out without
//!   writing its PDF (half a render).
//! - [`Acta::make_act`] makes one act under an id chosen by the caller (a
//!   campaign derives it from its row): the draft is stored create-only unless
//!   an earlier attempt stored it, then sealed exactly as
//!   [`Acta::seal`] does (same commit point, same recovery) but *not
//!   indexed*: the caller indexes its acts in groups with
//!   [`Acta::index_made`], one tantivy commit per group instead of one per
//!   act. Calling it again for the same id returns the sealed act: a campaign
//!   killed at any instant and run again makes each act once.

use std::sync::Arc;

use bytes::Bytes;
use serde_json::Value;

use super::sealing::Indexing;
use super::{Acta, ServiceError, document, now, utc};
use crate::act::{Draft, Sealed};
use crate::catalog::FieldError;
use crate::domain::{ActId, ActNumber, Siren};
use crate::render::RenderJob;
use crate::store::{StoreError, keys};

/// An act made by [`Acta::make_act`].
#[derive(Debug, Clone)]
pub struct Made {
    draft: Draft,
    sealed: Sealed,
    /// It was already sealed before this call (a resumed campaign).
    pub already: bool,
}

impl Made {
    /// Its id.
    pub fn id(&self) -> ActId {
        self.draft.id
    }

    /// Its number.
    pub fn number(&self) -> &ActNumber {
        &self.sealed.number
    }

    /// Its title (with the agent's name for an individual act).
    pub fn title(&self) -> &str {
        &self.draft.title
    }

    /// Its collectivité.
    pub fn collectivite(&self) -> &Siren {
        &self.draft.collectivite
    }

    /// Its template.
    pub fn template(&self) -> &crate::domain::TemplateId {
        &self.draft.template
    }

    /// Its data.
    pub fn data(&self) -> &Value {
        &self.draft.data
    }

    /// When it was sealed.
    pub fn sealed_at(&self) -> time::OffsetDateTime {
        self.sealed.sealed_at
    }

    /// Hex SHA-256 of its sealed PDF.
    pub fn sha256(&self) -> String {
        self.sealed.hashes.sha256.to_string()
    }
}

impl Acta {
    /// Check a request body as `POST /api/v1/acts` would, business rules of
    /// the template included, storing nothing: the template is evaluated,
    /// and with `layout` the document laid out too (what a show rule or the
    /// page limit refuses). CPU-bound: call it off the async runtime.
    pub fn check_request(&self, body: &Value, layout: bool) -> Result<(), ServiceError> {
        let (draft, profile, corrects) = self.new_draft(body, now())?;
        if corrects.is_some() {
            return Err(ServiceError::Invalid(vec![FieldError {
                path: "/corrige".into(),
                message: "une campagne ne fait pas d’actes rectificatifs ni de retraits".into(),
            }]));
        }
        self.lane(&draft)?;
        let data = document::data(&draft, profile, None);
        let job = RenderJob {
            template: &draft.template,
            data: &data,
            timestamp: utc(draft.created_at),
            ident: draft.data_sha256.as_str(),
            title: &draft.title,
            author: &profile.nom,
        };
        if layout {
            self.engine.check(&job)?;
        } else {
            self.engine.evaluate(&job)?;
        }
        Ok(())
    }

    /// Make act `id` from the request `body`: store its draft (unless an
    /// earlier attempt did), seal it, leave its indexing to the caller.
    /// Idempotent: an act already sealed is returned as it is.
    pub async fn make_act(&self, id: ActId, body: &Value) -> Result<Made, ServiceError> {
        let _guard = self.act_lock(&id).lock().await;
        let draft = match self.load_draft(&id).await {
            Ok(draft) => draft,
            Err(ServiceError::ActNotFound) => self.store_draft_as(id, body).await?,
            Err(e) => return Err(e),
        };
        let (sealed, already) = self.seal_locked(&draft, Indexing::Later).await?;
        Ok(Made { draft, sealed, already })
    }

    async fn store_draft_as(&self, id: ActId, body: &Value) -> Result<Draft, ServiceError> {
        let (mut draft, _, corrects) = self.new_draft(body, now())?;
        if corrects.is_some() {
            return Err(ServiceError::Invalid(vec![FieldError {
                path: "/corrige".into(),
                message: "une campagne ne fait pas d’actes rectificatifs ni de retraits".into(),
            }]));
        }
        draft.id = id;
        let bytes = serde_json::to_vec(&draft).expect("drafts always serialise");
        match self.store.create(&keys::draft(&id), Bytes::from(bytes)).await {
            Ok(()) => Ok(draft),
            // Another process making the same campaign stored it first.
            Err(StoreError::AlreadyExists(_)) => self.load_draft(&id).await,
            Err(e) => Err(e.into()),
        }
    }

    /// Index acts made by [`Acta::make_act`] in one commit. A failure is
    /// logged, never returned: the index is derived data, caught up from the
    /// store at the next start.
    pub async fn index_made(&self, made: &[Made]) {
        let entries: Vec<_> = made
            .iter()
            .filter_map(|m| {
                let profile = self.collectivites.get(&m.draft.collectivite)?;
                let template = self.catalog.get(&m.draft.template);
                Some(document::search_entry(&m.draft, profile, template, Some(&m.sealed)))
            })
            .collect();
        {
            let mut here = self.indexed_here.lock().unwrap_or_else(|p| p.into_inner());
            here.extend(made.iter().map(Made::id));
        }
        let index = Arc::clone(&self.index);
        let task = tokio::task::spawn_blocking(move || {
            index.stage(&entries)?;
            index.commit()
        });
        match task.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::error!(error = %e, acts = made.len(), "indexing a campaign batch failed"),
            Err(e) => tracing::error!(error = %e, "indexing task failed"),
        }
    }
}

impl Acta {
    /// Act `id` if it is sealed (what a campaign's status and export read).
    pub async fn made(&self, id: &ActId) -> Result<Option<Made>, ServiceError> {
        let Some(sealed) = self.load_sealed(id).await? else { return Ok(None) };
        let draft = self.load_draft(id).await?;
        Ok(Some(Made { draft, sealed, already: true }))
    }
}
