//! Sealing: what turns a final rendering into the official, immutable record.
//!
//! Two things are called a seal here:
//!
//! - the *hash record* ([`Hashes`]): SHA-256 and SHA-512 of the exact bytes
//!   that are stored and served, computed over what [`apply`] returned;
//! - the *electronic seal* (eIDAS *cachet*) embedded in the PDF: a PAdES
//!   signature of the collectivité's seal certificate, made by [`Sealer`].
//!   *PAdES-B-B* is the signature alone; *PAdES-B-T* adds an RFC 3161
//!   timestamp over it, which proves the document existed at that time.
//!
//! The parts: [`pdf`] prepares the incremental update and embeds the
//! signature, [`cms`] builds the CAdES signature, [`signer`] holds the key,
//! [`tsa`] obtains timestamps, [`verify`] checks a sealed PDF, [`limits`]
//! bounds every reading of PDF bytes (verification reads untrusted files),
//! and [`pki`] makes a throw-away PKI for tests.

pub mod cms;
mod lexer;
pub mod limits;
pub mod pdf;
pub mod pki;
pub mod signer;
mod syntax;
pub mod tsa;
pub mod verify;
mod xref;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

pub use self::limits::Limit;
pub use self::pdf::PdfError;
pub use self::signer::{Pkcs12Signer, SealSigner, SignatureAlgorithm};
pub use self::tsa::{TsaClient, TsaError};
pub use self::verify::{
    SealReport, VerifyError, same_document, unsigned_form, verify, verify_against, verify_issued_by,
};
use crate::domain::{Sha256Digest, Sha512Digest};

/// Digests and size of a sealed document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hashes {
    /// SHA-256 of the stored bytes.
    pub sha256: Sha256Digest,
    /// SHA-512 of the stored bytes.
    pub sha512: Sha512Digest,
    /// Size in bytes.
    pub size: u64,
}

impl Hashes {
    /// Hashes of `bytes`.
    pub fn of(bytes: &[u8]) -> Self {
        Self { sha256: Sha256Digest::of(bytes), sha512: Sha512Digest::of(bytes), size: bytes.len() as u64 }
    }
}

/// Seal a final PDF: returns the bytes to store and their hashes.
pub fn apply(pdf: Vec<u8>) -> (Vec<u8>, Hashes) {
    let hashes = Hashes::of(&pdf);
    (pdf, hashes)
}

