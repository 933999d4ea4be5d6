//! The audit: re-derive the whole log from its leaves and compare with what
//! is stored, to find any object altered, lost or rewritten.
//!
//! The leaves are the reference (they are the commit point); from them the
//! audit recomputes every tile, entry bundle and root, then checks every
//! stored tile, the latest checkpoint (signature, root) and every checkpoint
//! kept in the history (each must be signed by the log's key and be the root
//! of a prefix of the recomputed tree: a checkpoint that is not would prove
//! the log once said something else, i.e. was rewritten or forked).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use bytes::Bytes;

use super::hash::{Hash, leaf_hash};
use super::log::{CHECKPOINT_KEY, HISTORY_PREFIX, LEAVES_PREFIX, Log, LogError, PREFIX, history_key};
use super::note::Checkpoint;
use super::proof;
use super::tile::{self, Edge, Level, TILE_WIDTH, Tile, TileSet, decode_entries, encode_hashes, levels_of};

/// One thing wrong with the stored log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditProblem {
    /// A leaf index below the highest claimed one has no leaf.
    LeafMissing(u64),
    /// A leaf's object differs from its entry in an entry bundle.
    LeafDiffers {
        /// The leaf.
        index: u64,
        /// The bundle.
        bundle: Tile,
    },
    /// A tile the published trees need is not stored.
    TileMissing(Tile),
    /// A stored tile (or entry bundle) differs from the one recomputed.
    TileDiffers(Tile),
    /// A stored tile covers leaves that do not exist (or follow a gap).
    TileBeyondLeaves(Tile),
    /// An object under `log/` that the layout has no place for.
    UnknownObject(String),
    /// A checkpoint does not parse or is not signed by the log's key.
    CheckpointInvalid {
        /// Its key.
        key: String,
        /// Why.
        reason: String,
    },
    /// A checkpoint counts more leaves than there are (contiguously).
    CheckpointBeyondLeaves {
        /// Its key.
        key: String,
        /// Its tree size.
        size: u64,
    },
    /// A checkpoint's root is not the root of that many leaves.
    CheckpointNotPrefix {
        /// Its key.
        key: String,
        /// Its tree size.
        size: u64,
    },
    /// The latest checkpoint has no identical copy in the history.
    CheckpointNotKept(u64),
}

impl fmt::Display for AuditProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = |t: &Tile| t.path().trim_start_matches("tile/").to_owned();
        match self {
            Self::LeafMissing(i) => write!(f, "leaf {i} missing"),
            Self::LeafDiffers { index, bundle } => {
                write!(f, "leaf {index} differs from its entry in bundle {}", name(bundle))
            }
            Self::TileMissing(t) => write!(f, "tile {} missing", name(t)),
            Self::TileDiffers(t) => write!(f, "tile {} differs", name(t)),
            Self::TileBeyondLeaves(t) => write!(f, "tile {} covers leaves that are missing", name(t)),
            Self::UnknownObject(key) => write!(f, "unknown object {key}"),
            Self::CheckpointInvalid { key, reason } => write!(f, "checkpoint {key} invalid: {reason}"),
            Self::CheckpointBeyondLeaves { key, size } => {
                write!(f, "checkpoint {size} ({key}) counts leaves that are missing")
            }
            Self::CheckpointNotPrefix { key, size } => {
                write!(f, "checkpoint {size} ({key}) not a prefix of the log")
            }
            Self::CheckpointNotKept(size) => write!(f, "latest checkpoint {size} not kept in the history"),
        }
    }
}

/// What an audit found.
#[derive(Debug, Clone)]
pub struct LogAudit {
    /// Leaves present from index 0 without a gap.
    pub leaves: u64,
    /// The latest checkpoint, if it verifies.
    pub checkpoint: Option<Checkpoint>,
    /// Tiles and entry bundles compared.
    pub tiles_checked: usize,
    /// Checkpoints of the history checked.
    pub checkpoints_checked: usize,
    /// Everything wrong, in the order found.
    pub problems: Vec<AuditProblem>,
}

