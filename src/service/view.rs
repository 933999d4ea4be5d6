//! How an act is shown to API clients.

use bytes::Bytes;

use crate::store::ObjectRead;
use serde::Serialize;
use time::OffsetDateTime;

use crate::act::{Correction, Draft, Sealed, Status};
use crate::collectivite::Profile;
use crate::domain::{ActId, ActNumber, Sha256Digest, Sha512Digest, Siren, TemplateId};
use crate::service::Withdrawal;
use crate::service::archive::ArchiveRecord;

/// The collectivité an act belongs to.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CollectiviteRef {
    /// SIREN.
    pub siren: Siren,
    /// Name.
    pub nom: String,
}

/// Where to go next.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Links {
    /// This act.
    #[serde(rename = "self")]
    pub this: String,
    /// Its PDF.
    pub pdf: String,
    /// Where to seal it (present while it is a draft).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seal: Option<String>,
    /// Its inclusion proof in the register log (present once sealed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proof: Option<String>,
}

/// An act, as the API returns it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActView {
    /// Act id.
    pub id: ActId,
    /// "draft" or "sealed".
    pub status: Status,
    /// Template id.
    pub template: TemplateId,
    /// Issuing collectivité.
    pub collectivite: CollectiviteRef,
    /// Title.
    pub title: String,
    /// Creation of the draft.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// SHA-256 of the canonical data.
    pub data_sha256: Sha256Digest,
    /// Official number (sealed acts).
    pub number: Option<ActNumber>,
    /// Sealing time (sealed acts).
    #[serde(with = "time::serde::rfc3339::option")]
    pub sealed_at: Option<OffsetDateTime>,
    /// SHA-256 of the sealed PDF.
    pub sha256: Option<Sha256Digest>,
    /// SHA-512 of the sealed PDF.
    pub sha512: Option<Sha512Digest>,
    /// Size of the sealed PDF in bytes.
    pub size: Option<u64>,
    /// The sealed act this one corrects (rectificatif, retrait).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub corrige: Option<Correction>,
    /// Its withdrawal, if it was withdrawn (the tombstone's leaf, the reason).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retrait: Option<Withdrawal>,
    /// The archive's identifiers, once a transfer of it was accepted.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub archives: Vec<ArchiveRecord>,
    /// Links.
    pub links: Links,
}

impl ActView {
    pub(super) fn new(draft: &Draft, profile: &Profile, sealed: Option<&Sealed>) -> Self {
        let this = format!("/api/v1/acts/{}", draft.id);
        Self {
            id: draft.id,
            status: if sealed.is_some() { Status::Sealed } else { Status::Draft },
            template: draft.template.clone(),
            collectivite: CollectiviteRef { siren: profile.siren.clone(), nom: profile.nom.clone() },
            title: draft.title.clone(),
            created_at: draft.created_at,
            data_sha256: draft.data_sha256.clone(),
            number: sealed.map(|s| s.number.clone()),
            sealed_at: sealed.map(|s| s.sealed_at),
            sha256: sealed.map(|s| s.hashes.sha256.clone()),
            sha512: sealed.map(|s| s.hashes.sha512.clone()),
            size: sealed.map(|s| s.hashes.size),
            corrige: draft.corrects.clone(),
            retrait: None,
            archives: Vec::new(),
            links: Links {
                pdf: format!("{this}/pdf"),
                seal: sealed.is_none().then(|| format!("{this}/seal")),
                proof: sealed.is_some().then(|| format!("{this}/proof")),
                this,
            },
        }
    }
}

/// A PDF to send.
#[derive(Debug)]
pub struct Pdf {
    /// The bytes: streamed from the store once sealed, rendered for a draft.
    pub body: PdfBody,
    /// File name to suggest.
    pub filename: String,
    /// SHA-256 of a sealed PDF (its entity tag); `None` for a draft's rendering.
    pub sha256: Option<crate::domain::Sha256Digest>,
}

/// Where a PDF's bytes come from.
#[derive(Debug)]
pub enum PdfBody {
    /// The sealed bytes (or a range of them), streamed from the store.
    Sealed(ObjectRead),
    /// The whole sealed PDF, from memory (see `pdf_cache.rs`).
    Memory(Bytes),
    /// A fresh "PROJET" rendering of a draft (ranges are not served).
    Draft(Bytes),
}
