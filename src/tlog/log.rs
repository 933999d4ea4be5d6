//! The register log over the object store: appending leaves, integrating them
//! into the signed tree, and reading proofs back.
//!
//! Store layout (under `log/`):
//! - `leaves/<index:012>`: one leaf each. *Claiming* an index is a
//!   create-only write of the leaf there: whoever creates the object owns the
//!   index, so any number of processes may append, and indexes have no gaps.
//!   This is the commit point: a leaf whose object exists is in the log.
//! - `tile/...`: the C2SP tiles and entry bundles ([`super::tile`]), derived
//!   from the leaves. Written create-only; finding one already there is
//!   normal (another integrator wrote it) and its bytes must be the same.
//! - `checkpoint`: the latest signed checkpoint, replaced by compare-and-swap
//!   only, and only with a bigger tree.
//! - `checkpoints/<size:012>`: every checkpoint ever signed (create-only),
//!   the history audits check the log against.
//!
//! *Integrating* turns the claimed leaves past the current checkpoint into
//! tiles and a new checkpoint. Because the leaves are fixed by create-only
//! writes, and tiles and Ed25519 signatures are deterministic, concurrent
//! integrators compute the same bytes for the same size: they can race, one
//! wins the swap and the others adopt its checkpoint, but they cannot fork.
//! Each integrator still checks, before publishing and whenever it reads a
//! checkpoint it did not write, that the new tree is consistent with the one
//! it knew (RFC 9162 consistency proof); a failure is [`LogError::Fork`].

use std::collections::BTreeMap;
use std::sync::Mutex;

use bytes::Bytes;

use super::hash::leaf_hash;
use super::note::{Checkpoint, NoteError, NoteSigner, NoteVerifier, SignedCheckpoint, open_checkpoint};
use super::proof;
use super::tile::{Edge, Level, MAX_LEAF_LEN, Tile, TileSet, decode_entries, decode_hashes};
use crate::store::{Store, StoreError, Version};

/// Prefix of every object of the register log.
pub const PREFIX: &str = "log/";
/// Key of the latest checkpoint.
pub const CHECKPOINT_KEY: &str = "log/checkpoint";
/// Prefix of the leaves.
pub const LEAVES_PREFIX: &str = "log/leaves/";
/// Prefix of the checkpoint history.
pub const HISTORY_PREFIX: &str = "log/checkpoints/";

/// Key of leaf `index`.
pub fn leaf_key(index: u64) -> String {
    format!("{LEAVES_PREFIX}{index:012}")
}

/// Key of the kept copy of the checkpoint of `size` leaves.
pub fn history_key(size: u64) -> String {
    format!("{HISTORY_PREFIX}{size:012}")
}

/// Key of a tile.
pub fn tile_key(tile: &Tile) -> String {
    format!("{PREFIX}{}", tile.path())
}

/// A register log operation failed.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// An object of the log is missing or unreadable where it must exist.
    #[error("register log object {key} is corrupt: {reason}")]
    Corrupt {
        /// Its key.
        key: String,
        /// What is wrong.
        reason: String,
    },
    /// A stored checkpoint is not signed by the log's key.
    #[error("checkpoint {key} does not verify: {source}")]
    BadSignature {
        /// Its key.
        key: String,
        /// Why.
        source: NoteError,
    },
    /// Two trees that should extend one another do not.
    #[error("the register log has forked: {0}")]
    Fork(String),
    /// A leaf longer than an entry bundle can hold.
    #[error("a leaf of {0} bytes is longer than the 65535 bytes allowed")]
    LeafTooLarge(usize),
    /// A proof was asked for a tree no checkpoint covers yet.
    #[error("no checkpoint covers {size} leaves yet (latest covers {published})")]
    NotPublished {
        /// Size asked for.
        size: u64,
        /// Size of the latest checkpoint.
        published: u64,
    },
    /// A leaf index or tree size out of range.
    #[error("leaf {index} is not in a tree of {size} leaves")]
    OutOfRange {
        /// Index asked for.
        index: u64,
        /// Tree size.
        size: u64,
    },
    /// The checkpoint could not be signed.
    #[error("cannot sign the checkpoint: {0}")]
    Sign(NoteError),
}

pub(super) fn corrupt(key: impl Into<String>, reason: impl Into<String>) -> LogError {
    LogError::Corrupt { key: key.into(), reason: reason.into() }
}

/// What the integrator knows: the latest checkpoint it saw, the version to
/// swap it against, and the tree's right edge.
#[derive(Debug, Clone)]
pub(super) struct State {
    pub(super) signed: Option<SignedCheckpoint>,
    version: Option<Version>,
    pub(super) edge: Edge,
}