impl LogAudit {
    /// Whether nothing is wrong.
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Stored tiles, by what they are.
#[derive(Default)]
struct Stored {
    hashes: Vec<Tile>,
    bundles: BTreeMap<u64, Vec<Tile>>,
    all: BTreeSet<Tile>,
}

impl Log {
    /// Audit the whole log (reads every object under `log/`).
    pub async fn audit(&self) -> Result<LogAudit, LogError> {
        let mut problems = Vec::new();
        let leaves = self.audit_leaf_keys(&mut problems).await?;
        let stored = self.audit_tile_keys(&mut problems).await?;
        let mut tiles_checked = 0;
        // Leaves, a bundle's worth at a time: hash them and compare bundles.
        let mut hashes: Vec<Hash> = Vec::with_capacity(leaves as usize);
        for start in (0..leaves).step_by(TILE_WIDTH) {
            let mut chunk: Vec<Bytes> = Vec::with_capacity(TILE_WIDTH);
            for index in start..leaves.min(start + TILE_WIDTH as u64) {
                let bytes = self.store.get(&super::log::leaf_key(index)).await?.unwrap_or_default();
                hashes.push(leaf_hash(&bytes));
                chunk.push(bytes);
            }
            for bundle in stored.bundles.get(&(start / TILE_WIDTH as u64)).into_iter().flatten() {
                tiles_checked += 1;
                check_bundle(self, bundle, start, &chunk, &mut problems).await?;
            }
        }
        for bundle in stored.bundles.range(leaves.div_ceil(TILE_WIDTH as u64)..).flat_map(|(_, b)| b) {
            problems.push(AuditProblem::TileBeyondLeaves(*bundle));
        }
        let levels = levels_of(hashes);
        for tile in &stored.hashes {
            tiles_checked += 1;
            let Level::Hashes(l) = tile.level else { continue };
            let start = tile.index as usize * TILE_WIDTH;
            let want = levels.get(usize::from(l)).and_then(|h| h.get(start..start + usize::from(tile.width)));
            let Some(want) = want else {
                problems.push(AuditProblem::TileBeyondLeaves(*tile));
                continue;
            };
            let body = self.store.get(&super::log::tile_key(tile)).await?.unwrap_or_default();
            if body != encode_hashes(want) {
                problems.push(AuditProblem::TileDiffers(*tile));
            }
        }
        let tree = TileSet::from_levels(&levels);
        let mut sizes = BTreeSet::new();
        let checkpoint = self.audit_latest(leaves, &tree, &mut sizes, &mut problems).await?;
        let checkpoints_checked = self.audit_history(leaves, &tree, &mut sizes, &mut problems).await?;
        // Every published tree must be servable: its full and partial tiles.
        let mut needed = BTreeSet::new();
        if let Some(&largest) = sizes.iter().next_back() {
            needed.extend(tile::tiles_for_size(largest));
        }
        for size in sizes {
            needed.extend(Edge::partial_tiles(size));
        }
        for tile in needed {
            if !stored.all.contains(&tile) {
                problems.push(AuditProblem::TileMissing(tile));
            }
        }
        Ok(LogAudit { leaves, checkpoint, tiles_checked, checkpoints_checked, problems })
    }

    /// List the leaves: report gaps and stray keys; returns how many leaves
    /// there are from 0 without a gap.
    async fn audit_leaf_keys(&self, problems: &mut Vec<AuditProblem>) -> Result<u64, LogError> {
        let mut indexes = BTreeSet::new();
        for key in self.store.list(LEAVES_PREFIX).await? {
            let name = key.strip_prefix(LEAVES_PREFIX).unwrap_or(&key);
            match name.parse::<u64>() {
                Ok(i) if super::log::leaf_key(i) == key => {
                    indexes.insert(i);
                }
                _ => problems.push(AuditProblem::UnknownObject(key)),
            }
        }
        let contiguous = (0..).take_while(|i| indexes.contains(i)).count() as u64;
        if let Some(&last) = indexes.iter().next_back() {
            problems
                .extend((contiguous..last).filter(|i| !indexes.contains(i)).map(AuditProblem::LeafMissing));
        }
        Ok(contiguous)
    }

