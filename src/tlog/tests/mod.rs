//! Store-backed tests of the register log: appending, integrating, proofs
//! against signed checkpoints, concurrent writers, and the audit.

use std::sync::Arc;

use bytes::Bytes;
use object_store::memory::InMemory;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStoreExt, PutPayload};

use super::audit::AuditProblem;
use super::hash::leaf_hash;
use super::log::{CHECKPOINT_KEY, Log, LogError, history_key, leaf_key};
use super::note::{Checkpoint, NoteSigner, open_checkpoint};
use super::proof::{verify_consistency, verify_inclusion};
use super::tile::{Level, Tile};
use crate::store::Store;

mod note;
mod proof;
mod tile;

const ORIGIN: &str = "actes.example.fr/registre/v1";

fn signer() -> NoteSigner {
    NoteSigner::from_seed(ORIGIN, [42; 32]).unwrap()
}

fn memory() -> (Store, Arc<InMemory>) {
    let backend = Arc::new(InMemory::new());
    (Store::from_backend(backend.clone(), "memory://".into()), backend)
}

fn leaf(i: u64) -> Vec<u8> {
    format!("leaf {i}\n").into_bytes()
}

/// Append `total` leaves, integrating after irregular batches, and check at
/// every checkpoint: signature, consistency with the previous one, and
/// inclusion of a sample of leaves read back from the tiles.
async fn grow_and_prove(store: Store, total: u64) {
    let log = Log::new(store, signer());
    let vkey = log.verifier().vkey();
    let mut previous: Option<Checkpoint> = None;
    let (mut next, mut batch) = (0u64, 1u64);
    while next < total {
        for _ in 0..batch.min(total - next) {
            assert_eq!(log.append(&leaf(next)).await.unwrap(), next);
            next += 1;
        }
        batch = batch * 3 % 97 + 1;
        let checkpoint = log.integrate().await.unwrap();
        assert_eq!(checkpoint.size, next);
        let signed = log.checkpoint().await.unwrap().unwrap();
        assert_eq!(super::verify_checkpoint(&signed.note, &vkey).unwrap(), checkpoint);
        if let Some(old) = &previous {
            let proof = log.consistency_proof(old.size, checkpoint.size).await.unwrap();
            assert!(verify_consistency(old.size, checkpoint.size, &proof, &old.root, &checkpoint.root));
        }
        for index in [0, next / 2, next.saturating_sub(1), next * 7 / 9] {
            let proof = log.inclusion_proof(index, next).await.unwrap();
            let hash = leaf_hash(&log.leaf(index).await.unwrap().unwrap());
            assert!(verify_inclusion(&hash, index, next, &proof, &checkpoint.root), "{index} in {next}");
        }
        previous = Some(checkpoint);
    }
    let last = previous.unwrap();
    // Proofs in older trees, and their roots, from the final tiles.
    for size in [1, 255, 256, 257, 300, 513, total].into_iter().filter(|s| *s <= total) {
        let root = log.root(size).await.unwrap();
        let consistency = log.consistency_proof(size, total).await.unwrap();
        assert!(verify_consistency(size, total, &consistency, &root, &last.root), "{size}");
        for index in (0..size).step_by(61) {
            let proof = log.inclusion_proof(index, size).await.unwrap();
            assert!(verify_inclusion(&leaf_hash(&leaf(index)), index, size, &proof, &root));
        }
    }
    assert!(matches!(log.inclusion_proof(0, total + 1).await, Err(LogError::NotPublished { .. })));
    assert!(matches!(log.inclusion_proof(total, total).await, Err(LogError::OutOfRange { .. })));
    // A new process (no cache) sees the same log and agrees with the audit.
    let fresh = Log::new(log.store.clone(), signer());
    assert_eq!(fresh.integrate().await.unwrap(), last);
    let audit = fresh.audit().await.unwrap();
    assert!(audit.is_clean(), "{:?}", audit.problems);
    assert_eq!((audit.leaves, audit.checkpoint), (total, Some(last)));
}

#[tokio::test]
async fn a_thousand_leaves_in_memory_prove_against_their_checkpoints() {
    grow_and_prove(memory().0, 1000).await;
}

#[tokio::test]
async fn a_thousand_leaves_on_disk_prove_against_their_checkpoints() {
    let dir = tempfile::tempdir().unwrap();
    grow_and_prove(Store::local(dir.path()).unwrap(), 1000).await;
}

#[tokio::test]
async fn single_writer_mode_emulates_the_swap() {
    let backend = Arc::new(crate::store::probe::testing::IgnoresConditions::default());
    let (store, _) = Store::from_backend(backend, "memory://".into()).check(true).await.unwrap();
    grow_and_prove(store, 300).await;
}

