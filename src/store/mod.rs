//! Object storage: where drafts, registers, sealed acts and their records live.
//!
//! Every write is *create-only*: a key, once written, is never overwritten, so a
//! sealed act cannot be silently replaced and two writers can never both claim
//! the same register number. This module is the only one that talks to
//! `object_store`; the rest of acta sees [`Store`] and the key layout in
//! [`keys`]. Backends are chosen by a URL ([`Location`]): a local directory or
//! an S3-compatible bucket.
//!
//! *Write modes*: on a store that honours conditional writes (the
//! [`probe`] checks), create-only is enforced by the store itself and any
//! number of acta processes may share it. On one that does not, acta only runs
//! when told it is the single writer, and then enforces create-only with a
//! process-wide lock (check, then write).

mod bucket;
pub mod copy;
pub mod keys;
mod location;
pub mod lock;
pub mod probe;
mod upload;

use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use object_store::path::Path as ObjectPath;
use object_store::{GetOptions, ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload, UpdateVersion};

pub use location::{Location, S3Settings};
pub use lock::ObjectLock;
pub use object_store::GetRange;
pub use probe::{Capabilities, Support};
pub use upload::{PART_SIZE, Transferred};

/// A storage operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A create-only write found the key already there.
    #[error("object {0} already exists")]
    AlreadyExists(String),
    /// The store URL is not usable.
    #[error("invalid store location {0}")]
    Location(String),
    /// The local store directory could not be created.
    #[error("cannot open local store at {path}")]
    Open {
        /// Directory.
        path: String,
        /// Cause.
        source: std::io::Error,
    },
    /// A byte range outside the object was asked for.
    #[error("range not satisfiable (object of {size} bytes)")]
    RangeNotSatisfiable {
        /// Size of the object.
        size: u64,
    },
    /// The store does not honour conditional writes and acta was not told it
    /// is the only writer.
    #[error(
        "the object store does not honour conditional writes ({0}); several acta processes \
         sharing it could hand out the same act number. Use a store that does, or set \
         `single_writer = true` if this process is the only one writing to it"
    )]
    UnsafeForMultiWriter(Capabilities),
    /// A conditional update ([`Store::put_if`]) lost: the object was
    /// created or changed since it was read. Re-read it and retry.
    #[error("object {0} was changed by another writer")]
    Conflict(String),
    /// The backend failed or is unreachable.
    #[error("object store unavailable")]
    Backend(#[from] object_store::Error),
    /// A raw request to the S3 bucket (Object Lock probe) failed.
    #[error("S3 bucket request failed: {0}")]
    Bucket(String),
    /// A local file being uploaded or downloaded could not be read or written.
    #[error("file {path}")]
    File {
        /// The file.
        path: String,
        /// Cause.
        source: std::io::Error,
    },
}

/// The version of an object as read by [`Store::get_versioned`]: opaque, only
/// good for handing back to [`Store::put_if`]. It wraps the backend's ETag
/// and/or version id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version(UpdateVersion);

/// An object being read: its total size, the range served and the bytes.
pub struct ObjectRead {
    /// Size of the whole object.
    pub size: u64,
    /// The byte range the stream carries.
    pub range: Range<u64>,
    /// The bytes, in chunks.
    pub stream: BoxStream<'static, Result<Bytes, StoreError>>,
}

impl std::fmt::Debug for ObjectRead {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ObjectRead").field("size", &self.size).field("range", &self.range).finish()
    }
}

/// How create-only is enforced.
#[derive(Debug)]
enum WriteMode {
    /// By the store (`If-None-Match: *`).
    Conditional,
    /// By this process: check then write, under one lock.
    SingleWriter(tokio::sync::Mutex<()>),
}

/// Handle on the object store; cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    inner: Arc<dyn ObjectStore>,
    mode: Arc<WriteMode>,
    /// Serialises the emulated compare-and-swap of [`Store::put_if`] on
    /// backends that refuse `PutMode::Update` (the local file system).
    emulated_cas: Arc<tokio::sync::Mutex<()>>,
    /// The S3 bucket behind the store, for the probe's bucket-level requests.
    bucket: Option<Arc<bucket::Bucket>>,
    location: String,
}

