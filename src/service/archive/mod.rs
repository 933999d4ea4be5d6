//! Transfers of sealed acts to electronic archiving (SEDA 2.2), on top of
//! [`crate::seda`]: selections read from the store, SIPs written in constant
//! memory and kept in the store, and the archive's replies recorded.
//!
//! Terms: a *transfer* is one SIP sent to the collectivité's archive system
//! (SAE), identified by a [`TransferId`] that is also its SEDA
//! `MessageIdentifier`. Its *status* is *sent* until a reply gives the
//! *verdict* (accepted or rejected, with reasons); an acknowledgement is kept
//! but is not a verdict. On acceptance, each act records the archive's
//! identifiers of its unit (Vitam `SystemId`, As@lae cote). See
//! [`record`] for the keys, [`select`] for selections, [`source`] for
//! streaming, `docs/seda.md` for the whole.

pub mod config;
mod error;
#[cfg(test)]
mod fuzz;
mod index;
mod quarantine;
pub mod record;
mod reply;
pub(in crate::service) mod select;
pub mod source;

use std::path::{Path, PathBuf};

use bytes::Bytes;
use serde::Serialize;
use time::OffsetDateTime;

pub use config::{ArchiveConfig, ArchiveConfigError};
pub use error::ArchiveError;
pub use index::{
    INDEX_PREFIX, ListQuery, MAX_PAGE, TransferList, TransferListItem, TransferSummary, index_key,
};
pub use quarantine::{
    MAX_QUARANTINED_BYTES, QuarantineAcknowledgement, QuarantineId, QuarantineReason, QuarantineRefused,
    Quarantined, QuarantinedReply, ReplyIdentifiers, Uploader,
};
pub use record::{
    ArchiveRecord, OutcomeRecord, SipInfo, TransferId, TransferRecord, TransferSpec, TransferStatus,
};
pub use source::{ActObjects, Progress};

use super::{Acta, ServiceError, now};
use crate::domain::{ActId, Siren};
use crate::seda::{Selection, SipSummary, TransferRequest, write_sip};
use crate::store::{ObjectRead, StoreError};

/// A transfer as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TransferView {
    /// Id (= `MessageIdentifier` of the SIP).
    #[schema(value_type = String)]
    pub id: TransferId,
    /// The collectivité.
    #[schema(value_type = String)]
    pub collectivite: Siren,
    /// `sent`, `accepted` or `rejected`.
    pub status: TransferStatus,
    /// When the SIP was made.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String)]
    pub created_at: OffsetDateTime,
    /// `vitam` or `asalae`.
    #[schema(value_type = String)]
    pub profile: crate::seda::Profile,
    /// The séance unit's id, for a séance transfer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seance: Option<String>,
    /// The acts transferred, in manifest order.
    #[schema(value_type = Vec<String>)]
    pub acts: Vec<ActId>,
    /// The SIP.
    pub sip: SipInfo,
    /// The verdict, once received.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<OutcomeRecord>,
    /// Replies received (acknowledgements included).
    pub replies: usize,
    /// Where to find it and its SIP.
    pub links: TransferLinks,
}

/// A transfer selected and described, not written yet.
#[derive(Debug, Clone)]
pub struct PreparedTransfer {
    /// Its id (`MessageIdentifier`).
    pub id: TransferId,
    /// What the SIP will say.
    pub request: TransferRequest,
    /// Its acts with their PDF sizes and log leaves, in manifest order.
    pub acts: Vec<ActObjects>,
    /// The séance unit's id, for a séance.
    pub seance: Option<String>,
}

/// Links of a transfer.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TransferLinks {
    /// `GET` the transfer.
    #[serde(rename = "self")]
    pub this: String,
    /// `GET` the SIP (zip).
    pub sip: String,
    /// `POST` the archive's reply (XML).
    pub reply: String,
}

impl Acta {
    /// The archiving configuration.
    pub fn archive_config(&self) -> &ArchiveConfig {
        &self.archive
    }

