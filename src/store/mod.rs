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

pub mod copy;
pub mod keys;
mod location;
pub mod probe;

use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use object_store::path::Path as ObjectPath;
use object_store::{GetOptions, ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload};

pub use location::{Location, S3Settings};
pub use object_store::GetRange;
pub use probe::{Capabilities, Support};

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
    /// The backend failed or is unreachable.
    #[error("object store unavailable")]
    Backend(#[from] object_store::Error),
}

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
    location: String,
}

impl Store {
    /// A store on the local file system, rooted at `dir` (created if missing).
    pub fn local(dir: &Path) -> Result<Self, StoreError> {
        let location = Location::Local(dir.to_owned());
        Ok(Self::from_backend(location.open(&S3Settings::default())?, format!("file://{}", dir.display())))
    }

    /// The store at `url` (see [`Location`]), not yet probed.
    pub fn open(url: &str, s3: &S3Settings) -> Result<Self, StoreError> {
        Ok(Self::from_backend(Location::parse(url)?.open(s3)?, url.to_owned()))
    }

    /// Wrap any backend (tests use in-memory or misbehaving ones).
    pub fn from_backend(inner: Arc<dyn ObjectStore>, location: String) -> Self {
        Self { inner, mode: Arc::new(WriteMode::Conditional), location }
    }

    /// The URL this store was opened from.
    pub fn location(&self) -> &str {
        &self.location
    }

    /// Probe the backend and choose the write mode: refuse a store that does
    /// not honour conditional writes unless `single_writer` is set.
    pub async fn check(self, single_writer: bool) -> Result<(Self, Capabilities), StoreError> {
        let caps = probe::probe(self.inner.as_ref()).await?;
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

    #[tokio::test]
    async fn a_store_ignoring_conditions_is_refused_unless_single_writer() {
        let backend = Arc::new(probe::testing::IgnoresConditions::default());
        let store = Store::from_backend(backend, "memory://".into());
        assert!(matches!(store.clone().check(false).await, Err(StoreError::UnsafeForMultiWriter(_))));
        let (single, _) = store.check(true).await.unwrap();
        create_twice(&single).await.unwrap();
    }
}
