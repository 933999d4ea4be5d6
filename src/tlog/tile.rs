//! C2SP tlog-tiles: how the Merkle tree is cut into stored objects.
//!
//! A *tile* at level `L`, index `N` holds up to 256 consecutive hashes of
//! subtrees of 256^L leaves: entry `i` is MTH(D[(N·256+i)·256^L ..
//! (N·256+i+1)·256^L]). Level-0 tiles hold leaf hashes. A *full* tile has 256
//! hashes; the rightmost tile of each level is usually *partial*, of width
//! `W` < 256, and is stored at a path ending in `.p/<W>`. An *entry bundle* is
//! the level-0 tile's leaves themselves, each prefixed by its length as a
//! big-endian u16. Tiles are functions of the leaves only, so whoever writes
//! one writes the same bytes.
//!
//! The *right edge* ([`Edge`]) of a tree of size `n` is its partial tile at
//! every level: all a writer needs to extend the tree and to compute its root,
//! since every full tile left of the edge is already folded into the level
//! above.

use std::collections::HashMap;

use bytes::{BufMut, Bytes, BytesMut};

use super::hash::{Hash, empty_root, leaf_hash, node_hash, root_of_hashes};
use super::proof::HashSource;

/// Tree height covered by one tile: 8 levels, 256 hashes.
pub const TILE_HEIGHT: u32 = 8;
/// Hashes in a full tile.
pub const TILE_WIDTH: usize = 256;
/// Longest leaf an entry bundle can hold (uint16 length prefix).
pub const MAX_LEAF_LEN: usize = u16::MAX as usize;

/// What a tile holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Level {
    /// Merkle tree hashes at this tile level (0 = leaf hashes).
    Hashes(u8),
    /// The leaves themselves (an entry bundle).
    Entries,
}

/// One tile: which one, and how wide (1..=256; 256 = full).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tile {
    /// Level, or entry bundle.
    pub level: Level,
    /// Index of the tile in its level.
    pub index: u64,
    /// Number of hashes (or entries) in it.
    pub width: u16,
}

impl Tile {
    /// The tile path under the log prefix: `tile/<L>/<N>[.p/<W>]` or
    /// `tile/entries/<N>[.p/<W>]`.
    pub fn path(&self) -> String {
        let level = match self.level {
            Level::Hashes(l) => l.to_string(),
            Level::Entries => "entries".to_owned(),
        };
        let mut path = format!("tile/{level}/{}", encode_index(self.index));
        if usize::from(self.width) < TILE_WIDTH {
            path.push_str(&format!(".p/{}", self.width));
        }
        path
    }

    /// Parse a path written by [`Tile::path`]; `None` for anything else,
    /// including non-canonical spellings.
    pub fn parse_path(path: &str) -> Option<Self> {
        let rest = path.strip_prefix("tile/")?;
        let (level, rest) = rest.split_once('/')?;
        let level = if level == "entries" {
            Level::Entries
        } else {
            let l: u8 = level.parse().ok()?;
            if l > 63 {
                return None;
            }
            Level::Hashes(l)
        };
        let (index, width) = match rest.split_once(".p/") {
            Some((index, width)) => {
                let w: u16 = width.parse().ok()?;
                (index, if (1..TILE_WIDTH as u16).contains(&w) { w } else { return None })
            }
            None => (rest, TILE_WIDTH as u16),
        };
        let mut n: u64 = 0;
        let parts: Vec<&str> = index.split('/').collect();
        for (i, part) in parts.iter().enumerate() {
            let digits = if i + 1 < parts.len() { part.strip_prefix('x')? } else { part };
            if digits.len() != 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            n = n.checked_mul(1000)?.checked_add(digits.parse::<u64>().ok()?)?;
        }
        let tile = Self { level, index: n, width };
        (tile.path() == path).then_some(tile)
    }