/// The register log. One per process is enough; it is safe to share
/// (`Arc<Log>`) between tasks, and several processes may share one store.
#[derive(Debug)]
pub struct Log {
    pub(super) store: Store,
    signer: NoteSigner,
    pub(super) verifier: NoteVerifier,
    /// Next index to try when appending; every index below it is claimed.
    next: Mutex<Option<u64>>,
    /// Leaves appended here and not yet integrated (saves reading them back).
    pending: Mutex<BTreeMap<u64, Bytes>>,
    /// The integrator's state (`None` until first needed, or after an error).
    pub(super) state: tokio::sync::Mutex<Option<State>>,
}

impl Log {
    /// The log stored in `store`, signed by `signer`, whose name is the log's
    /// origin.
    pub fn new(store: Store, signer: NoteSigner) -> Self {
        let verifier = signer.verifier();
        Self {
            store,
            signer,
            verifier,
            next: Mutex::new(None),
            pending: Mutex::new(BTreeMap::new()),
            state: tokio::sync::Mutex::new(None),
        }
    }

    /// The same log, signed by the same key, through another handle on its
    /// store (e.g. once the store's write mode is probed).
    pub fn on(&self, store: Store) -> Self {
        Self::new(store, self.signer.clone())
    }

    /// The verifier of the log's checkpoints (publish its `vkey()`).
    pub fn verifier(&self) -> &NoteVerifier {
        &self.verifier
    }

    /// Claim the next free index for `leaf` (at most 65535 bytes); returns it.
    /// The leaf is in the log once this returns, and in a checkpoint after
    /// the next [`Log::integrate`].
    pub async fn append(&self, leaf: &[u8]) -> Result<u64, LogError> {
        if leaf.len() > MAX_LEAF_LEN {
            return Err(LogError::LeafTooLarge(leaf.len()));
        }
        let hinted = *self.next.lock().unwrap_or_else(|p| p.into_inner());
        // Without a hint, start at the checkpoint size: every index below it
        // is claimed, so no index is ever skipped.
        let mut index = match hinted {
            Some(n) => n,
            None => self.published_size().await?,
        };
        let bytes = Bytes::copy_from_slice(leaf);
        loop {
            match self.store.create(&leaf_key(index), bytes.clone()).await {
                Ok(()) => break,
                // Another writer owns it: try the next.
                Err(StoreError::AlreadyExists(_)) => index += 1,
                Err(e) => return Err(e.into()),
            }
        }
        self.bump_next(index + 1);
        self.pending.lock().unwrap_or_else(|p| p.into_inner()).insert(index, bytes);
        Ok(index)
    }

    /// Append `leaf` once: unless a leaf that `same` recognises is claimed
    /// at or after index `from`, in which case its index is returned and
    /// nothing is written. `from` must be a lower bound on the index of any
    /// such leaf (the log size before the operation the leaf records began).
    ///
    /// Exactly one leaf results whatever the races and crashes: every index
    /// from `from` to the one finally claimed is either claimed here or read
    /// and found to be another operation's, and claims are create-only. Two
    /// writers of the same operation therefore cannot both claim: the later
    /// claim would have read the earlier one's leaf on its way up. A writer
    /// that died after claiming is found by the next attempt the same way.
    pub async fn append_once(
        &self,
        leaf: &[u8],
        from: u64,
        same: impl Fn(&[u8]) -> bool,
    ) -> Result<u64, LogError> {
        if leaf.len() > MAX_LEAF_LEN {
            return Err(LogError::LeafTooLarge(leaf.len()));
        }
        let bytes = Bytes::copy_from_slice(leaf);
        let mut index = from;
        loop {
            match self.store.create(&leaf_key(index), bytes.clone()).await {
                Ok(()) => break,
                Err(StoreError::AlreadyExists(_)) => {
                    let existing = self
                        .leaf(index)
                        .await?
                        .ok_or_else(|| corrupt(leaf_key(index), "claimed but unreadable while appending"))?;
                    if same(&existing) {
                        self.bump_next(index + 1);
                        return Ok(index);
                    }
                    index += 1;
                }
                Err(e) => return Err(e.into()),
            }
        }
        self.bump_next(index + 1);
        self.pending.lock().unwrap_or_else(|p| p.into_inner()).insert(index, bytes);
        Ok(index)
    }

    fn bump_next(&self, at_least: u64) {
        let mut next = self.next.lock().unwrap_or_else(|p| p.into_inner());
        *next = Some(next.map_or(at_least, |n| n.max(at_least)));
    }

