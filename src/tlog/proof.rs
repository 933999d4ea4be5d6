//! Merkle proofs (RFC 6962 §2.1, as RFC 9162 §2.1.3–2.1.4 restates them).
//!
//! An *inclusion proof* of leaf `m` in a tree of `n` leaves is PATH(m, D[n]):
//! the sibling hashes from the leaf up to the root. A *consistency proof*
//! between sizes `m` < `n` is PROOF(m, D[n]) = SUBPROOF(m, D[n], true): the
//! hashes showing the tree of `m` leaves is a prefix of the tree of `n`.
//!
//! Generation reads only *stored subtree hashes*, MTH of aligned
//! power-of-two ranges (what tiles hold), through a [`HashSource`]; the other
//! hashes (right edges of non-perfect trees) are computed from them.
//! Verification follows RFC 9162 §2.1.3.2 and §2.1.4.2 to the letter and
//! needs nothing but the proof.

use std::cell::RefCell;

use super::hash::{Hash, empty_root, node_hash, split_point};

/// Where stored subtree hashes come from.
pub trait HashSource {
    /// MTH(D[index·2^height .. (index+1)·2^height]), if known.
    fn subtree(&self, height: u32, index: u64) -> Option<Hash>;
}

/// A subtree hash a proof needed was not available.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("stored hash of the subtree of height {height} at index {index} is not available")]
pub struct MissingHash {
    /// Height of the subtree (0 = a leaf).
    pub height: u32,
    /// Its index among subtrees of that height.
    pub index: u64,
}

/// MTH(D[lo..hi]) for a range of the RFC 6962 recursion: a perfect, aligned
/// range is read from the source; any other is split as MTH splits it.
fn tree_hash(src: &impl HashSource, lo: u64, hi: u64) -> Result<Hash, MissingHash> {
    let n = hi - lo;
    if n == 0 {
        return Ok(empty_root());
    }
    if n.is_power_of_two() && lo.is_multiple_of(n) {
        let (height, index) = (n.trailing_zeros(), lo / n);
        return src.subtree(height, index).ok_or(MissingHash { height, index });
    }
    let k = split_point(n);
    Ok(node_hash(&tree_hash(src, lo, lo + k)?, &tree_hash(src, lo + k, hi)?))
}

/// The root hash of the tree of `size` leaves.
pub fn root(src: &impl HashSource, size: u64) -> Result<Hash, MissingHash> {
    tree_hash(src, 0, size)
}

/// PATH(index, D[lo..hi]), appended to `out` leaf-first.
fn path(src: &impl HashSource, index: u64, lo: u64, hi: u64, out: &mut Vec<Hash>) -> Result<(), MissingHash> {
    let n = hi - lo;
    if n <= 1 {
        return Ok(());
    }
    let k = split_point(n);
    if index < k {
        path(src, index, lo, lo + k, out)?;
        out.push(tree_hash(src, lo + k, hi)?);
    } else {
        path(src, index - k, lo + k, hi, out)?;
        out.push(tree_hash(src, lo, lo + k)?);
    }
    Ok(())
}

/// The inclusion proof of leaf `index` in the tree of `size` leaves.
/// `index < size` is the caller's to check (see [`verify_inclusion`]).
pub fn inclusion_proof(src: &impl HashSource, index: u64, size: u64) -> Result<Vec<Hash>, MissingHash> {
    assert!(index < size, "leaf {index} is not in a tree of {size}");
    let mut out = Vec::new();
    path(src, index, 0, size, &mut out)?;
    Ok(out)
}

/// SUBPROOF(m, D[lo..hi], complete), appended to `out`.
fn subproof(
    src: &impl HashSource,
    m: u64,
    lo: u64,
    hi: u64,
    complete: bool,
    out: &mut Vec<Hash>,
) -> Result<(), MissingHash> {
    let n = hi - lo;
    if m == n {
        if !complete {
            out.push(tree_hash(src, lo, hi)?);
        }
        return Ok(());
    }
    let k = split_point(n);
    if m <= k {
        subproof(src, m, lo, lo + k, complete, out)?;
        out.push(tree_hash(src, lo + k, hi)?);
    } else {
        subproof(src, m - k, lo + k, hi, false, out)?;
        out.push(tree_hash(src, lo, lo + k)?);
    }
    Ok(())
}

/// The consistency proof from the tree of `old` leaves to the tree of `new`
/// leaves (empty when `old` is 0 or equal to `new`). `old <= new` is the
/// caller's to check.
pub fn consistency_proof(src: &impl HashSource, old: u64, new: u64) -> Result<Vec<Hash>, MissingHash> {
    assert!(old <= new, "a tree of {old} cannot be a prefix of a tree of {new}");
    let mut out = Vec::new();
    if old > 0 && old < new {
        subproof(src, old, 0, new, true, &mut out)?;
    }
    Ok(out)
}

/// Every stored subtree hash (height, index) that `f` asks for: run the
/// proof algorithms once with this to learn which tiles to fetch.
#[derive(Debug, Default)]
pub struct Recorder(RefCell<Vec<(u32, u64)>>);

impl Recorder {
    /// The (height, index) pairs asked for so far.
    pub fn into_requests(self) -> Vec<(u32, u64)> {
        self.0.into_inner()
    }
}

impl HashSource for Recorder {
    fn subtree(&self, height: u32, index: u64) -> Option<Hash> {
        self.0.borrow_mut().push((height, index));
        Some([0; 32])
    }
}

/// RFC 9162 §2.1.3.2: whether `proof` shows the leaf with hash `leaf_hash`
/// at `index` in the tree of `size` leaves with root `root`.
pub fn verify_inclusion(leaf_hash: &Hash, index: u64, size: u64, proof: &[Hash], root: &Hash) -> bool {
    if index >= size {
        return false;
    }
    let (mut fn_, mut sn) = (index, size - 1);
    let mut r = *leaf_hash;
    for p in proof {
        if sn == 0 {
            return false;
        }
        if fn_ & 1 == 1 || fn_ == sn {
            r = node_hash(p, &r);
            while fn_ & 1 == 0 && fn_ != 0 {
                fn_ >>= 1;
                sn >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    sn == 0 && r == *root
}

/// RFC 9162 §2.1.4.2: whether `proof` shows the tree of `old_size` leaves
/// with root `old_root` is a prefix of the tree of `new_size` leaves with root
/// `new_root`. Equal sizes need an empty proof and equal roots; the empty tree
/// (whose root is SHA-256 of nothing) is a prefix of every tree.
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    proof: &[Hash],
    old_root: &Hash,
    new_root: &Hash,
) -> bool {
    if old_size > new_size {
        return false;
    }
    if old_size == new_size {
        return proof.is_empty() && old_root == new_root;
    }
    if old_size == 0 {
        return proof.is_empty() && *old_root == empty_root();
    }
    if proof.is_empty() {
        return false;
    }
    let mut path: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if old_size.is_power_of_two() {
        path.push(*old_root);
    }
    path.extend_from_slice(proof);
    let (mut fn_, mut sn) = (old_size - 1, new_size - 1);
    while fn_ & 1 == 1 {
        fn_ >>= 1;
        sn >>= 1;
    }
    let (mut fr, mut sr) = (path[0], path[0]);
    for c in &path[1..] {
        if sn == 0 {
            return false;
        }
        if fn_ & 1 == 1 || fn_ == sn {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while fn_ & 1 == 0 && fn_ != 0 {
                fn_ >>= 1;
                sn >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    fr == *old_root && sr == *new_root && sn == 0
}
