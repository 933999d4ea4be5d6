//! RFC 6962 Merkle tree hashing (§2.1), with SHA-256 as C2SP tlog-tiles
//! requires. The 0x00 / 0x01 prefixes keep a leaf from ever being taken for an
//! interior node (second-preimage resistance).

use sha2::{Digest, Sha256};

/// A SHA-256 Merkle tree hash.
pub type Hash = [u8; 32];

/// The hash of a leaf: SHA-256(0x00 || data).
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0x00]);
    h.update(data);
    h.finalize().into()
}

/// The hash of an interior node: SHA-256(0x01 || left || right).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([0x01]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The root of the empty tree: SHA-256 of the empty string (RFC 6962 §2.1).
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// The Merkle Tree Hash of a list of hashes taken as the leaves of a tree:
/// MTH with the leaf hashing already done. Used to fold a level of a tile
/// (whose entries are subtree hashes) into the hash of a bigger subtree.
pub fn root_of_hashes(hashes: &[Hash]) -> Hash {
    match hashes.len() {
        0 => empty_root(),
        1 => hashes[0],
        n => {
            let k = split_point(n as u64) as usize;
            node_hash(&root_of_hashes(&hashes[..k]), &root_of_hashes(&hashes[k..]))
        }
    }
}

/// The largest power of two strictly below `n` (n ≥ 2): where RFC 6962 splits
/// a tree of `n` leaves into its left and right subtrees.
pub fn split_point(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1 << (63 - (n - 1).leading_zeros())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_split_is_the_largest_power_of_two_below() {
        let cases = [(2, 1), (3, 2), (4, 2), (5, 4), (8, 4), (9, 8), (256, 128), (257, 256)];
        for (n, k) in cases {
            assert_eq!(split_point(n), k, "n={n}");
        }
    }

    #[test]
    fn the_empty_tree_hashes_to_the_empty_string() {
        assert_eq!(
            hex::encode(empty_root()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        // Leaf 0 of the RFC 6962 test vectors is the empty string.
        assert_eq!(
            hex::encode(leaf_hash(b"")),
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
        );
    }
}