    /// Select, write the SIP (into `out`, or a temporary file), store it and
    /// record the transfer. `progress` is told how many acts are packed.
    pub async fn create_transfer(
        &self,
        spec: TransferSpec,
        out: Option<&Path>,
        progress: Option<Progress>,
    ) -> Result<TransferView, ArchiveError> {
        let prepared = self.prepare_transfer(&spec).await?;
        let id = prepared.id;
        let path =
            out.map_or_else(|| std::env::temp_dir().join(format!("acta-sip-{id}.zip")), Path::to_owned);
        let acts: Vec<ActId> = prepared.acts.iter().map(|a| a.id).collect();
        let (profile, created_at, seance) =
            (prepared.request.profile, prepared.request.date, prepared.seance.clone());
        let written = self.write_sip_file(prepared.request, &path, prepared.acts, progress).await;
        let stored = match written {
            Ok(summary) => self.store_sip(&id, &path).await.map(|sha256| (summary, sha256)),
            Err(e) => Err(e),
        };
        if out.is_none() {
            let _ = std::fs::remove_file(&path);
        }
        let (summary, sha256) = stored?;
        let record = TransferRecord {
            id,
            collectivite: spec.collectivite.clone(),
            created_at,
            profile,
            spec,
            seance,
            acts,
            sip: SipInfo { size: summary.bytes_written, objects: summary.objects, sha256 },
        };
        let json = serde_json::to_vec_pretty(&record).expect("records serialise");
        self.store.create(&record::transfer_key(&id), Bytes::from(json)).await?;
        // The transfer exists now; its index entry is derived data, which
        // the next process start completes if this write fails.
        if let Err(e) = self.index_transfer(&record).await {
            tracing::error!(error = %e, transfer = %id, "transfer not indexed: listed after a restart");
        }
        Ok(view(record, None, 0))
    }

    /// Select the acts of `spec` and describe the transfer, writing nothing.
    pub async fn prepare_transfer(&self, spec: &TransferSpec) -> Result<PreparedTransfer, ArchiveError> {
        let profile = self
            .collectivites
            .get(&spec.collectivite)
            .ok_or_else(|| ServiceError::UnknownCollectivite(spec.collectivite.clone()))?;
        let comment = comment_of(spec)?;
        let select::Selected { selection, seance, leaves } = self.select(spec, profile).await?;
        let id = TransferId::generate();
        let acts = selection
            .acts()
            .map(|a| ActObjects { id: a.id, size: a.size, leaf: leaves.get(&a.id).copied() })
            .collect();
        let comment = comment.or_else(|| Some(default_comment(&selection, &profile.nom)));
        let request = TransferRequest {
            message_identifier: id.to_string(),
            date: now(),
            comment,
            profile: spec.profile.unwrap_or_else(|| self.archive.profile(profile)),
            agencies: self.archive.agencies(profile),
            selection,
        };
        Ok(PreparedTransfer { id, request, acts, seance })
    }

    /// Write the SIP of `request` into the file at `path`, reading the acts'
    /// objects from the store as the writer goes (see [`source`]).
    pub async fn write_sip_file(
        &self,
        request: TransferRequest,
        path: &Path,
        acts: Vec<ActObjects>,
        progress: Option<Progress>,
    ) -> Result<SipSummary, ArchiveError> {
        let (tx, mut source) = source::channel(progress, acts.len());
        let rules = self.archive.rules().clone();
        let path: PathBuf = path.to_owned();
        let writer = tokio::task::spawn_blocking(move || {
            let file = std::fs::File::create(&path).map_err(crate::seda::SedaError::Io)?;
            let (file, summary) = write_sip(std::io::BufWriter::new(file), &request, &rules, &mut source)?;
            file.into_inner().map_err(|e| crate::seda::SedaError::Io(e.into_error()))?.sync_all()?;
            Ok::<_, crate::seda::SedaError>(summary)
        });
        let (fetched, written) = tokio::join!(self.prefetch(acts, tx), writer);
        let written = written.map_err(|e| ServiceError::Internal(format!("SIP writer: {e}")))?;
        fetched?; // the store's failure explains the writer's, if both failed
        Ok(written?)
    }

    /// Keep the SIP file at `path` as the transfer's `sip.zip` (streamed,
    /// in parts when large); returns its SHA-256.
    async fn store_sip(&self, id: &TransferId, path: &Path) -> Result<String, ArchiveError> {
        Ok(self.store.create_from_file(&record::sip_key(id), path).await?.sha256)
    }

    /// The collectivité of transfer `id` (for access checks).
    pub async fn transfer_owner(&self, id: &TransferId) -> Result<Siren, ServiceError> {
        Ok(self.transfer_record(id).await?.collectivite)
    }

