//! Verifying a document: is this PDF (or this SHA-256) a genuine sealed act,
//! unaltered, still in the register log?
//!
//! A *verdict* gathers three independent checks: the electronic seal embedded
//! in the PDF (integrity and origin), the act the file's SHA-256 belongs to,
//! and the act's leaf in the register log (inclusion proof against the signed
//! checkpoint). It says only what the public may know: number, date,
//! collectivité, never the content of the act.

use std::sync::Arc;

use bytes::Bytes;
use serde::Serialize;
use time::OffsetDateTime;

use super::{Acta, CollectiviteRef, ServiceError};
use crate::domain::{ActId, ActNumber, Sha256Digest};
use crate::seal::{SealReport, VerifyError};
use crate::store::keys;
use crate::tlog::{self, SealLeaf};

/// The answer to "is this a genuine sealed act?".
#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    /// True only when every check held.
    pub authentique: bool,
    /// One sentence in French, for people.
    pub verdict: String,
    /// SHA-256 of the document checked.
    pub sha256: Sha256Digest,
    /// The embedded electronic seal (absent when only a hash was given).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cachet: Option<SealCheck>,
    /// The act this document is (absent when none matches).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acte: Option<PublicAct>,
    /// The act's leaf in the register log.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registre: Option<LogCheck>,
    /// Every problem found, each with a stable code and a French message.
    pub problemes: Vec<Problem>,
}

/// The embedded seal.
#[derive(Debug, Clone, Serialize)]
pub struct SealCheck {
    /// Who sealed (certificate subject).
    pub signataire: String,
    /// SHA-256 of the seal certificate.
    pub certificat_sha256: Sha256Digest,
    /// Whether the certificate chains to a trusted root of this instance.
    pub certificat_reconnu: bool,
    /// Whether an RFC 3161 timestamp is embedded (PAdES B-T).
    pub horodatage: bool,
}

/// What the public may know about a sealed act.
#[derive(Debug, Clone, Serialize)]
pub struct PublicAct {
    /// Act id.
    pub id: ActId,
    /// Official number.
    pub numero: ActNumber,
    /// Issuing collectivité.
    pub collectivite: CollectiviteRef,
    /// Sealing time.
    #[serde(with = "time::serde::rfc3339")]
    pub scelle_le: OffsetDateTime,
    /// Set when the act was withdrawn (annulled, repealed…): the reason code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retire: Option<String>,
}

/// The act's place in the register log.
#[derive(Debug, Clone, Serialize)]
pub struct LogCheck {
    /// Leaf index.
    pub feuille: u64,
    /// Size of the signed tree the leaf was proven in.
    pub taille: u64,
    /// Whether the inclusion proof verified against the signed checkpoint.
    pub inclus: bool,
}

/// One failed check.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Problem {
    /// Stable code, e.g. `seal_invalid`.
    pub code: &'static str,
    /// What is wrong, in French.
    pub message: String,
}

impl Problem {
    fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self { code, message: message.into() }
    }
}

impl Acta {
    /// Verify a PDF: its seal, the act it is, and its leaf in the log. A
    /// file beyond the PDF reader's bounds is refused
    /// ([`ServiceError::PdfTooComplex`]), one that takes longer than the time
    /// budget answers [`ServiceError::VerifyTimeout`]; any other file gets a
    /// verdict.
    pub async fn verify_pdf(&self, pdf: Bytes) -> Result<Verdict, ServiceError> {
        let (sha256, seal) = self.check_seal(pdf).await?;
        let mut problems = Vec::new();
        let cachet = match seal {
            Ok((report, trusted)) => {
                if !trusted {
                    problems.push(Problem::new(
                        "seal_untrusted",
                        "le certificat du cachet n'émane d'aucune autorité reconnue par ce service",
                    ));
                }
                Some(SealCheck {
                    signataire: report.signer_subject.clone(),
                    certificat_sha256: report.signer_sha256.clone(),
                    certificat_reconnu: trusted,
                    horodatage: report.timestamped,
                })
            }
            Err(e) => {
                problems.push(Problem::new("seal_invalid", e.french()));
                None
            }
        };
        let (mut verdict, logged) = self.check_hash(sha256).await?;
        // The seal certificate must be the one the log recorded for this act.
        if let (Some(c), Some(logged)) = (&cachet, &logged)
            && *logged != c.certificat_sha256
        {
            problems.push(Problem::new(
                "seal_certificate_mismatch",
                "le cachet n'est pas celui inscrit au registre pour cet acte",
            ));
        }
        problems.append(&mut verdict.problemes);
        verdict.cachet = cachet;
        verdict.problemes = problems;
        verdict.conclude();
        Ok(verdict)
    }