    /// The tile at `level` (hashes) or entry bundle with index `index`, as it
    /// is stored for a tree of `size` leaves: full if the tree covers it
    /// entirely, else partial. `None` if the tree does not reach it.
    pub fn for_size(level: Level, index: u64, size: u64) -> Option<Self> {
        let l = match level {
            Level::Hashes(l) => u32::from(l),
            Level::Entries => 0,
        };
        let count = size.checked_shr(TILE_HEIGHT * l).unwrap_or(0);
        let full = count >> TILE_HEIGHT;
        let width = if index < full {
            TILE_WIDTH as u16
        } else if index == full && !count.is_multiple_of(TILE_WIDTH as u64) {
            (count % TILE_WIDTH as u64) as u16
        } else {
            return None;
        };
        Some(Self { level, index, width })
    }
}

/// Encode a tile index as zero-padded 3-digit path elements, all but the
/// last prefixed with `x`: 1234067 → `x001/x234/067`.
pub fn encode_index(mut n: u64) -> String {
    let mut parts = vec![format!("{:03}", n % 1000)];
    n /= 1000;
    while n > 0 {
        parts.push(format!("x{:03}", n % 1000));
        n /= 1000;
    }
    parts.reverse();
    parts.join("/")
}

/// Every hash tile and entry bundle a tree of `size` leaves is stored as.
pub fn tiles_for_size(size: u64) -> Vec<Tile> {
    let mut tiles = Vec::new();
    let mut level = 0u8;
    loop {
        let count = size.checked_shr(TILE_HEIGHT * u32::from(level)).unwrap_or(0);
        if count == 0 {
            break;
        }
        for index in 0..count.div_ceil(TILE_WIDTH as u64) {
            tiles.extend(Tile::for_size(Level::Hashes(level), index, size));
            if level == 0 {
                tiles.extend(Tile::for_size(Level::Entries, index, size));
            }
        }
        level += 1;
    }
    tiles
}

/// The body of a hash tile: its hashes, concatenated.
pub fn encode_hashes(hashes: &[Hash]) -> Bytes {
    Bytes::from(hashes.concat())
}

/// Parse a hash tile body expected to hold `width` hashes.
pub fn decode_hashes(body: &[u8], width: u16) -> Result<Vec<Hash>, String> {
    if body.len() != usize::from(width) * 32 {
        return Err(format!("{} bytes where {width} hashes of 32 bytes were expected", body.len()));
    }
    Ok(body.chunks_exact(32).map(|c| c.try_into().expect("32-byte chunk")).collect())
}

/// The body of an entry bundle: each leaf prefixed by its length (u16, big
/// endian). Leaves are at most [`MAX_LEAF_LEN`] bytes (checked on append).
pub fn encode_entries(leaves: &[Bytes]) -> Bytes {
    let mut out = BytesMut::with_capacity(leaves.iter().map(|l| l.len() + 2).sum());
    for leaf in leaves {
        out.put_u16(u16::try_from(leaf.len()).expect("leaf length checked on append"));
        out.put_slice(leaf);
    }
    out.freeze()
}

/// Parse an entry bundle expected to hold `width` entries.
pub fn decode_entries(body: &[u8], width: u16) -> Result<Vec<Bytes>, String> {
    let mut out = Vec::with_capacity(usize::from(width));
    let mut rest = body;
    while !rest.is_empty() {
        let [hi, lo, tail @ ..] = rest else { return Err("truncated length prefix".into()) };
        let len = usize::from(u16::from_be_bytes([*hi, *lo]));
        if tail.len() < len {
            return Err(format!("entry {} truncated", out.len()));
        }
        out.push(Bytes::copy_from_slice(&tail[..len]));
        rest = &tail[len..];
    }
    if out.len() != usize::from(width) {
        return Err(format!("{} entries where {width} were expected", out.len()));
    }
    Ok(out)
}

/// Hash tiles held in memory, each at the widest version seen (a narrower
/// version of a tile is a prefix of a wider one). It answers the subtree
/// hashes that proofs need.
#[derive(Debug, Clone, Default)]
pub struct TileSet {
    tiles: HashMap<(u8, u64), Vec<Hash>>,
}

