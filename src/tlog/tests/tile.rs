//! Tile paths, bodies and the right edge.

use std::collections::HashMap;

use bytes::Bytes;

use crate::tlog::hash::{Hash, leaf_hash};
use crate::tlog::proof;
use crate::tlog::tile::*;

#[test]
fn tile_paths_follow_the_spec() {
    assert_eq!(encode_index(1_234_067), "x001/x234/067");
    assert_eq!(encode_index(0), "000");
    assert_eq!(encode_index(1000), "x001/000");
    let tile = Tile { level: Level::Hashes(0), index: 1_234_067, width: 256 };
    assert_eq!(tile.path(), "tile/0/x001/x234/067");
    let partial = Tile { level: Level::Entries, index: 5, width: 13 };
    assert_eq!(partial.path(), "tile/entries/005.p/13");
    for t in [tile, partial, Tile { level: Level::Hashes(2), index: 999_999, width: 1 }] {
        assert_eq!(Tile::parse_path(&t.path()), Some(t));
    }
    for bad in
        ["tile/0/1", "tile/0/001.p/0", "tile/0/001.p/256", "tile/0/x000/001", "tile/64/000", "tile/0/001/002"]
    {
        assert_eq!(Tile::parse_path(bad), None, "{bad}");
    }
}

#[test]
fn a_tree_of_70000_has_the_tiles_the_spec_lists() {
    let tiles = tiles_for_size(70_000);
    let count = |level, full: bool| {
        tiles.iter().filter(|t| t.level == level && (usize::from(t.width) == TILE_WIDTH) == full).count()
    };
    assert_eq!((count(Level::Hashes(0), true), count(Level::Hashes(0), false)), (273, 1));
    assert_eq!((count(Level::Hashes(1), true), count(Level::Hashes(1), false)), (1, 1));
    assert_eq!((count(Level::Hashes(2), true), count(Level::Hashes(2), false)), (0, 1));
    assert!(tiles.contains(&Tile { level: Level::Hashes(0), index: 273, width: 112 }));
    assert!(tiles.contains(&Tile { level: Level::Hashes(1), index: 1, width: 17 }));
    let of_256 = tiles_for_size(256);
    assert!(of_256.contains(&Tile { level: Level::Hashes(1), index: 0, width: 1 }));
    assert_eq!(of_256.len(), 3);
}

#[test]
fn bundles_round_trip_and_reject_garbage() {
    let leaves = vec![Bytes::from_static(b""), Bytes::from_static(b"abc")];
    let body = encode_entries(&leaves);
    assert_eq!(body.as_ref(), b"\0\0\0\x03abc");
    assert_eq!(decode_entries(&body, 2).unwrap(), leaves);
    assert!(decode_entries(&body, 3).is_err());
    assert!(decode_entries(&body[..4], 2).is_err());
    assert!(decode_hashes(&[0; 33], 1).is_err());
}

#[test]
fn the_edge_extends_in_any_batches_to_the_same_tiles_and_root() {
    let leaves: Vec<Bytes> = (0..1100u32).map(|i| Bytes::from(i.to_be_bytes().to_vec())).collect();
    let hashes: Vec<Hash> = leaves.iter().map(|l| leaf_hash(l)).collect();
    let levels = levels_of(hashes.clone());
    let all = TileSet::from_levels(&levels);
    let mut one_by_one = Edge::empty();
    let mut written = HashMap::new();
    for (i, leaf) in leaves.iter().enumerate() {
        for (tile, body) in one_by_one.extend(std::slice::from_ref(leaf)) {
            assert!(written.insert(tile, body).is_none(), "{tile:?} written twice");
        }
        let size = i as u64 + 1;
        if size.is_multiple_of(97) || size == 256 || size == 1100 {
            assert_eq!(one_by_one.root(), proof::root(&all, size).unwrap(), "size {size}");
        }
    }
    let mut batched = Edge::empty();
    let mut batched_tiles = HashMap::new();
    for chunk in leaves.chunks(300) {
        batched_tiles.extend(batched.extend(chunk));
    }
    assert_eq!(batched, one_by_one);
    // Every tile of the final tree was written, with the right content.
    for tile in tiles_for_size(1100) {
        let body = &written[&tile];
        assert_eq!(batched_tiles.get(&tile), Some(body), "{tile:?}");
        match tile.level {
            Level::Hashes(l) => {
                let want = &all.get(l, tile.index).unwrap()[..usize::from(tile.width)];
                assert_eq!(decode_hashes(body, tile.width).unwrap(), want);
            }
            Level::Entries => {
                let start = tile.index as usize * TILE_WIDTH;
                let want = &leaves[start..start + usize::from(tile.width)];
                assert_eq!(decode_entries(body, tile.width).unwrap(), want);
            }
        }
    }
    // The edge rebuilt from its partial tiles is the same edge.
    let parts = Edge::partial_tiles(1100);
    let mut levels_in = vec![Vec::new(); 2];
    let mut entries = Vec::new();
    for tile in parts {
        match tile.level {
            Level::Hashes(l) => {
                levels_in[usize::from(l)] = decode_hashes(&written[&tile], tile.width).unwrap()
            }
            Level::Entries => entries = decode_entries(&written[&tile], tile.width).unwrap(),
        }
    }
    assert_eq!(Edge::from_parts(1100, levels_in, entries).unwrap(), batched);
}
