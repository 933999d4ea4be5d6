//! The act's side of the register log ([`crate::tlog`]): one leaf per sealed
//! act, appended once; inclusion proofs; the background task that integrates
//! new leaves into the signed tree.
//!
//! *Appending* (claiming the next leaf index) is part of sealing and is what
//! makes an act "in the log". *Integrating* (writing tiles, signing the new
//! checkpoint) is batched by a background task, finished at start-up, and done
//! on demand when a proof is asked for a leaf not yet covered.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use super::{Acta, ServiceError};
use crate::act::{Draft, SealInfo};
use crate::domain::ActId;
use crate::register::Entry;
use crate::seal::Hashes;
use crate::store::{StoreError, keys};
use crate::tlog::note::SignedCheckpoint;
use crate::tlog::{self, SealLeaf};

/// How long the integrator waits after a first new leaf, to batch the next ones.
const BATCH_DELAY: Duration = Duration::from_millis(20);

/// Where an act's leaf is (`acts/<id>/leaf.json`).
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct LeafPointer {
    index: u64,
}

/// The inclusion proof of a sealed act, as `GET /api/v1/acts/{id}/proof` returns it.
#[derive(Debug, Clone, Serialize)]
pub struct Proof {
    /// Index of the act's leaf.
    pub leaf_index: u64,
    /// The leaf, as logged (canonical text).
    pub leaf: String,
    /// Size of the tree the proof is for.
    pub tree_size: u64,
    /// The inclusion proof: hex SHA-256 hashes, leaf to root (RFC 9162 §2.1.3).
    pub inclusion: Vec<String>,
    /// The signed checkpoint (C2SP signed note) of that tree.
    pub checkpoint: String,
    /// The verifier key of the log (signed-note `vkey`).
    pub verifier_key: String,
}

impl Acta {
    /// Append the act's leaf unless it is in the log already; returns its
    /// index. One leaf per act whatever the races: two processes sealing the
    /// same draft, a retry, a recovery after a crash between appending and
    /// recording the pointer all meet in [`tlog::Log::append_once`], which
    /// looks for the act's leaf at every index from the log size when the
    /// number was taken (`entry.log_from`) up to the one it claims.
    pub(super) async fn append_leaf(
        &self,
        draft: &Draft,
        entry: &Entry,
        hashes: &Hashes,
        seal: &SealInfo,
    ) -> Result<u64, ServiceError> {
        if let Some(index) = self.leaf_pointer(&draft.id).await? {
            return Ok(index);
        }
        let leaf = SealLeaf {
            collectivite: draft.collectivite.clone(),
            acte: entry.number.clone(),
            kind: draft.template.clone(),
            id: draft.id,
            sha256: hashes.sha256.clone(),
            seal_cert_sha256: seal.certificate_sha256.clone(),
            sealed: entry.sealed_at,
        };
        let id = draft.id;
        let index = self
            .log
            .append_once(&leaf.to_bytes(), entry.log_from, move |bytes| {
                SealLeaf::parse(bytes).is_ok_and(|l| l.id == id)
            })
            .await?;
        let pointer = serde_json::to_vec(&LeafPointer { index }).expect("pointers serialise");
        match self.store.create(&keys::act_leaf(&draft.id), Bytes::from(pointer)).await {
            Ok(()) => Ok(index),
            // Another process recorded it meanwhile: the same leaf.
            Err(StoreError::AlreadyExists(_)) => {
                Ok(self.leaf_pointer(&draft.id).await?.expect("the pointer was just found"))
            }
            Err(e) => Err(e.into()),
        }
    }

    async fn leaf_pointer(&self, id: &ActId) -> Result<Option<u64>, ServiceError> {
        let Some(bytes) = self.store.get(&keys::act_leaf(id)).await? else { return Ok(None) };
        let pointer: LeafPointer = serde_json::from_slice(&bytes)
            .map_err(|e| ServiceError::Corrupt(format!("leaf pointer of {id}: {e}")))?;
        Ok(Some(pointer.index))
    }

    /// Integrate every appended leaf into the signed tree now.
    pub async fn integrate_log(&self) -> Result<tlog::Checkpoint, ServiceError> {
        Ok(self.log.integrate().await?)
    }

    /// Keep integrating new leaves in the background, in batches, until the
    /// process stops. A failure is logged and retried at the next leaf (and at
    /// the latest at the next start-up).
    pub fn spawn_log_integrator(self: &Arc<Self>) {
        let acta = Arc::downgrade(self);
        let pending = Arc::clone(&self.log_pending);
        tokio::spawn(async move {
            loop {
                pending.notified().await;
                tokio::time::sleep(BATCH_DELAY).await;
                let Some(acta) = acta.upgrade() else { return };
                if let Err(e) = acta.log.integrate().await {
                    tracing::error!(error = %e, "register log integration failed; retrying at the next seal");
                }
            }
        });
    }

