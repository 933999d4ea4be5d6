//! Proofs: the RFC 6962 / CT reference vectors, then every proof of every
//! tree up to 70 leaves against forgeries.

use crate::tlog::hash::{Hash, empty_root, leaf_hash, node_hash, split_point};
use crate::tlog::proof::*;

/// Every perfect subtree hash of a small tree, computed naively.
struct Naive(Vec<Hash>);

impl HashSource for Naive {
    fn subtree(&self, height: u32, index: u64) -> Option<Hash> {
        let lo = (index << height) as usize;
        let hi = ((index + 1) << height) as usize;
        (hi <= self.0.len()).then(|| mth(&self.0[lo..hi]))
    }
}

/// MTH straight from the RFC 6962 definition.
fn mth(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => empty_root(),
        1 => leaves[0],
        n => {
            let k = split_point(n as u64) as usize;
            node_hash(&mth(&leaves[..k]), &mth(&leaves[k..]))
        }
    }
}

/// The eight leaves of the RFC 6962 / CT reference vectors.
fn reference_leaves() -> Vec<Hash> {
    ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"]
        .iter()
        .map(|h| leaf_hash(&hex::decode(h).unwrap()))
        .collect()
}

fn hx(list: &[&str]) -> Vec<Hash> {
    list.iter().map(|h| hex::decode(h).unwrap().try_into().unwrap()).collect()
}

const ROOTS: [&str; 9] = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];

#[test]
fn roots_match_the_reference_vectors() {
    let src = Naive(reference_leaves());
    for (size, want) in ROOTS.iter().enumerate() {
        assert_eq!(hex::encode(root(&src, size as u64).unwrap()), *want, "size {size}");
    }
}

#[test]
fn proofs_match_the_reference_vectors() {
    let src = Naive(reference_leaves());
    let roots = hx(&ROOTS);
    let inclusion = [
        (
            0,
            8,
            vec![
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ],
        ),
        (
            3,
            8,
            vec![
                "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
                "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ],
        ),
        (2, 3, vec!["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    ];
    for (index, size, want) in inclusion {
        let proof = inclusion_proof(&src, index, size).unwrap();
        assert_eq!(proof, hx(&want), "inclusion {index} in {size}");
        assert!(verify_inclusion(&src.0[index as usize], index, size, &proof, &roots[size as usize]));
    }
    let consistency = [
        (1, 1, vec![]),
        (
            1,
            8,
            vec![
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ],
        ),
        (
            6,
            8,
            vec![
                "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
        (
            2,
            5,
            vec![
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            ],
        ),
    ];
    for (old, new, want) in consistency {
        let proof = consistency_proof(&src, old, new).unwrap();
        assert_eq!(proof, hx(&want), "consistency {old} → {new}");
        assert!(verify_consistency(old, new, &proof, &roots[old as usize], &roots[new as usize]));
    }
}

fn tampered(proof: &[Hash], at: usize) -> Vec<Hash> {
    let mut p = proof.to_vec();
    p[at][0] ^= 1;
    p
}

#[test]
fn every_inclusion_proof_up_to_70_leaves_verifies_and_no_forgery_does() {
    let leaves: Vec<Hash> = (0..70u32).map(|i| leaf_hash(&i.to_be_bytes())).collect();
    let src = Naive(leaves.clone());
    let roots: Vec<Hash> = (0..=70).map(|n| mth(&leaves[..n])).collect();
    for size in 1..=70u64 {
        let root_n = &roots[size as usize];
        assert_eq!(&root(&src, size).unwrap(), root_n);
        for index in 0..size {
            let leaf = &leaves[index as usize];
            let proof = inclusion_proof(&src, index, size).unwrap();
            assert!(verify_inclusion(leaf, index, size, &proof, root_n), "{index} in {size}");
            // Wrong index, wrong size, wrong root, wrong leaf, tampered or
            // truncated or extended path: all refused.
            if size > 1 {
                assert!(!verify_inclusion(leaf, (index + 1) % size, size, &proof, root_n));
            }
            if size < 70 {
                // The same path may fit a bigger tree, but not its root.
                assert!(!verify_inclusion(leaf, index, size + 1, &proof, &roots[size as usize + 1]));
            }
            assert!(!verify_inclusion(leaf, size, size, &proof, root_n));
            assert!(!verify_inclusion(leaf, index, size, &proof, &roots[size as usize - 1]));
            assert!(!verify_inclusion(&leaf_hash(b"other"), index, size, &proof, root_n));
            for at in 0..proof.len() {
                assert!(!verify_inclusion(leaf, index, size, &tampered(&proof, at), root_n));
            }
            if !proof.is_empty() {
                assert!(!verify_inclusion(leaf, index, size, &proof[..proof.len() - 1], root_n));
            }
            let mut longer = proof.clone();
            longer.push(*leaf);
            assert!(!verify_inclusion(leaf, index, size, &longer, root_n));
        }
    }
}

#[test]
fn every_consistency_proof_up_to_70_leaves_verifies_and_no_forgery_does() {
    let leaves: Vec<Hash> = (0..70u32).map(|i| leaf_hash(&i.to_be_bytes())).collect();
    let src = Naive(leaves.clone());
    let roots: Vec<Hash> = (0..=70).map(|n| mth(&leaves[..n])).collect();
    // A tree that differs from the first at leaf 3 only.
    let mut forked = leaves.clone();
    forked[3] = leaf_hash(b"rewritten");
    let forked_roots: Vec<Hash> = (0..=70).map(|n| mth(&forked[..n])).collect();
    for new in 0..=70u64 {
        for old in 0..=new {
            let proof = consistency_proof(&src, old, new).unwrap();
            let (r1, r2) = (&roots[old as usize], &roots[new as usize]);
            assert!(verify_consistency(old, new, &proof, r1, r2), "{old} → {new}");
            if old == new {
                continue;
            }
            assert!(!verify_consistency(new, old, &proof, r2, r1));
            if old > 0 {
                // (The empty tree is a prefix of any tree, whatever its root.)
                assert!(!verify_consistency(old, new, &proof, r1, &roots[new as usize - 1]));
                assert!(!verify_consistency(old, new, &proof, &roots[old as usize - 1], r2));
                assert!(!verify_consistency(old - 1, new, &proof, &roots[old as usize - 1], r2));
                assert!(!verify_consistency(old, new, &[], r1, r2));
            }
            if old > 3 {
                // The old checkpoint saw a different leaf 3: a fork.
                assert!(!verify_consistency(old, new, &proof, &forked_roots[old as usize], r2));
            }
            for at in 0..proof.len() {
                assert!(!verify_consistency(old, new, &tampered(&proof, at), r1, r2), "{old} → {new} @{at}");
            }
        }
    }
}

#[test]
fn the_recorder_lists_the_stored_hashes_a_proof_reads() {
    let rec = Recorder::default();
    inclusion_proof(&rec, 0, 8).unwrap();
    assert_eq!(rec.into_requests(), [(0, 1), (1, 1), (2, 1)]);
}
