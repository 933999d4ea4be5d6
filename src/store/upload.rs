//! Streaming I/O for large objects (SIPs, annexes: several GiB): uploads in
//! parts, downloads chunk by chunk, never the whole object in memory. At most
//! `PARTS_IN_FLIGHT + 1` parts of [`PART_SIZE`] are buffered at once.
//!
//! *Create-only for large objects.* An object no larger than one part goes
//! through [`Store::create`] and is as conditional as any other write. A larger
//! one is uploaded in parts, and `object_store` 0.14 completes a multipart
//! upload unconditionally (no `If-None-Match` on CompleteMultipartUpload, and
//! the local backend renames over the target). So create-only is checked by
//! acta: the key must be absent before the first part and again just before
//! completion (in single-writer mode, the first check is made under the
//! process-wide write lock). The remaining window is the last part and the
//! completion: callers must use keys that are unique by construction (an act or
//! transfer id in the key), as acta's layout does.

use std::path::Path;

use bytes::{Bytes, BytesMut};
use futures::{Stream, StreamExt};
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStoreExt, WriteMultipart};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::{Store, StoreError, WriteMode};

/// Size of one part of a multipart upload (S3 wants at least 5 MiB, at most
/// 10 000 parts: 8 MiB parts allow objects of 78 GiB).
pub const PART_SIZE: usize = 8 << 20;
/// Parts uploaded concurrently while the next one fills.
const PARTS_IN_FLIGHT: usize = 2;
/// Size of one read from a local file.
const READ_CHUNK: usize = 1 << 20;

/// An object streamed to or from the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transferred {
    /// Bytes.
    pub size: u64,
    /// SHA-256 of the bytes, lowercase hex, computed on the way.
    pub sha256: String,
}

fn file_error(path: &Path) -> impl Fn(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::File { path: path.display().to_string(), source }
}

/// The bytes of `file` in chunks of [`READ_CHUNK`].
fn file_chunks(
    file: tokio::fs::File,
    path: &Path,
) -> impl Stream<Item = Result<Bytes, StoreError>> + Send + Unpin + '_ {
    futures::stream::try_unfold(file, move |mut file| async move {
        let mut buf = BytesMut::with_capacity(READ_CHUNK);
        while buf.len() < READ_CHUNK {
            if file.read_buf(&mut buf).await.map_err(file_error(path))? == 0 {
                break;
            }
        }
        Ok((!buf.is_empty()).then(|| (buf.freeze(), file)))
    })
    .boxed()
}

impl Store {
    /// Store the file at `path` under `key`, create-only, in parts if it is
    /// larger than [`PART_SIZE`]; see the [module docs](self) for how
    /// create-only is kept for multipart uploads.
    pub async fn create_from_file(&self, key: &str, path: &Path) -> Result<Transferred, StoreError> {
        let file = tokio::fs::File::open(path).await.map_err(file_error(path))?;
        self.create_from_stream(key, file_chunks(file, path)).await
    }

