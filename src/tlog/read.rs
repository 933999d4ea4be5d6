//! Reading the tree back: inclusion and consistency proofs and roots for
//! any published size, computed from the stored tiles.
//!
//! A proof needs a few stored subtree hashes; they are listed by a dry run
//! of the proof algorithm ([`Recorder`]), the tiles holding them are read
//! (as stored for the latest published tree, whose tiles contain those of
//! every smaller tree as prefixes), then the proof is computed in memory.

use super::hash::Hash;
use super::log::{CHECKPOINT_KEY, Log, LogError, PREFIX, corrupt, tile_key};
use super::proof::{self, Recorder};
use super::tile::{Level, Tile, TileSet, decode_hashes, locate};

impl Log {
    /// Add to `known` the tiles (as stored for a tree of `size`) holding the
    /// subtree hashes `requests` asks for.
    async fn fetch(&self, requests: Vec<(u32, u64)>, size: u64, known: &mut TileSet) -> Result<(), LogError> {
        for (height, index) in requests {
            let (level, n, first, count) = locate(height, index);
            if known.get(level, n).is_some_and(|t| t.len() >= first + count) {
                continue;
            }
            let tile = Tile::for_size(Level::Hashes(level), n, size).ok_or_else(|| {
                corrupt(CHECKPOINT_KEY, format!("a tree of {size} has no tile {level}/{n}"))
            })?;
            let key = tile_key(&tile);
            let body = self.store.get(&key).await?.ok_or_else(|| corrupt(&key, "missing"))?;
            let hashes = decode_hashes(&body, tile.width).map_err(|r| corrupt(&key, r))?;
            if hashes.len() < first + count {
                return Err(corrupt(&key, "too narrow"));
            }
            known.insert(level, n, hashes);
        }
        Ok(())
    }

    pub(super) async fn consistency_in(
        &self,
        old: u64,
        new: u64,
        size: u64,
        known: &mut TileSet,
    ) -> Result<Vec<Hash>, LogError> {
        let recorder = Recorder::default();
        proof::consistency_proof(&recorder, old, new).expect("the recorder has every hash");
        self.fetch(recorder.into_requests(), size, known).await?;
        proof::consistency_proof(known, old, new).map_err(|e| corrupt(PREFIX, e.to_string()))
    }

    /// The size of a published tree covering `size` leaves and the tiles
    /// already in memory for it.
    async fn tree_covering(&self, size: u64) -> Result<(u64, TileSet), LogError> {
        if let Some(state) = self.state.lock().await.as_ref()
            && state.edge.size() >= size
            && state.signed.is_some()
        {
            return Ok((state.edge.size(), state.edge.tile_set()));
        }
        let published = self.published_size().await?;
        if published < size {
            return Err(LogError::NotPublished { size, published });
        }
        Ok((published, TileSet::default()))
    }

    /// The inclusion proof of leaf `index` in the tree of `size` leaves (a
    /// size some published checkpoint covers), read from the tiles.
    pub async fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, LogError> {
        if index >= size {
            return Err(LogError::OutOfRange { index, size });
        }
        let (published, mut known) = self.tree_covering(size).await?;
        let recorder = Recorder::default();
        proof::inclusion_proof(&recorder, index, size).expect("the recorder has every hash");
        self.fetch(recorder.into_requests(), published, &mut known).await?;
        proof::inclusion_proof(&known, index, size).map_err(|e| corrupt(PREFIX, e.to_string()))
    }

    /// The consistency proof from the tree of `old` leaves to the tree of
    /// `new` leaves (a size some published checkpoint covers).
    pub async fn consistency_proof(&self, old: u64, new: u64) -> Result<Vec<Hash>, LogError> {
        if old > new {
            return Err(LogError::OutOfRange { index: old, size: new });
        }
        let (published, mut known) = self.tree_covering(new).await?;
        self.consistency_in(old, new, published, &mut known).await
    }

    /// The root hash of the tree of `size` leaves (a size some published
    /// checkpoint covers), read from the tiles.
    pub async fn root(&self, size: u64) -> Result<Hash, LogError> {
        let (published, mut known) = self.tree_covering(size).await?;
        let recorder = Recorder::default();
        proof::root(&recorder, size).expect("the recorder has every hash");
        self.fetch(recorder.into_requests(), published, &mut known).await?;
        proof::root(&known, size).map_err(|e| corrupt(PREFIX, e.to_string()))
    }
}