    /// The file's SHA-256 and what its seal says, computed on the blocking
    /// pool by one of the verification slots, all within the time budget.
    /// The slot is held until the work ends, even past the budget, so that
    /// hostile files cannot occupy more threads than there are slots.
    async fn check_seal(
        &self,
        pdf: Bytes,
    ) -> Result<(Sha256Digest, Result<(SealReport, bool), VerifyError>), ServiceError> {
        let budget = self.verify_timeout;
        let work = async {
            let slot = Arc::clone(&self.verify_slots)
                .acquire_owned()
                .await
                .map_err(|e| ServiceError::Internal(format!("verification slots: {e}")))?;
            let trust = Arc::clone(&self.trust);
            tokio::task::spawn_blocking(move || {
                let _slot = slot;
                (Sha256Digest::of(&pdf), trust.verify(&pdf))
            })
            .await
            .map_err(|e| ServiceError::Internal(format!("verification task: {e}")))
        };
        let (sha256, seal) =
            tokio::time::timeout(budget, work).await.map_err(|_| ServiceError::VerifyTimeout(budget))??;
        match seal {
            Err(VerifyError::TooComplex(limit)) => Err(ServiceError::PdfTooComplex(limit)),
            seal => Ok((sha256, seal)),
        }
    }

    /// Verify a SHA-256: the act it belongs to and its leaf in the log (the
    /// seal itself cannot be checked without the file).
    pub async fn verify_hash(&self, sha256: Sha256Digest) -> Result<Verdict, ServiceError> {
        self.check_hash(sha256).await.map(|(verdict, _)| verdict)
    }

    /// [`Acta::verify_hash`], and the seal certificate the log recorded for
    /// the act when its leaf matches (compared with the file's by
    /// [`Acta::verify_pdf`]).
    async fn check_hash(
        &self,
        sha256: Sha256Digest,
    ) -> Result<(Verdict, Option<Sha256Digest>), ServiceError> {
        let mut logged = None;
        let mut verdict = Verdict {
            authentique: false,
            verdict: String::new(),
            sha256: sha256.clone(),
            cachet: None,
            acte: None,
            registre: None,
            problemes: Vec::new(),
        };
        let Some(id) = self.act_of_hash(&sha256).await? else {
            verdict.problemes.push(Problem::new(
                "unknown_document",
                "aucun acte scellé par ce service ne correspond à ce document (modifié, ou d'une autre origine)",
            ));
            verdict.conclude();
            return Ok((verdict, logged));
        };
        let draft = self.load_draft(&id).await?;
        let sealed = self
            .load_sealed(&id)
            .await?
            .ok_or_else(|| ServiceError::Corrupt(format!("{id} is indexed by hash but not sealed")))?;
        let profile = self.profile_of(&draft)?;
        let withdrawn = self.withdrawal(&id).await?;
        if let Some(w) = &withdrawn {
            verdict.problemes.push(Problem::new(
                "withdrawn",
                format!("l'acte a été retiré ({}) le {}", w.reason, french_date(w.at)),
            ));
        }
        verdict.acte = Some(PublicAct {
            id,
            numero: sealed.number.clone(),
            collectivite: CollectiviteRef { siren: profile.siren.clone(), nom: profile.nom.clone() },
            scelle_le: sealed.sealed_at,
            retire: withdrawn.map(|w| w.reason),
        });
        if sealed.hashes.sha256 != sha256 {
            verdict
                .problemes
                .push(Problem::new("hash_mismatch", "l'empreinte ne correspond pas à l'acte enregistré"));
        }
        match self.proof_of_leaf(&id, sealed.leaf).await {
            Ok(proof) => {
                let included = self.check_proof(&proof, &sha256, &mut verdict.problemes, &mut logged);
                verdict.registre =
                    Some(LogCheck { feuille: proof.leaf_index, taille: proof.tree_size, inclus: included });
            }
            Err(ServiceError::Corrupt(m)) => {
                verdict
                    .problemes
                    .push(Problem::new("not_in_log", format!("l'acte n'est pas au registre : {m}")));
            }
            Err(e) => return Err(e),
        }
        verdict.conclude();
        Ok((verdict, logged))
    }