    /// Transfer `id` with its status.
    pub async fn transfer(&self, id: &TransferId) -> Result<TransferView, ArchiveError> {
        let record = self.transfer_record(id).await?;
        let outcome = self.outcome(id).await?;
        let replies = self.replies(id).await?;
        Ok(view(record, outcome, replies))
    }

    /// The stored SIP of transfer `id`, streamed.
    pub async fn transfer_sip(&self, id: &TransferId) -> Result<ObjectRead, ArchiveError> {
        self.transfer_record(id).await?;
        let read = self.store.read(&record::sip_key(id), None).await?;
        Ok(read.ok_or_else(|| ServiceError::Corrupt(format!("the SIP of transfer {id} is missing")))?)
    }

    /// The archive identifiers recorded for act `id`, one per accepting transfer.
    pub async fn act_archives(&self, id: &ActId) -> Result<Vec<ArchiveRecord>, ServiceError> {
        let mut out = Vec::new();
        for key in self.store.list(&record::act_archives_prefix(id)).await? {
            let Some(bytes) = self.store.get(&key).await? else { continue };
            out.push(
                serde_json::from_slice(&bytes).map_err(|e| ServiceError::Corrupt(format!("{key}: {e}")))?,
            );
        }
        Ok(out)
    }

    async fn transfer_record(&self, id: &TransferId) -> Result<TransferRecord, ServiceError> {
        let key = record::transfer_key(id);
        let bytes = self.store.get(&key).await?.ok_or(ServiceError::TransferNotFound)?;
        serde_json::from_slice(&bytes).map_err(|e| ServiceError::Corrupt(format!("{key}: {e}")))
    }

    /// How many replies transfer `id` received.
    async fn replies(&self, id: &TransferId) -> Result<usize, ServiceError> {
        let keys = self.store.list(&record::transfer_prefix(id)).await?;
        Ok(keys.iter().filter(|k| record::is_reply(k)).count())
    }

    async fn outcome(&self, id: &TransferId) -> Result<Option<OutcomeRecord>, ServiceError> {
        let key = record::outcome_key(id);
        let Some(bytes) = self.store.get(&key).await? else { return Ok(None) };
        serde_json::from_slice(&bytes).map(Some).map_err(|e| ServiceError::Corrupt(format!("{key}: {e}")))
    }
}

fn view(record: TransferRecord, outcome: Option<OutcomeRecord>, replies: usize) -> TransferView {
    let this = format!("/api/v1/transfers/{}", record.id);
    TransferView {
        id: record.id,
        collectivite: record.collectivite,
        status: outcome.as_ref().map_or(TransferStatus::Sent, |o| o.status),
        created_at: record.created_at,
        profile: record.profile,
        seance: record.seance,
        acts: record.acts,
        sip: record.sip,
        outcome,
        replies,
        links: TransferLinks { sip: format!("{this}/sip"), reply: format!("{this}/reply"), this },
    }
}

/// Longest `comment` accepted, in characters.
const MAX_COMMENT_CHARS: usize = 2000;

/// The request's `comment`, checked: it goes into the manifest, which must
/// stay valid XML whatever was typed. A blank comment counts as absent.
fn comment_of(spec: &TransferSpec) -> Result<Option<String>, ArchiveError> {
    let Some(comment) = spec.comment.as_deref().filter(|c| !c.trim().is_empty()) else { return Ok(None) };
    // Free text going into the manifest follows the one text policy.
    crate::domain::text::check(comment).map_err(|message| ArchiveError::field("/comment", message))?;
    if comment.chars().count() > MAX_COMMENT_CHARS {
        return Err(ArchiveError::field(
            "/comment",
            format!("ne doit pas dépasser {MAX_COMMENT_CHARS} caractères"),
        ));
    }
    Ok(Some(comment.trim().to_owned()))
}

fn default_comment(selection: &Selection, collectivite: &str) -> String {
    match selection {
        Selection::Seance(s) => {
            format!("Versement du dossier de la séance du {}", select::french_date(s.date))
        }
        Selection::Acts(acts) => format!("Versement de {} acte(s) de {collectivite}", acts.len()),
    }
}

/// Whether a store error is a create-only write that found the key taken.
fn taken(e: &StoreError) -> bool {
    matches!(e, StoreError::AlreadyExists(_))
}