    /// A lower bound on the index of any leaf appended from now on (by any
    /// process): the number of leaves known to be claimed.
    pub async fn size_hint(&self) -> Result<u64, LogError> {
        let hinted = *self.next.lock().unwrap_or_else(|p| p.into_inner());
        match hinted {
            Some(n) => Ok(n),
            None => self.published_size().await,
        }
    }

    pub(super) async fn published_size(&self) -> Result<u64, LogError> {
        Ok(self.checkpoint().await?.map_or(0, |c| c.checkpoint.size))
    }

    /// Leaf `index`, if claimed.
    pub async fn leaf(&self, index: u64) -> Result<Option<Bytes>, LogError> {
        let cached = self.pending.lock().unwrap_or_else(|p| p.into_inner()).get(&index).cloned();
        match cached {
            Some(bytes) => Ok(Some(bytes)),
            None => Ok(self.store.get(&leaf_key(index)).await?),
        }
    }

    /// The first claimed leaf from index `from` on that `pred` accepts (for
    /// finishing an operation interrupted after its leaf was appended).
    pub async fn find_from(
        &self,
        from: u64,
        pred: impl Fn(&[u8]) -> bool,
    ) -> Result<Option<(u64, Bytes)>, LogError> {
        let mut index = from;
        while let Some(bytes) = self.leaf(index).await? {
            if pred(&bytes) {
                return Ok(Some((index, bytes)));
            }
            index += 1;
        }
        Ok(None)
    }

    /// The latest published checkpoint, verified with the log's key.
    pub async fn checkpoint(&self) -> Result<Option<SignedCheckpoint>, LogError> {
        match self.store.get(CHECKPOINT_KEY).await? {
            Some(bytes) => Ok(Some(self.open(CHECKPOINT_KEY, &bytes)?)),
            None => Ok(None),
        }
    }

    pub(super) fn open(&self, key: &str, bytes: &[u8]) -> Result<SignedCheckpoint, LogError> {
        let note = String::from_utf8(bytes.to_vec()).map_err(|_| corrupt(key, "not UTF-8"))?;
        let checkpoint = open_checkpoint(&note, &self.verifier)
            .map_err(|source| LogError::BadSignature { key: key.to_owned(), source })?;
        Ok(SignedCheckpoint { checkpoint, note })
    }