    /// Check a proof independently of how it was produced: the checkpoint's
    /// signature with the published key, the leaf's content, the Merkle path.
    /// `logged` receives the seal certificate of a matching leaf.
    fn check_proof(
        &self,
        proof: &super::Proof,
        sha256: &Sha256Digest,
        problems: &mut Vec<Problem>,
        logged: &mut Option<Sha256Digest>,
    ) -> bool {
        let checkpoint = match tlog::verify_checkpoint(&proof.checkpoint, &self.log_vkey) {
            Ok(c) => c,
            Err(e) => {
                problems.push(Problem::new(
                    "checkpoint_invalid",
                    format!("le point de contrôle du registre n'est pas valide : {e}"),
                ));
                return false;
            }
        };
        match SealLeaf::parse(proof.leaf.as_bytes()) {
            Ok(leaf) if leaf.sha256 == *sha256 => *logged = Some(leaf.seal_cert_sha256),
            _ => {
                problems.push(Problem::new(
                    "leaf_mismatch",
                    "l'inscription au registre ne correspond pas à ce document",
                ));
                return false;
            }
        }
        let path: Option<Vec<[u8; 32]>> =
            proof.inclusion.iter().map(|h| hex::decode(h).ok().and_then(|b| b.try_into().ok())).collect();
        let included = path.is_some_and(|path| {
            tlog::verify_inclusion(
                &tlog::leaf_hash(proof.leaf.as_bytes()),
                proof.leaf_index,
                checkpoint.size,
                &path,
                &checkpoint.root,
            )
        });
        if !included {
            problems.push(Problem::new(
                "inclusion_failed",
                "la preuve d'inscription au registre ne se vérifie pas",
            ));
        }
        included
    }

    async fn act_of_hash(&self, sha256: &Sha256Digest) -> Result<Option<ActId>, ServiceError> {
        let Some(bytes) = self.store.get(&keys::by_sha256(sha256)).await? else { return Ok(None) };
        let text = String::from_utf8_lossy(&bytes);
        text.trim().parse().map(Some).map_err(|_| {
            ServiceError::Corrupt(format!("hash pointer {} is unreadable", keys::by_sha256(sha256)))
        })
    }
}

impl Verdict {
    fn conclude(&mut self) {
        self.authentique = self.problemes.is_empty() && self.acte.is_some();
        self.verdict = match (&self.acte, self.problemes.first()) {
            (Some(acte), None) => format!(
                "Document authentique : acte n° {} de {}, scellé le {}, inscrit au registre{}.",
                acte.numero,
                acte.collectivite.nom,
                french_date(acte.scelle_le),
                self.registre
                    .as_ref()
                    .map(|r| format!(" (inscription n° {})", r.feuille + 1))
                    .unwrap_or_default()
            ),
            (_, Some(p)) => format!("Document NON authentique : {}.", p.message),
            (None, None) => "Document NON authentique.".to_owned(),
        };
    }
}

/// `05/12/2026 à 23:04 (heure de Paris)`: the time people in a mairie read,
/// the same on the command line, in the API's message and on the web page.
pub(crate) fn french_date(t: OffsetDateTime) -> String {
    let t = crate::register::in_paris(t);
    format!(
        "{:02}/{:02}/{} à {:02}:{:02} (heure de Paris)",
        t.day(),
        u8::from(t.month()),
        t.year(),
        t.hour(),
        t.minute()
    )
}