impl Store {
    /// A store on the local file system, rooted at `dir` (created if missing).
    pub fn local(dir: &Path) -> Result<Self, StoreError> {
        let location = Location::Local(dir.to_owned());
        let (backend, _) = location.open(&S3Settings::default())?;
        Ok(Self::from_backend(backend, format!("file://{}", dir.display())))
    }

    /// The store at `url` (see [`Location`]), not yet probed.
    pub fn open(url: &str, s3: &S3Settings) -> Result<Self, StoreError> {
        let (backend, bucket) = Location::parse(url)?.open(s3)?;
        Ok(Self { bucket: bucket.map(Arc::new), ..Self::from_backend(backend, url.to_owned()) })
    }

    /// Wrap any backend (tests use in-memory or misbehaving ones).
    pub fn from_backend(inner: Arc<dyn ObjectStore>, location: String) -> Self {
        Self {
            inner,
            mode: Arc::new(WriteMode::Conditional),
            emulated_cas: Arc::new(tokio::sync::Mutex::new(())),
            bucket: None,
            location,
        }
    }

    /// The URL this store was opened from.
    pub fn location(&self) -> &str {
        &self.location
    }

    /// Probe the backend and choose the write mode: refuse a store that does
    /// not honour conditional writes unless `single_writer` is set.
    pub async fn check(self, single_writer: bool) -> Result<(Self, Capabilities), StoreError> {
        let caps = probe::probe(self.inner.as_ref(), self.bucket.as_deref()).await?;
        let mode = match (caps.multi_writer_safe(), single_writer) {
            (true, _) => WriteMode::Conditional,
            (false, true) => {
                tracing::warn!(%caps, "SINGLE-WRITER MODE: no other acta process may write to this store");
                WriteMode::SingleWriter(tokio::sync::Mutex::new(()))
            }
            (false, false) => return Err(StoreError::UnsafeForMultiWriter(caps)),
        };
        Ok((Self { mode: Arc::new(mode), ..self }, caps))
    }