    async fn audit_tile_keys(&self, problems: &mut Vec<AuditProblem>) -> Result<Stored, LogError> {
        let mut stored = Stored::default();
        for key in self.store.list(&format!("{PREFIX}tile/")).await? {
            let Some(tile) = key.strip_prefix(PREFIX).and_then(Tile::parse_path) else {
                problems.push(AuditProblem::UnknownObject(key));
                continue;
            };
            match tile.level {
                Level::Hashes(_) => stored.hashes.push(tile),
                Level::Entries => stored.bundles.entry(tile.index).or_default().push(tile),
            }
            stored.all.insert(tile);
        }
        Ok(stored)
    }

    /// Check a stored checkpoint against the recomputed tree; its size goes
    /// into `sizes` if it verifies.
    fn audit_checkpoint(
        &self,
        key: &str,
        bytes: &[u8],
        leaves: u64,
        tree: &TileSet,
        sizes: &mut BTreeSet<u64>,
        problems: &mut Vec<AuditProblem>,
    ) -> Option<Checkpoint> {
        let checkpoint = match self.open(key, bytes) {
            Ok(signed) => signed.checkpoint,
            Err(e) => {
                problems.push(AuditProblem::CheckpointInvalid { key: key.to_owned(), reason: e.to_string() });
                return None;
            }
        };
        let size = checkpoint.size;
        if size > leaves {
            problems.push(AuditProblem::CheckpointBeyondLeaves { key: key.to_owned(), size });
        } else if proof::root(tree, size).ok() != Some(checkpoint.root) {
            problems.push(AuditProblem::CheckpointNotPrefix { key: key.to_owned(), size });
        } else {
            sizes.insert(size);
        }
        Some(checkpoint)
    }

    async fn audit_latest(
        &self,
        leaves: u64,
        tree: &TileSet,
        sizes: &mut BTreeSet<u64>,
        problems: &mut Vec<AuditProblem>,
    ) -> Result<Option<Checkpoint>, LogError> {
        let Some(bytes) = self.store.get(CHECKPOINT_KEY).await? else { return Ok(None) };
        let checkpoint = self.audit_checkpoint(CHECKPOINT_KEY, &bytes, leaves, tree, sizes, problems);
        if let Some(c) = &checkpoint
            && self.store.get(&history_key(c.size)).await?.as_ref() != Some(&bytes)
        {
            problems.push(AuditProblem::CheckpointNotKept(c.size));
        }
        Ok(checkpoint)
    }

    async fn audit_history(
        &self,
        leaves: u64,
        tree: &TileSet,
        sizes: &mut BTreeSet<u64>,
        problems: &mut Vec<AuditProblem>,
    ) -> Result<usize, LogError> {
        let keys = self.store.list(HISTORY_PREFIX).await?;
        for key in &keys {
            let Some(bytes) = self.store.get(key).await? else { continue };
            let Some(checkpoint) = self.audit_checkpoint(key, &bytes, leaves, tree, sizes, problems) else {
                continue;
            };
            if history_key(checkpoint.size) != *key {
                let reason = format!("a checkpoint of size {} kept under another size", checkpoint.size);
                problems.push(AuditProblem::CheckpointInvalid { key: key.clone(), reason });
            }
        }
        Ok(keys.len())
    }
}

/// Compare a stored entry bundle with the leaves it should hold.
async fn check_bundle(
    log: &Log,
    bundle: &Tile,
    start: u64,
    chunk: &[Bytes],
    problems: &mut Vec<AuditProblem>,
) -> Result<(), LogError> {
    if usize::from(bundle.width) > chunk.len() {
        problems.push(AuditProblem::TileBeyondLeaves(*bundle));
        return Ok(());
    }
    let body = log.store.get(&super::log::tile_key(bundle)).await?.unwrap_or_default();
    match decode_entries(&body, bundle.width) {
        Ok(entries) => {
            for (offset, (entry, leaf)) in entries.iter().zip(chunk).enumerate() {
                if entry != leaf {
                    problems
                        .push(AuditProblem::LeafDiffers { index: start + offset as u64, bundle: *bundle });
                }
            }
        }
        Err(_) => problems.push(AuditProblem::TileDiffers(*bundle)),
    }
    Ok(())
}
