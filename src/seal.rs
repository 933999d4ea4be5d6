//! Sealing: what turns a final rendering into the official, immutable record.
//!
//! Today a seal is the *hash record*: SHA-256 and SHA-512 of the exact bytes
//! that are stored and served. The electronic seal embedded in the PDF (PAdES)
//! slots in at [`apply`]: it receives the final PDF and returns the bytes to
//! store, and the hashes are always computed over what [`apply`] returned.

use serde::{Deserialize, Serialize};

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
