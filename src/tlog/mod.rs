//! The register log: a tamper-evident, append-only record of every sealed
//! (and withdrawn) act, as a C2SP tlog-tiles transparency log with Ed25519
//! signed checkpoints, kept in the object store.
//!
//! Terms:
//! - *leaf*: one entry, canonical text ([`leaf`]); leaf `i` is the i-th
//!   entry, from 0.
//! - *tree*: the RFC 6962 Merkle tree over the first `n` leaves; its *root*
//!   hash commits to all of them ([`hash`], [`proof`]).
//! - *tile*: a stored run of tree hashes, the C2SP storage unit ([`tile`]).
//! - *checkpoint*: the signed statement "the log has `n` leaves with root
//!   `r`" ([`note`]). Every checkpoint extends the previous one; an
//!   *inclusion proof* shows a leaf is in a checkpoint's tree, a
//!   *consistency proof* that one tree is a prefix of another.
//!
//! [`Log`] ties them to the store ([`log`]); [`audit`] re-checks everything
//! from the leaves. Anyone holding the published verifier key can check the
//! same things with standard tools (Go's `sumdb/tlog` and `note`, or a short
//! independent script: see `tests/tools/tlog_check.py`).

pub mod audit;
pub mod hash;
pub mod leaf;
pub mod log;
pub mod note;
pub mod proof;
mod read;
pub mod tile;

#[cfg(test)]
mod tests;

pub use audit::{AuditProblem, LogAudit};
pub use hash::{Hash, leaf_hash, node_hash};
pub use leaf::{Leaf, LeafError, SealLeaf, WithdrawLeaf, WithdrawReason};
pub use log::{Log, LogError};
pub use note::{Checkpoint, NoteError, NoteSigner, NoteVerifier, SignedCheckpoint, verify_checkpoint};
pub use proof::{verify_consistency, verify_inclusion};