impl TileSet {
    /// Keep `hashes` as tile `index` of `level` unless a wider version is known.
    pub fn insert(&mut self, level: u8, index: u64, hashes: Vec<Hash>) {
        let slot = self.tiles.entry((level, index)).or_default();
        if hashes.len() > slot.len() {
            *slot = hashes;
        }
    }

    /// The hashes known for tile `index` of `level`.
    pub fn get(&self, level: u8, index: u64) -> Option<&[Hash]> {
        self.tiles.get(&(level, index)).map(Vec::as_slice)
    }

    /// Every hash tile of the tree whose levels (complete lists of subtree
    /// hashes of 256^L leaves, as [`levels_of`] computes) are given.
    pub fn from_levels(levels: &[Vec<Hash>]) -> Self {
        let mut set = Self::default();
        for (l, hashes) in levels.iter().enumerate() {
            for (n, chunk) in hashes.chunks(TILE_WIDTH).enumerate() {
                set.insert(l as u8, n as u64, chunk.to_vec());
            }
        }
        set
    }
}

/// Where the stored hash of the subtree of height `height` and index `index`
/// lives: (level, tile index, first entry, entries to fold).
pub fn locate(height: u32, index: u64) -> (u8, u64, usize, usize) {
    let level = height / TILE_HEIGHT;
    let r = height % TILE_HEIGHT;
    let first = index << r;
    (level as u8, first >> TILE_HEIGHT, (first % TILE_WIDTH as u64) as usize, 1 << r)
}

impl HashSource for TileSet {
    fn subtree(&self, height: u32, index: u64) -> Option<Hash> {
        let (level, tile, first, count) = locate(height, index);
        let hashes = self.get(level, tile)?.get(first..first + count)?;
        Some(root_of_hashes(hashes))
    }
}

/// The complete tile levels of a tree given its leaf hashes: level 0 is the
/// leaf hashes, level L+1 the hash of every full 256-run of level L.
pub fn levels_of(leaf_hashes: Vec<Hash>) -> Vec<Vec<Hash>> {
    let mut levels = vec![leaf_hashes];
    while levels.last().expect("one level").len() >= TILE_WIDTH {
        let next = levels.last().expect("one level").chunks_exact(TILE_WIDTH).map(root_of_hashes).collect();
        levels.push(next);
    }
    levels
}

/// The right edge of a tree: its partial tile at every level and its partial
/// entry bundle. Enough to extend the tree and to compute its root.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Edge {
    size: u64,
    /// Partial hashes per level (each shorter than a full tile).
    levels: Vec<Vec<Hash>>,
    /// Leaves of the partial entry bundle.
    entries: Vec<Bytes>,
}

impl Edge {
    /// The edge of the empty tree.
    pub fn empty() -> Self {
        Self::default()
    }

    /// Rebuild the edge of a tree of `size` leaves from its partial tiles:
    /// `levels[L]` the partial hash tile at level L (empty where the level has
    /// none) and the partial entry bundle.
    pub fn from_parts(size: u64, mut levels: Vec<Vec<Hash>>, entries: Vec<Bytes>) -> Result<Self, String> {
        // One level per power of 256 the size reaches, as `extend` builds them.
        let depth = (0..64).take_while(|l| size.checked_shr(TILE_HEIGHT * l).unwrap_or(0) > 0).count();
        if levels.len() > depth && levels[depth..].iter().any(|l| !l.is_empty()) {
            return Err(format!("hashes above the top level of a tree of {size}"));
        }
        levels.resize(depth, Vec::new());
        for (l, hashes) in levels.iter().enumerate() {
            let want = size.checked_shr(TILE_HEIGHT * l as u32).unwrap_or(0) % TILE_WIDTH as u64;
            if hashes.len() as u64 != want {
                return Err(format!("level {l} has {} hashes, a tree of {size} needs {want}", hashes.len()));
            }
        }
        if entries.len() as u64 != size % TILE_WIDTH as u64 {
            return Err(format!("{} partial entries for a tree of {size}", entries.len()));
        }
        Ok(Self { size, levels, entries })
    }

