//! Large objects streamed through the store in parts, on both backends: a
//! 64 MiB file (eight parts) goes up with `create_from_file` and comes back
//! with `read_to_file`, byte-identical, its SHA-256 checked on the way and
//! after; create-only holds for it too.

use std::io::Write;
use std::path::Path;

use acta::store::{GetRange, PART_SIZE, Store, StoreError};
use futures::TryStreamExt;
use sha2::{Digest, Sha256};

use crate::seaweed::Seaweed;

const SIZE: usize = 64 << 20;

/// A 64 MiB file of non-repeating bytes (so a misplaced part shows), and its
/// SHA-256.
fn big_file(dir: &Path) -> (std::path::PathBuf, String) {
    let path = dir.join("sip.zip");
    let mut file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    let mut hasher = Sha256::new();
    const BLOCK: usize = 1 << 20;
    let mut block = vec![0u8; BLOCK];
    for b in 0..SIZE / BLOCK {
        for (i, byte) in block.iter_mut().enumerate() {
            *byte = ((b * BLOCK + i) as u32).wrapping_mul(2_654_435_761).to_le_bytes()[3];
        }
        hasher.update(&block);
        file.write_all(&block).unwrap();
    }
    file.flush().unwrap();
    (path, hex::encode(hasher.finalize()))
}

fn file_sha256(path: &Path) -> String {
    hex::encode(Sha256::digest(std::fs::read(path).unwrap()))
}

async fn round_trip(store: &Store) {
    const { assert!(SIZE > 4 * PART_SIZE, "several parts") };
    let dir = tempfile::tempdir().unwrap();
    let (src, sha) = big_file(dir.path());
    let key = "transfers/0192/sip.zip";

    let up = store.create_from_file(key, &src).await.unwrap();
    assert_eq!((up.size, up.sha256.as_str()), (SIZE as u64, sha.as_str()));
    let again = store.create_from_file(key, &src).await;
    assert!(matches!(again, Err(StoreError::AlreadyExists(_))), "{again:?}");

    let back = dir.path().join("back.zip");
    let down = store.read_to_file(key, &back).await.unwrap().unwrap();
    assert_eq!((down.size, down.sha256.as_str()), (SIZE as u64, sha.as_str()));
    assert_eq!(file_sha256(&back), sha);

    // A range across a part boundary.
    let at = PART_SIZE as u64 - 2;
    let part = store.read(key, Some(GetRange::Bounded(at..at + 4))).await.unwrap().unwrap();
    let bytes: Vec<bytes::Bytes> = part.stream.try_collect().await.unwrap();
    let expected: Vec<u8> =
        (at..at + 4).map(|i| (i as u32).wrapping_mul(2_654_435_761).to_le_bytes()[3]).collect();
    assert_eq!(bytes.concat(), expected);
}

#[tokio::test]
async fn a_multipart_object_round_trips_on_the_local_store() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = Store::local(dir.path()).unwrap().check(false).await.unwrap();
    round_trip(&store).await;
}

#[tokio::test]
async fn a_multipart_object_round_trips_on_seaweedfs() {
    let weed = Seaweed::start(&["acta-stream"]);
    let store = Store::open("s3://acta-stream/cdg", &weed.s3_settings()).unwrap();
    let (store, _) = store.check(false).await.unwrap();
    round_trip(&store).await;
}