    /// The inclusion proof of sealed act `id` in the latest checkpoint
    /// (integrating first if its leaf is not covered yet).
    pub async fn proof(&self, id: &ActId) -> Result<Proof, ServiceError> {
        let sealed = self.load_sealed(id).await?.ok_or(ServiceError::ActNotFound)?;
        self.proof_of_leaf(id, sealed.leaf).await
    }

    /// The inclusion proof of `leaf`, the leaf of sealed act `id`, in the
    /// latest checkpoint; an act without a leaf is a corrupt record.
    pub(super) async fn proof_of_leaf(&self, id: &ActId, leaf: Option<u64>) -> Result<Proof, ServiceError> {
        let index =
            leaf.ok_or_else(|| ServiceError::Corrupt(format!("act {id} has no leaf in the register log")))?;
        let checkpoint = self.checkpoint_covering(index).await?;
        self.proof_at(index, &checkpoint).await
    }

    /// The latest checkpoint, integrating first if it does not cover leaf
    /// `index` yet.
    pub(super) async fn checkpoint_covering(&self, index: u64) -> Result<SignedCheckpoint, ServiceError> {
        let mut checkpoint = self.log.checkpoint().await?;
        if checkpoint.as_ref().is_none_or(|c| c.checkpoint.size <= index) {
            self.log.integrate().await?;
            checkpoint = self.log.checkpoint().await?;
        }
        checkpoint.ok_or_else(|| ServiceError::Corrupt("the register log has no checkpoint".into()))
    }

    /// The inclusion proof of leaf `index` in the tree of `checkpoint`.
    pub(super) async fn proof_at(
        &self,
        index: u64,
        checkpoint: &tlog::SignedCheckpoint,
    ) -> Result<Proof, ServiceError> {
        let size = checkpoint.checkpoint.size;
        let leaf =
            self.log.leaf(index).await?.ok_or_else(|| {
                ServiceError::Corrupt(format!("leaf {index} of the register log is missing"))
            })?;
        let inclusion = self.log.inclusion_proof(index, size).await?;
        Ok(Proof {
            leaf_index: index,
            leaf: String::from_utf8_lossy(&leaf).into_owned(),
            tree_size: size,
            inclusion: inclusion.iter().map(hex::encode).collect(),
            checkpoint: checkpoint.note.clone(),
            verifier_key: self.log_vkey.clone(),
        })
    }
}

impl Acta {
    /// A public object of the register log, by its C2SP path (`checkpoint`,
    /// `tile/<L>/<N>[.p/<W>]`, `tile/entries/<N>[.p/<W>]`); `None` for any
    /// other path or a tile not written yet. Leaves carry no personal data,
    /// so the whole log is public.
    pub async fn log_object(&self, path: &str) -> Result<Option<Bytes>, ServiceError> {
        if path != "checkpoint" && tlog::tile::Tile::parse_path(path).is_none() {
            return Ok(None);
        }
        Ok(self.store.get(&format!("{}{path}", tlog::log::PREFIX)).await?)
    }
}

/// How often the index looks in the log for acts sealed by other processes.
const FOLLOW_EVERY: Duration = Duration::from_secs(1);

impl Acta {
    /// Index the acts other processes sealed since the last call, read from
    /// the register log (the one ordered record of every sealing), from
    /// `cursor` on. Returns how many were indexed.
    ///
    /// A leaf whose act's seal record is not written yet (its sealing is in
    /// progress) stops the walk there, to be resumed next time, so that no
    /// act is indexed as a draft after being sealed.
    pub async fn follow_log(&self) -> Result<usize, ServiceError> {
        let mut cursor = self.follow_cursor.lock().await;
        let mut ids = Vec::new();
        let mut next = *cursor;
        while let Some(bytes) = self.log.leaf(next).await? {
            if let Ok(leaf) = SealLeaf::parse(&bytes) {
                let mine = self.indexed_here.lock().unwrap_or_else(|p| p.into_inner()).remove(&leaf.id);
                if !mine {
                    if self.load_sealed(&leaf.id).await?.is_none() {
                        break;
                    }
                    ids.push(leaf.id);
                }
            }
            next += 1;
        }
        let n = if ids.is_empty() { 0 } else { self.index_sealed(&ids).await? };
        *cursor = next;
        Ok(n)
    }

    /// Start following the log from its current end (the start-up catch-up
    /// covered everything before).
    pub(crate) async fn start_following_log(&self) -> Result<(), ServiceError> {
        *self.follow_cursor.lock().await = self.log.size_hint().await?;
        Ok(())
    }

    /// Follow the log in the background until the process stops.
    pub fn spawn_index_follower(self: &Arc<Self>) {
        let acta = Arc::downgrade(self);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(FOLLOW_EVERY).await;
                let Some(acta) = acta.upgrade() else { return };
                match acta.follow_log().await {
                    Ok(0) => {}
                    Ok(n) => tracing::debug!(indexed = n, "indexed acts sealed by another process"),
                    Err(e) => tracing::warn!(error = %e, "following the register log failed; retrying"),
                }
            }
        });
    }
}