#[tokio::test]
async fn an_empty_log_publishes_an_empty_tree() {
    let log = Log::new(memory().0, signer());
    assert!(log.checkpoint().await.unwrap().is_none());
    assert_eq!(log.size_hint().await.unwrap(), 0);
    let checkpoint = log.integrate().await.unwrap();
    assert_eq!((checkpoint.size, checkpoint.root), (0, super::hash::empty_root()));
    assert!(log.audit().await.unwrap().is_clean());
}

#[tokio::test]
async fn leaves_are_found_again_and_size_hints_are_lower_bounds() {
    let (store, _) = memory();
    let (a, b) = (Log::new(store.clone(), signer()), Log::new(store.clone(), signer()));
    for i in 0..5 {
        a.append(&leaf(i)).await.unwrap();
    }
    assert_eq!(b.size_hint().await.unwrap(), 0);
    a.integrate().await.unwrap();
    assert_eq!(Log::new(store.clone(), signer()).size_hint().await.unwrap(), 5);
    // b's hint is stale (0), but it skips claimed indexes.
    assert_eq!(b.append(&leaf(5)).await.unwrap(), 5);
    assert_eq!(b.size_hint().await.unwrap(), 6);
    let found = a.find_from(2, |bytes| bytes == leaf(5).as_slice()).await.unwrap();
    assert_eq!(found, Some((5, Bytes::from(leaf(5)))));
    assert_eq!(a.find_from(0, |bytes| bytes == b"nope").await.unwrap(), None);
    assert_eq!(a.leaf(6).await.unwrap(), None);
    // a integrates b's leaf too.
    assert_eq!(a.integrate().await.unwrap().size, 6);
    assert!(matches!(a.append(&vec![0; 65536]).await, Err(LogError::LeafTooLarge(65536))));
    a.append(&vec![0; 65535]).await.unwrap();
    assert_eq!(b.integrate().await.unwrap().size, 7);
}