    /// Store the bytes of `stream` under `key`, create-only, like
    /// [`Store::create_from_file`].
    pub async fn create_from_stream<S>(&self, key: &str, mut stream: S) -> Result<Transferred, StoreError>
    where
        S: Stream<Item = Result<Bytes, StoreError>> + Send + Unpin,
    {
        let mut hasher = Sha256::new();
        let mut size = 0u64;
        // Up to one part: a plain, conditional put.
        let mut head = Vec::new();
        let mut head_len = 0;
        while head_len <= PART_SIZE {
            let Some(chunk) = stream.next().await.transpose()? else {
                let bytes = Bytes::from(head.concat());
                hasher.update(&bytes);
                let size = bytes.len() as u64;
                self.create(key, bytes).await?;
                return Ok(Transferred { size, sha256: hex::encode(hasher.finalize()) });
            };
            head_len += chunk.len();
            head.push(chunk);
        }
        let path = ObjectPath::from(key);
        self.absent_before_multipart(key, &path).await?;
        let upload = self.inner.put_multipart(&path).await?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, PART_SIZE);
        let mut chunks = futures::stream::iter(head.into_iter().map(Ok)).chain(stream);
        let fed: Result<(), StoreError> = async {
            while let Some(chunk) = chunks.next().await {
                let chunk = chunk?;
                writer.wait_for_capacity(PARTS_IN_FLIGHT).await?;
                hasher.update(&chunk);
                size += chunk.len() as u64;
                writer.put(chunk);
            }
            // The second check: narrows the window to the last part.
            self.absent(key, &path).await
        }
        .await;
        match fed {
            Ok(()) => {
                writer.finish().await?;
                Ok(Transferred { size, sha256: hex::encode(hasher.finalize()) })
            }
            Err(e) => {
                // Nothing was completed: the parts are discarded, no partial
                // object is ever visible.
                let _ = writer.abort().await;
                Err(e)
            }
        }
    }

    /// Fail with `AlreadyExists` if `key` is there.
    async fn absent(&self, key: &str, path: &ObjectPath) -> Result<(), StoreError> {
        match self.inner.head(path).await {
            Ok(_) => Err(StoreError::AlreadyExists(key.to_owned())),
            Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// The check before a multipart upload, under the write lock in
    /// single-writer mode (so that no create of this process interleaves).
    async fn absent_before_multipart(&self, key: &str, path: &ObjectPath) -> Result<(), StoreError> {
        match self.mode.as_ref() {
            WriteMode::Conditional => self.absent(key, path).await,
            WriteMode::SingleWriter(lock) => {
                let _guard = lock.lock().await;
                self.absent(key, path).await
            }
        }
    }

    /// Remove an object written by a benchmark (best effort: a bucket under
    /// Object Lock keeps it). acta deletes nothing else, ever.
    pub(crate) async fn remove_bench_object(&self, key: &str) {
        if key.starts_with(super::keys::BENCH_PREFIX) {
            let _ = self.inner.delete(&ObjectPath::from(key)).await;
        }
    }

    /// Write the object at `key` to a new file at `path`, chunk by chunk;
    /// `None` (and no file) if there is no such object. The file is synced
    /// before returning.
    pub async fn read_to_file(&self, key: &str, path: &Path) -> Result<Option<Transferred>, StoreError> {
        let Some(mut object) = self.read(key, None).await? else { return Ok(None) };
        let mut file = tokio::fs::File::create_new(path).await.map_err(file_error(path))?;
        let mut hasher = Sha256::new();
        let mut size = 0u64;
        while let Some(chunk) = object.stream.next().await.transpose()? {
            hasher.update(&chunk);
            size += chunk.len() as u64;
            file.write_all(&chunk).await.map_err(file_error(path))?;
        }
        file.sync_all().await.map_err(file_error(path))?;
        Ok(Some(Transferred { size, sha256: hex::encode(hasher.finalize()) }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 20 MiB + 3 bytes of a non-repeating pattern: three parts, the last short.
    fn pattern(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i as u32).wrapping_mul(2_654_435_761).to_le_bytes()[3]).collect()
    }

    #[tokio::test]
    async fn a_large_file_round_trips_in_parts_create_only() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = Store::local(&dir.path().join("store")).unwrap().check(false).await.unwrap();
        let bytes = pattern(2 * PART_SIZE + (4 << 20) + 3);
        let src = dir.path().join("sip.zip");
        std::fs::write(&src, &bytes).unwrap();
        let expected = hex::encode(Sha256::digest(&bytes));

        let up = store.create_from_file("transfers/1/sip.zip", &src).await.unwrap();
        assert_eq!(up, Transferred { size: bytes.len() as u64, sha256: expected.clone() });
        let again = store.create_from_file("transfers/1/sip.zip", &src).await;
        assert!(matches!(again, Err(StoreError::AlreadyExists(_))), "{again:?}");

        let dst = dir.path().join("back.zip");
        let down = store.read_to_file("transfers/1/sip.zip", &dst).await.unwrap().unwrap();
        assert_eq!(down.sha256, expected);
        assert_eq!(std::fs::read(&dst).unwrap(), bytes);
        assert!(store.read_to_file("transfers/none", &dir.path().join("x")).await.unwrap().is_none());
        assert_eq!(store.list("transfers/").await.unwrap(), ["transfers/1/sip.zip"]);
    }

    #[tokio::test]
    async fn a_small_file_is_a_plain_conditional_put() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::local(&dir.path().join("store")).unwrap();
        let src = dir.path().join("a.txt");
        std::fs::write(&src, b"acte").unwrap();
        assert_eq!(store.create_from_file("a", &src).await.unwrap().size, 4);
        assert!(matches!(store.create_from_file("a", &src).await, Err(StoreError::AlreadyExists(_))));
        let empty = dir.path().join("empty");
        std::fs::write(&empty, b"").unwrap();
        assert_eq!(store.create_from_file("e", &empty).await.unwrap().size, 0);
    }
}