    /// Write `bytes` at `key` unless something is already there.
    pub async fn create(&self, key: &str, bytes: Bytes) -> Result<(), StoreError> {
        let path = ObjectPath::from(key);
        let _guard = match self.mode.as_ref() {
            WriteMode::Conditional => None,
            WriteMode::SingleWriter(lock) => {
                let guard = lock.lock().await;
                match self.inner.head(&path).await {
                    Ok(_) => return Err(StoreError::AlreadyExists(key.to_owned())),
                    Err(object_store::Error::NotFound { .. }) => {}
                    Err(e) => return Err(e.into()),
                }
                Some(guard)
            }
        };
        let mode = match self.mode.as_ref() {
            WriteMode::Conditional => PutMode::Create,
            WriteMode::SingleWriter(_) => PutMode::Overwrite,
        };
        let opts = PutOptions { mode, ..PutOptions::default() };
        match self.inner.put_opts(&path, PutPayload::from(bytes), opts).await {
            Ok(_) => Ok(()),
            Err(object_store::Error::AlreadyExists { .. } | object_store::Error::Precondition { .. }) => {
                Err(StoreError::AlreadyExists(key.to_owned()))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The object at `key`, or `None` if there is none.
    pub async fn get(&self, key: &str) -> Result<Option<Bytes>, StoreError> {
        match self.inner.get(&ObjectPath::from(key)).await {
            Ok(r) => Ok(Some(r.bytes().await?)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// The object at `key` with its current version, or `None` if there is
    /// none: the first half of a compare-and-swap (see [`Store::put_if`]).
    pub async fn get_versioned(&self, key: &str) -> Result<Option<(Bytes, Version)>, StoreError> {
        match self.inner.get(&ObjectPath::from(key)).await {
            Ok(r) => {
                let version =
                    Version(UpdateVersion { e_tag: r.meta.e_tag.clone(), version: r.meta.version.clone() });
                Ok(Some((r.bytes().await?, version)))
            }
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Conditional write: with `expected = None`, create `key` only if it does
    /// not exist; with `Some(v)`, replace it only if it is still at version `v`
    /// (as read by [`Store::get_versioned`]). Losing either race is
    /// [`StoreError::Conflict`]. Returns the version written.
    ///
    /// Where the backend refuses `If-Match` (the local file system) or ignores
    /// conditions (single-writer mode), the check-then-write is done under a
    /// process-wide lock: exact within this process only. Callers that share
    /// such a store between processes must tolerate a lost update (the register
    /// log does: it only ever moves its checkpoint forward and re-checks).
    pub async fn put_if(
        &self,
        key: &str,
        bytes: Bytes,
        expected: Option<&Version>,
    ) -> Result<Version, StoreError> {
        let path = ObjectPath::from(key);
        if let WriteMode::SingleWriter(lock) = self.mode.as_ref() {
            let _guard = lock.lock().await;
            return self.emulated_put_if(&path, key, bytes, expected).await;
        }
        let mode = match expected {
            None => PutMode::Create,
            Some(v) => PutMode::Update(v.0.clone()),
        };
        let opts = PutOptions { mode, ..PutOptions::default() };
        match self.inner.put_opts(&path, PutPayload::from(bytes.clone()), opts).await {
            Ok(r) => Ok(Version(r.into())),
            Err(object_store::Error::AlreadyExists { .. } | object_store::Error::Precondition { .. }) => {
                Err(StoreError::Conflict(key.to_owned()))
            }
            Err(object_store::Error::NotImplemented { .. }) if expected.is_some() => {
                let _guard = self.emulated_cas.lock().await;
                self.emulated_put_if(&path, key, bytes, expected).await
            }
            Err(e) => Err(e.into()),
        }
    }

    /// [`Store::put_if`] by reading the current version then overwriting;
    /// the caller holds the lock that makes this atomic in the process.
    async fn emulated_put_if(
        &self,
        path: &ObjectPath,
        key: &str,
        bytes: Bytes,
        expected: Option<&Version>,
    ) -> Result<Version, StoreError> {
        let current = match self.inner.head(path).await {
            Ok(meta) => Some(UpdateVersion { e_tag: meta.e_tag, version: meta.version }),
            Err(object_store::Error::NotFound { .. }) => None,
            Err(e) => return Err(e.into()),
        };
        if current.as_ref() != expected.map(|v| &v.0) {
            return Err(StoreError::Conflict(key.to_owned()));
        }
        let opts = PutOptions { mode: PutMode::Overwrite, ..PutOptions::default() };
        let written = self.inner.put_opts(path, PutPayload::from(bytes), opts).await?;
        Ok(Version(written.into()))
    }

    /// Stream the object at `key` (or the byte `range` of it) without holding it
    /// in memory; `None` if there is no such object. A range running past the
    /// end is cut at the end; one starting past it is `RangeNotSatisfiable`.
    pub async fn read(&self, key: &str, range: Option<GetRange>) -> Result<Option<ObjectRead>, StoreError> {
        let path = ObjectPath::from(key);
        let ranged = range.is_some();
        let options = GetOptions { range, ..GetOptions::default() };
        match self.inner.get_opts(&path, options).await {
            Ok(result) => Ok(Some(ObjectRead {
                size: result.meta.size,
                range: result.range.clone(),
                stream: result.into_stream().map_err(StoreError::from).boxed(),
            })),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) if ranged => match self.inner.head(&path).await {
                Ok(meta) => Err(StoreError::RangeNotSatisfiable { size: meta.size }),
                Err(_) => Err(e.into()),
            },
            Err(e) => Err(e.into()),
        }
    }

    /// Every key under `prefix` (which should end with `/`), sorted.
    pub async fn list(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        let prefix = ObjectPath::from(prefix);
        let mut keys: Vec<String> =
            self.inner.list(Some(&prefix)).map_ok(|meta| meta.location.to_string()).try_collect().await?;
        keys.sort();
        Ok(keys)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn create_twice(store: &Store) -> Result<(), StoreError> {
        store.create("a/b.json", Bytes::from_static(b"1")).await?;
        let second = store.create("a/b.json", Bytes::from_static(b"2")).await;
        assert!(matches!(second, Err(StoreError::AlreadyExists(_))), "{second:?}");
        assert_eq!(store.get("a/b.json").await?.unwrap(), Bytes::from_static(b"1"));
        Ok(())
    }

    #[tokio::test]
    async fn a_key_cannot_be_written_twice() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::local(dir.path()).unwrap();
        let (store, caps) = store.check(false).await.unwrap();
        assert_eq!(caps.create_only, Support::Honoured, "{caps}");
        assert!(caps.multi_writer_safe());
        create_twice(&store).await.unwrap();
        assert_eq!(store.get("a/none").await.unwrap(), None);
        let part = store.read("a/b.json", Some(GetRange::Bounded(0..1))).await.unwrap().unwrap();
        assert_eq!((part.size, part.range.clone()), (1, 0..1));
        let bytes: Vec<Bytes> = part.stream.try_collect().await.unwrap();
        assert_eq!(bytes.concat(), b"1");
        let past_end = store.read("a/b.json", Some(GetRange::Offset(5))).await;
        assert!(matches!(past_end, Err(StoreError::RangeNotSatisfiable { size: 1 })), "{past_end:?}");
        assert!(store.read("a/none", None).await.unwrap().is_none());
        assert_eq!(store.list("a/").await.unwrap(), ["a/b.json"]);
    }

    async fn compare_and_swap(store: &Store) {
        let key = "log/checkpoint";
        assert!(store.get_versioned(key).await.unwrap().is_none());
        let v1 = store.put_if(key, Bytes::from_static(b"1"), None).await.unwrap();
        let again = store.put_if(key, Bytes::from_static(b"x"), None).await;
        assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
        let (bytes, read) = store.get_versioned(key).await.unwrap().unwrap();
        assert_eq!((bytes.as_ref(), &read), (&b"1"[..], &v1));
        let v2 = store.put_if(key, Bytes::from_static(b"2"), Some(&read)).await.unwrap();
        assert_ne!(v1, v2);
        // The version read before the swap is now stale.
        let stale = store.put_if(key, Bytes::from_static(b"3"), Some(&read)).await;
        assert!(matches!(stale, Err(StoreError::Conflict(_))), "{stale:?}");
        assert_eq!(store.get(key).await.unwrap().unwrap(), Bytes::from_static(b"2"));
        store.put_if(key, Bytes::from_static(b"4"), Some(&v2)).await.unwrap();
        assert_eq!(store.get(key).await.unwrap().unwrap(), Bytes::from_static(b"4"));
        // Replacing an object that does not exist is a conflict too.
        let (_, v) = store.get_versioned(key).await.unwrap().unwrap();
        let missing = store.put_if("log/none", Bytes::from_static(b"5"), Some(&v)).await;
        assert!(matches!(missing, Err(StoreError::Conflict(_))), "{missing:?}");
    }

    #[tokio::test]
    async fn compare_and_swap_on_every_backend() {
        let dir = tempfile::tempdir().unwrap();
        compare_and_swap(&Store::local(dir.path()).unwrap()).await;
        let memory = Store::from_backend(Arc::new(object_store::memory::InMemory::new()), "memory://".into());
        compare_and_swap(&memory).await;
        let backend = Arc::new(probe::testing::IgnoresConditions::default());
        let (single, _) = Store::from_backend(backend, "memory://".into()).check(true).await.unwrap();
        compare_and_swap(&single).await;
    }

    #[tokio::test]
    async fn concurrent_swaps_on_the_local_store_never_both_win() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::local(dir.path()).unwrap();
        store.put_if("c", Bytes::from_static(b"0"), None).await.unwrap();
        let (_, v) = store.get_versioned("c").await.unwrap().unwrap();
        let tries = (0..8).map(|i| {
            let (store, v) = (store.clone(), v.clone());
            tokio::spawn(
                async move { store.put_if("c", Bytes::from(vec![b'a' + i]), Some(&v)).await.is_ok() },
            )
        });
        let wins =
            futures::future::join_all(tries).await.into_iter().filter(|r| *r.as_ref().unwrap()).count();
        assert_eq!(wins, 1);
    }

    #[tokio::test]
    async fn a_store_ignoring_conditions_is_refused_unless_single_writer() {
        let backend = Arc::new(probe::testing::IgnoresConditions::default());
        let store = Store::from_backend(backend, "memory://".into());
        assert!(matches!(store.clone().check(false).await, Err(StoreError::UnsafeForMultiWriter(_))));
        let (single, _) = store.check(true).await.unwrap();
        create_twice(&single).await.unwrap();
    }
}