    /// The partial tiles (hashes, then the entry bundle) a tree of `size`
    /// leaves has: what [`Edge::from_parts`] needs to be read.
    pub fn partial_tiles(size: u64) -> Vec<Tile> {
        let mut out = Vec::new();
        let mut level = 0u32;
        while let Some(count) = size.checked_shr(TILE_HEIGHT * level).filter(|c| *c > 0) {
            let width = (count % TILE_WIDTH as u64) as u16;
            if width > 0 {
                out.push(Tile { level: Level::Hashes(level as u8), index: count >> TILE_HEIGHT, width });
            }
            level += 1;
        }
        if !size.is_multiple_of(TILE_WIDTH as u64) {
            out.push(Tile { level: Level::Entries, index: size >> TILE_HEIGHT, width: (size % 256) as u16 });
        }
        out
    }

    /// Number of leaves in the tree.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The partial hashes of `level` (empty if none).
    pub fn level(&self, level: usize) -> &[Hash] {
        self.levels.get(level).map_or(&[], Vec::as_slice)
    }

    /// The root hash of the tree (RFC 6962 MTH). The tree splits into perfect
    /// subtrees, one per set bit of its size, largest (leftmost) first; each
    /// is folded from a run of some level's partial hashes, and MTH joins them
    /// right to left.
    pub fn root(&self) -> Hash {
        let mut peaks = Vec::new();
        for hashes in self.levels.iter().rev() {
            let mut start = 0;
            for bit in (0..TILE_HEIGHT).rev() {
                let run = 1usize << bit;
                if hashes.len() & run != 0 {
                    peaks.push(root_of_hashes(&hashes[start..start + run]));
                    start += run;
                }
            }
        }
        let Some(mut acc) = peaks.pop() else { return empty_root() };
        while let Some(left) = peaks.pop() {
            acc = node_hash(&left, &acc);
        }
        acc
    }

    /// Append `leaves` and return every tile the bigger tree adds, with its
    /// body: the tiles that became full on the way and the new partial tiles.
    pub fn extend(&mut self, leaves: &[Bytes]) -> Vec<(Tile, Bytes)> {
        let before = Self::partial_tiles(self.size);
        let mut out = Vec::new();
        for leaf in leaves {
            self.size += 1;
            self.entries.push(leaf.clone());
            if self.entries.len() == TILE_WIDTH {
                let tile = Tile { level: Level::Entries, index: (self.size >> TILE_HEIGHT) - 1, width: 256 };
                out.push((tile, encode_entries(&self.entries)));
                self.entries.clear();
            }
            let mut hash = leaf_hash(leaf);
            let mut level = 0usize;
            loop {
                if self.levels.len() == level {
                    self.levels.push(Vec::with_capacity(TILE_WIDTH));
                }
                self.levels[level].push(hash);
                if self.levels[level].len() < TILE_WIDTH {
                    break;
                }
                let full = std::mem::take(&mut self.levels[level]);
                let index = (self.size >> (TILE_HEIGHT * (level as u32 + 1))) - 1;
                out.push((
                    Tile { level: Level::Hashes(level as u8), index, width: 256 },
                    encode_hashes(&full),
                ));
                hash = root_of_hashes(&full);
                level += 1;
            }
        }
        for tile in Self::partial_tiles(self.size) {
            if before.contains(&tile) {
                continue;
            }
            let body = match tile.level {
                Level::Hashes(l) => encode_hashes(&self.levels[usize::from(l)]),
                Level::Entries => encode_entries(&self.entries),
            };
            out.push((tile, body));
        }
        out
    }

    /// The edge's partial hash tiles, as a [`TileSet`] (for proofs near the
    /// right edge without reading the store).
    pub fn tile_set(&self) -> TileSet {
        let mut set = TileSet::default();
        for (l, hashes) in self.levels.iter().enumerate() {
            if !hashes.is_empty() {
                let index = self.size >> (TILE_HEIGHT * (l as u32 + 1));
                set.insert(l as u8, index, hashes.clone());
            }
        }
        set
    }
}