    /// Integrate every claimed leaf past the latest checkpoint (all that are
    /// contiguous) and publish the checkpoint of the bigger tree; returns the
    /// latest checkpoint, which may be another integrator's if it got there
    /// first. With no checkpoint yet, publishes one (of size 0 if need be).
    pub async fn integrate(&self) -> Result<Checkpoint, LogError> {
        let mut guard = self.state.lock().await;
        loop {
            // Taken out so that an error leaves `None`: reloaded next time.
            let state = match guard.take() {
                Some(state) => state,
                None => self.load_state().await?,
            };
            let leaves = self.leaves_from(state.edge.size()).await?;
            if let (true, Some(signed)) = (leaves.is_empty(), &state.signed) {
                let checkpoint = signed.checkpoint.clone();
                *guard = Some(state);
                return Ok(checkpoint);
            }
            let mut edge = state.edge.clone();
            let mut known = state.edge.tile_set();
            for (tile, body) in edge.extend(&leaves) {
                self.write_tile(&tile, &body).await?;
                if let Level::Hashes(l) = tile.level {
                    known.insert(l, tile.index, decode_hashes(&body, tile.width).expect("tiles we encoded"));
                }
            }
            let checkpoint =
                Checkpoint { origin: self.signer.name().to_owned(), size: edge.size(), root: edge.root() };
            if let Some(old) = &state.signed {
                self.check_consistency(&old.checkpoint, &checkpoint, &mut known).await?;
            }
            let note = checkpoint.sign(&self.signer).map_err(LogError::Sign)?;
            self.keep_in_history(&checkpoint, &note).await?;
            let body = Bytes::from(note.clone());
            match self.store.put_if(CHECKPOINT_KEY, body, state.version.as_ref()).await {
                Ok(version) => {
                    let size = checkpoint.size;
                    let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
                    *pending = pending.split_off(&size);
                    drop(pending);
                    self.bump_next(size);
                    let signed = SignedCheckpoint { checkpoint: checkpoint.clone(), note };
                    *guard = Some(State { signed: Some(signed), version: Some(version), edge });
                    return Ok(checkpoint);
                }
                Err(StoreError::Conflict(_)) => {
                    // Someone else published: adopt theirs if it extends what
                    // we knew and what we built (or is extended by it).
                    let fresh = self.load_state().await?;
                    if let Some(theirs) = &fresh.signed {
                        if let Some(ours) = &state.signed {
                            self.check_consistency(
                                &ours.checkpoint,
                                &theirs.checkpoint,
                                &mut TileSet::default(),
                            )
                            .await?;
                        }
                        self.check_consistency(&checkpoint, &theirs.checkpoint, &mut TileSet::default())
                            .await?;
                    }
                    *guard = Some(fresh);
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// The contiguous claimed leaves from `from` on.
    async fn leaves_from(&self, from: u64) -> Result<Vec<Bytes>, LogError> {
        let mut leaves = Vec::new();
        while let Some(bytes) = self.leaf(from + leaves.len() as u64).await? {
            if bytes.len() > MAX_LEAF_LEN {
                return Err(corrupt(leaf_key(from + leaves.len() as u64), "longer than 65535 bytes"));
            }
            leaves.push(bytes);
        }
        Ok(leaves)
    }

    /// Read the published checkpoint and the right edge of its tree, checking
    /// that the edge's tiles hash to the signed root.
    async fn load_state(&self) -> Result<State, LogError> {
        let Some((bytes, version)) = self.store.get_versioned(CHECKPOINT_KEY).await? else {
            return Ok(State { signed: None, version: None, edge: Edge::empty() });
        };
        let signed = self.open(CHECKPOINT_KEY, &bytes)?;
        let size = signed.checkpoint.size;
        let (mut levels, mut entries) = (Vec::new(), Vec::new());
        for tile in Edge::partial_tiles(size) {
            let key = tile_key(&tile);
            let body = self.store.get(&key).await?.ok_or_else(|| corrupt(&key, "missing"))?;
            match tile.level {
                Level::Hashes(l) => {
                    let l = usize::from(l);
                    levels.resize(levels.len().max(l + 1), Vec::new());
                    levels[l] = decode_hashes(&body, tile.width).map_err(|r| corrupt(&key, r))?;
                }
                Level::Entries => {
                    entries = decode_entries(&body, tile.width).map_err(|r| corrupt(&key, r))?
                }
            }
        }
        let bundle =
            || tile_key(&Tile { level: Level::Entries, index: size >> 8, width: (size % 256) as u16 });
        if entries.iter().zip(levels.first().into_iter().flatten()).any(|(e, h)| leaf_hash(e) != *h) {
            return Err(corrupt(bundle(), "entries do not hash to the level-0 tile"));
        }
        let edge = Edge::from_parts(size, levels, entries).map_err(|r| corrupt(bundle(), r))?;
        if edge.root() != signed.checkpoint.root {
            return Err(corrupt(CHECKPOINT_KEY, "the tiles of its tree do not hash to its root"));
        }
        Ok(State { signed: Some(signed), version: Some(version), edge })
    }

    /// Write a derived tile; one already there must have the same bytes.
    async fn write_tile(&self, tile: &Tile, body: &Bytes) -> Result<(), LogError> {
        let key = tile_key(tile);
        match self.store.create(&key, body.clone()).await {
            Ok(()) => Ok(()),
            Err(StoreError::AlreadyExists(_)) => match self.store.get(&key).await? {
                Some(stored) if stored == *body => Ok(()),
                _ => Err(corrupt(key, "differs from the tile computed from the leaves")),
            },
            Err(e) => Err(e.into()),
        }
    }

    /// Keep a copy of every signed checkpoint. One already kept for the same
    /// size must be of the same tree (its signature may differ after a key
    /// rotation).
    async fn keep_in_history(&self, checkpoint: &Checkpoint, note: &str) -> Result<(), LogError> {
        let key = history_key(checkpoint.size);
        match self.store.create(&key, Bytes::from(note.to_owned())).await {
            Ok(()) => Ok(()),
            Err(StoreError::AlreadyExists(_)) => {
                let stored = self.store.get(&key).await?.unwrap_or_default();
                if stored.starts_with(format!("{}\n", checkpoint.to_text()).as_bytes()) {
                    Ok(())
                } else {
                    Err(LogError::Fork(format!("{key} holds another tree of {} leaves", checkpoint.size)))
                }
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Check that the smaller of two checkpoints is a prefix of the bigger,
    /// with a consistency proof read from the bigger tree's tiles.
    async fn check_consistency(
        &self,
        a: &Checkpoint,
        b: &Checkpoint,
        known: &mut TileSet,
    ) -> Result<(), LogError> {
        let (old, new) = if a.size <= b.size { (a, b) } else { (b, a) };
        let proof = self.consistency_in(old.size, new.size, new.size, known).await?;
        if proof::verify_consistency(old.size, new.size, &proof, &old.root, &new.root) {
            Ok(())
        } else {
            Err(LogError::Fork(format!(
                "the tree of {} leaves is not a prefix of the tree of {}",
                old.size, new.size
            )))
        }
    }
}