/// Two logs on one store append and integrate concurrently.
async fn two_writers(store: Store) {
    let (a, b) = (Arc::new(Log::new(store.clone(), signer())), Arc::new(Log::new(store.clone(), signer())));
    let run = |log: Arc<Log>, name: &'static str| {
        tokio::spawn(async move {
            let mut seen = Vec::new();
            for i in 0..150 {
                log.append(format!("{name} {i}\n").as_bytes()).await.unwrap();
                if i % 10 == 9 {
                    seen.push(log.integrate().await.unwrap());
                }
            }
            seen.push(log.integrate().await.unwrap());
            seen
        })
    };
    let (seen_a, seen_b) = tokio::join!(run(a.clone(), "a"), run(b.clone(), "b"));
    let last_a = a.integrate().await.unwrap();
    let last_b = b.integrate().await.unwrap();
    assert_eq!(last_a, last_b);
    assert_eq!(last_a.size, 300);
    // Every leaf exactly once.
    let mut all = Vec::new();
    for i in 0..300 {
        all.push(String::from_utf8(a.leaf(i).await.unwrap().unwrap().to_vec()).unwrap());
    }
    all.sort();
    let mut want: Vec<String> =
        ["a", "b"].iter().flat_map(|n| (0..150).map(move |i| format!("{n} {i}\n"))).collect();
    want.sort();
    assert_eq!(all, want);
    // Every checkpoint either writer ever returned is a prefix of the final tree.
    for checkpoint in seen_a.unwrap().into_iter().chain(seen_b.unwrap()) {
        let proof = a.consistency_proof(checkpoint.size, 300).await.unwrap();
        assert!(verify_consistency(checkpoint.size, 300, &proof, &checkpoint.root, &last_a.root));
    }
    // And so is every checkpoint kept in the history (the audit checks it).
    let audit = a.audit().await.unwrap();
    assert!(audit.is_clean(), "{:?}", audit.problems);
    assert!(audit.checkpoints_checked > 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writers_in_memory_converge_on_one_tree() {
    two_writers(memory().0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writers_on_disk_converge_on_one_tree() {
    let dir = tempfile::tempdir().unwrap();
    two_writers(Store::local(dir.path()).unwrap()).await;
}

async fn put(backend: &InMemory, key: &str, bytes: impl Into<Bytes>) {
    backend.put(&ObjectPath::from(key), PutPayload::from(bytes.into())).await.unwrap();
}

/// A log of 300 leaves with checkpoints at 100, 200 and 300.
async fn sample() -> (Log, Arc<InMemory>) {
    let (store, backend) = memory();
    let log = Log::new(store, signer());
    for i in 0..300 {
        log.append(&leaf(i)).await.unwrap();
        if i % 100 == 99 {
            log.integrate().await.unwrap();
        }
    }
    (log, backend)
}

#[tokio::test]
async fn the_audit_finds_a_tampered_leaf() {
    let (log, backend) = sample().await;
    assert!(log.audit().await.unwrap().is_clean());
    put(&backend, &leaf_key(12), b"leaf 666\n".to_vec()).await;
    let audit = log.audit().await.unwrap();
    let bundle = Tile { level: Level::Entries, index: 0, width: 256 };
    assert!(
        audit.problems.contains(&AuditProblem::LeafDiffers { index: 12, bundle }),
        "{:?}",
        audit.problems
    );
    assert!(audit.problems.contains(&AuditProblem::TileDiffers(Tile {
        level: Level::Hashes(0),
        index: 0,
        width: 256
    })));
    let cp = AuditProblem::CheckpointNotPrefix { key: CHECKPOINT_KEY.into(), size: 300 };
    assert!(audit.problems.contains(&cp), "{:?}", audit.problems);
    assert_eq!(audit.problems[0].to_string(), "leaf 12 differs from its entry in bundle entries/000");
}

#[tokio::test]
async fn the_audit_finds_a_deleted_tile_and_a_deleted_leaf() {
    let (log, backend) = sample().await;
    let tile = Tile { level: Level::Hashes(0), index: 0, width: 100 };
    backend.delete(&ObjectPath::from(format!("log/{}", tile.path()))).await.unwrap();
    backend.delete(&ObjectPath::from(leaf_key(250))).await.unwrap();
    let audit = log.audit().await.unwrap();
    let text: Vec<String> = audit.problems.iter().map(ToString::to_string).collect();
    assert!(text.contains(&"tile 0/000.p/100 missing".to_owned()), "{text:?}");
    assert!(text.contains(&"leaf 250 missing".to_owned()), "{text:?}");
    assert_eq!(audit.leaves, 250);
}

#[tokio::test]
async fn the_audit_finds_a_rewritten_history() {
    let (log, backend) = sample().await;
    // A checkpoint of 200 leaves re-signed with the log's own key over
    // another root: a validly signed statement the log never made.
    let (log_a, _) = memory();
    let other = Log::new(log_a, signer());
    for i in 0..200 {
        other.append(format!("other {i}\n").as_bytes()).await.unwrap();
    }
    other.integrate().await.unwrap();
    let forged = other.checkpoint().await.unwrap().unwrap().note;
    put(&backend, &history_key(200), forged).await;
    // And one signed by a stranger.
    let stranger = NoteSigner::from_seed(ORIGIN, [7; 32]).unwrap();
    let note = Checkpoint { origin: ORIGIN.into(), size: 100, root: [0; 32] }.sign(&stranger).unwrap();
    put(&backend, &history_key(100), note).await;
    let audit = log.audit().await.unwrap();
    let text: Vec<String> = audit.problems.iter().map(ToString::to_string).collect();
    assert!(
        text.contains(&"checkpoint 200 (log/checkpoints/000000000200) not a prefix of the log".into()),
        "{text:?}"
    );
    assert!(
        text.iter().any(|p| p.starts_with("checkpoint log/checkpoints/000000000100 invalid")),
        "{text:?}"
    );
    assert_eq!(audit.problems.len(), 2, "{text:?}");
}

#[tokio::test]
async fn a_writer_refuses_to_adopt_a_forked_checkpoint() {
    let (log, backend) = sample().await;
    // Someone with the key publishes a bigger tree that is not ours.
    let note = Checkpoint { origin: ORIGIN.into(), size: 301, root: [9; 32] }.sign(&signer()).unwrap();
    put(&backend, CHECKPOINT_KEY, note.clone()).await;
    log.append(&leaf(300)).await.unwrap();
    let err = log.integrate().await.unwrap_err();
    assert!(matches!(err, LogError::Corrupt { .. } | LogError::Fork(_)), "{err}");
    let fresh = Log::new(log.store.clone(), signer());
    assert!(fresh.integrate().await.is_err());
    assert_eq!(open_checkpoint(&note, log.verifier()).unwrap().size, 301);
    // The history keeps our own tree of 301 (written before the swap was
    // lost), and the audit flags the published impostor.
    let kept = log.store.get(&history_key(301)).await.unwrap().unwrap();
    assert_ne!(kept, note.as_bytes());
    let audit = log.audit().await.unwrap();
    let impostor = AuditProblem::CheckpointNotPrefix { key: CHECKPOINT_KEY.into(), size: 301 };
    assert!(audit.problems.contains(&impostor), "{:?}", audit.problems);
    assert!(audit.problems.contains(&AuditProblem::CheckpointNotKept(301)), "{:?}", audit.problems);
}
