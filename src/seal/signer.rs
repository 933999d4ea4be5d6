//! Who holds the seal key. A *signer* owns (or reaches) the private key and
//! knows its certificate and chain; the rest of the seal only ever hands it the
//! bytes to be signed (*tbs*: the DER `SET OF` signed attributes) and gets a
//! signature back, so that a PKCS#11 HSM or a remote signing service can stand
//! in for the PKCS#12 file later.
//!
//! [`Pkcs12Signer`] is the software implementation: ECDSA P-256 with SHA-256,
//! signatures DER-encoded and deterministic (RFC 6979), so sealing the same
//! prepared bytes twice gives the same signature. RSA keys are refused: the
//! only pure-Rust RSA of this crate generation (`rsa 0.9`) is exposed to
//! RUSTSEC-2023-0071 (Marvin timing attack); use an EC seal certificate or an
//! HSM.

use std::path::Path;

use der::Decode;
use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::{DerSignature, SigningKey, VerifyingKey};
use p256::pkcs8::DecodePrivateKey;
use x509_cert::Certificate;

use super::SealError;

/// The signature algorithms a signer may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignatureAlgorithm {
    /// ECDSA over NIST P-256 with SHA-256 (`ecdsa-with-SHA256`), DER signature.
    EcdsaP256Sha256,
}

/// The holder of a seal key.
pub trait SealSigner: Send + Sync {
    /// The seal certificate, DER.
    fn certificate(&self) -> &[u8];
    /// The certificates above it (intermediates, optionally the root), DER.
    fn chain(&self) -> &[Vec<u8>];
    /// The algorithm [`SealSigner::sign`] uses.
    fn algorithm(&self) -> SignatureAlgorithm;
    /// Sign `tbs` (the signer hashes it). Called from a blocking thread, so an
    /// implementation may wait on a device or the network.
    fn sign(&self, tbs: &[u8]) -> Result<Vec<u8>, SealError>;
}

/// A P-256 key and its certificates loaded from a PKCS#12 (`.p12`) file.
pub struct Pkcs12Signer {
    key: SigningKey,
    certificate: Vec<u8>,
    chain: Vec<Vec<u8>>,
}

impl std::fmt::Debug for Pkcs12Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print key material.
        f.debug_struct("Pkcs12Signer").field("chain", &self.chain.len()).finish_non_exhaustive()
    }
}

impl Pkcs12Signer {
    /// Load the first key entry of the PKCS#12 file at `path`.
    pub fn open(path: &Path, password: &str) -> Result<Self, SealError> {
        let der = std::fs::read(path).map_err(|source| SealError::Io { path: path.to_owned(), source })?;
        Self::from_pkcs12(&der, password)
    }

    /// Load the first key entry of a PKCS#12 archive.
    pub fn from_pkcs12(der: &[u8], password: &str) -> Result<Self, SealError> {
        let store = p12_keystore::KeyStore::from_pkcs12(der, password)
            .map_err(|e| SealError::Key(format!("PKCS#12: {e}")))?;
        let (_, entry) =
            store.private_key_chain().ok_or_else(|| SealError::Key("PKCS#12: no private key".into()))?;
        let certs: Vec<Vec<u8>> = entry.chain().iter().map(|c| c.as_der().to_vec()).collect();
        Self::from_pkcs8(entry.key(), certs)
    }

    /// A signer from a PKCS#8 private key (DER) and certificates (DER) in any
    /// order: the one whose public key matches the key is the seal
    /// certificate, the others its chain.
    pub fn from_pkcs8(key: &[u8], certs: Vec<Vec<u8>>) -> Result<Self, SealError> {
        let key = SigningKey::from_pkcs8_der(key).map_err(|e| {
            SealError::Key(format!("the key is not an ECDSA P-256 PKCS#8 key (RSA is not supported): {e}"))
        })?;
        let public = key.verifying_key().to_encoded_point(false);
        let mut leaf = None;
        let mut chain = Vec::new();
        for der in certs {
            let cert = Certificate::from_der(&der).map_err(|e| SealError::Certificate(e.to_string()))?;
            let spk = cert.tbs_certificate.subject_public_key_info.subject_public_key.raw_bytes();
            if leaf.is_none() && spk == public.as_bytes() {
                leaf = Some(der);
            } else {
                chain.push(der);
            }
        }
        let certificate =
            leaf.ok_or_else(|| SealError::Key("no certificate matches the private key".into()))?;
        Ok(Self { key, certificate, chain })
    }

    /// The public key, for checks.
    pub fn verifying_key(&self) -> VerifyingKey {
        *self.key.verifying_key()
    }
}

impl SealSigner for Pkcs12Signer {
    fn certificate(&self) -> &[u8] {
        &self.certificate
    }

    fn chain(&self) -> &[Vec<u8>] {
        &self.chain
    }

    fn algorithm(&self) -> SignatureAlgorithm {
        SignatureAlgorithm::EcdsaP256Sha256
    }

    fn sign(&self, tbs: &[u8]) -> Result<Vec<u8>, SealError> {
        let sig: DerSignature = self.key.try_sign(tbs).map_err(|e| SealError::Signer(e.to_string()))?;
        Ok(sig.as_bytes().to_vec())
    }
}