/// Why a document could not be sealed, or a seal set up.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    /// The PDF cannot take a seal.
    #[error(transparent)]
    Pdf(#[from] PdfError),
    /// The key cannot be loaded or is of an unsupported kind.
    #[error("seal key: {0}")]
    Key(String),
    /// A certificate cannot be read or made.
    #[error("seal certificate: {0}")]
    Certificate(String),
    /// The signer failed (device, network, key).
    #[error("signing failed: {0}")]
    Signer(String),
    /// ASN.1 encoding failed.
    #[error("ASN.1 encoding: {0}")]
    Encoding(#[from] der::Error),
    /// No timestamp could be obtained although a TSA is configured.
    #[error(transparent)]
    Tsa(#[from] TsaError),
    /// The sealed document does not pass its own verification.
    #[error("the sealed document fails its self-check: {0}")]
    SelfCheck(#[from] VerifyError),
    /// A file cannot be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A file that must not be overwritten exists.
    #[error("{} already exists; refusing to overwrite it", .0.display())]
    Exists(PathBuf),
    /// The blocking sealing task died.
    #[error("sealing task failed: {0}")]
    Task(String),
}

/// Makes PAdES seals: B-T when a TSA is configured, B-B otherwise.
#[derive(Clone)]
pub struct Sealer {
    signer: Arc<dyn SealSigner>,
    tsa: Option<TsaClient>,
    capacity: usize,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sealer")
            .field("certificate_sha256", &self.certificate_sha256().as_str())
            .field("tsa", &self.tsa.as_ref().map(TsaClient::url))
            .finish()
    }
}

impl Sealer {
    /// A sealer signing with `signer`, timestamping with `tsa` if any.
    pub fn new(signer: Arc<dyn SealSigner>, tsa: Option<TsaClient>) -> Self {
        Self { signer, tsa, capacity: pdf::DEFAULT_CAPACITY }
    }

    /// A sealer with the key of a PKCS#12 file and, optionally, the RFC 3161
    /// TSA at `tsa_url`.
    pub fn from_p12(path: &Path, password: &str, tsa_url: Option<&str>) -> Result<Self, SealError> {
        let signer = Pkcs12Signer::open(path, password)?;
        let tsa = tsa_url.map(TsaClient::new).transpose()?;
        Ok(Self::new(Arc::new(signer), tsa))
    }

    /// SHA-256 fingerprint of the seal certificate.
    pub fn certificate_sha256(&self) -> Sha256Digest {
        Sha256Digest::of(self.signer.certificate())
    }

    /// Whether seals get a timestamp (PAdES-B-T).
    pub fn timestamped(&self) -> bool {
        self.tsa.is_some()
    }

    /// Seal `pdf` at the claimed time `at` (written as `/M`) for `reason`.
    /// The result is verified before it is returned.
    pub async fn seal(&self, pdf: Vec<u8>, at: OffsetDateTime, reason: &str) -> Result<Vec<u8>, SealError> {
        let (signer, capacity, reason) = (self.signer.clone(), self.capacity, reason.to_owned());
        let (prepared, attrs, signature) = blocking(move || {
            let prepared = pdf::prepare(&pdf, &pdf::SigFields { at, reason: &reason, capacity })?;
            let attrs = cms::SignedAttrs::new(&prepared.digest(), signer.certificate())?;
            let signature = signer.sign(attrs.to_be_signed())?;
            Ok((prepared, attrs, signature))
        })
        .await?;
        let token = match &self.tsa {
            Some(tsa) => Some(tsa.stamp(&signature).await?.der),
            None => None,
        };
        let signer = self.signer.clone();
        blocking(move || finish(&*signer, prepared, attrs, signature, token.as_deref())).await
    }

    /// [`Sealer::seal`] without a timestamp and without a runtime: PAdES-B-B,
    /// deterministic for a given input, time and reason.
    pub fn seal_bb(&self, pdf: &[u8], at: OffsetDateTime, reason: &str) -> Result<Vec<u8>, SealError> {
        let prepared = pdf::prepare(pdf, &pdf::SigFields { at, reason, capacity: self.capacity })?;
        let attrs = cms::SignedAttrs::new(&prepared.digest(), self.signer.certificate())?;
        let signature = self.signer.sign(attrs.to_be_signed())?;
        finish(&*self.signer, prepared, attrs, signature, None)
    }
}

/// Assemble, embed and self-check.
fn finish(
    signer: &dyn SealSigner,
    prepared: pdf::Prepared,
    attrs: cms::SignedAttrs,
    signature: Vec<u8>,
    token: Option<&[u8]>,
) -> Result<Vec<u8>, SealError> {
    let cms =
        cms::assemble(attrs, signature, signer.algorithm(), signer.certificate(), signer.chain(), token)?;
    let sealed = prepared.embed(&cms)?;
    // Never hand out a seal that would not verify: a faulty signer (HSM,
    // remote service) or a bug here must fail the sealing, not the reader.
    let report = verify::verify(&sealed)?;
    if report.signer_sha256 != Sha256Digest::of(signer.certificate()) {
        return Err(SealError::SelfCheck(VerifyError::CertificateMismatch));
    }
    if report.timestamped != token.is_some() {
        return Err(SealError::SelfCheck(VerifyError::Malformed("the timestamp was not embedded".into())));
    }
    Ok(sealed)
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, SealError> + Send + 'static,
) -> Result<T, SealError> {
    tokio::task::spawn_blocking(f).await.map_err(|e| SealError::Task(e.to_string()))?
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod fuzz;
