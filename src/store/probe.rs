//! The capability probe: acta's guarantees (create-only keys, gap-free
//! numbers, a register log that cannot fork) rest on the store honouring
//! conditional writes, and not every S3-compatible store does (Garage 2.5
//! silently ignores `If-None-Match: *` and `If-Match`). So the store is
//! *probed*, not trusted: at start-up and by `acta doctor`. On an S3 bucket
//! the probe also reports whether Object Lock retention is enforced (see
//! [`super::lock`]).

use bytes::Bytes;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload, UpdateVersion};
use serde::Serialize;

use super::StoreError;
use super::bucket::Bucket;
use super::keys::PROBE_PREFIX;
use super::lock::{self, ObjectLock};

/// How a store treats one kind of conditional write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Support {
    /// The condition is enforced.
    Honoured,
    /// The store says it cannot do it (an explicit error: never silent).
    Unsupported,
    /// The store accepts the write and ignores the condition: the dangerous case.
    Ignored,
}

/// What the store was seen to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Capabilities {
    /// A create-only write (`If-None-Match: *`) when the key exists.
    pub create_only: Support,
    /// A write conditional on a stale ETag (`If-Match`).
    pub compare_and_swap: Support,
    /// Whether the bucket retains object versions (Object Lock).
    pub object_lock: ObjectLock,
}

impl Capabilities {
    /// Whether several writers may share this store safely: create-only must
    /// be enforced (numbers and records rest on it) and no condition may be
    /// silently ignored. The local file system enforces create-only and
    /// explicitly refuses compare-and-swap, which is safe.
    pub fn multi_writer_safe(&self) -> bool {
        self.create_only == Support::Honoured && self.compare_and_swap != Support::Ignored
    }
}

impl std::fmt::Display for Capabilities {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let word = |s: Support| match s {
            Support::Honoured => "honoured",
            Support::Unsupported => "not supported (refused explicitly)",
            Support::Ignored => "SILENTLY IGNORED",
        };
        write!(
            f,
            "create-only writes (If-None-Match: *): {}; compare-and-swap (If-Match): {}; {}",
            word(self.create_only),
            word(self.compare_and_swap),
            self.object_lock
        )
    }
}

/// Probe `store` with a throw-away object under `_probe/` (one byte, two
/// versions); `bucket` is the S3 bucket behind it, if any, for Object Lock.
pub(super) async fn probe(
    store: &dyn ObjectStore,
    bucket: Option<&Bucket>,
) -> Result<Capabilities, StoreError> {
    let key = ObjectPath::from(format!("{PROBE_PREFIX}{}", uuid::Uuid::now_v7()));
    let create = PutOptions { mode: PutMode::Create, ..PutOptions::default() };
    let first = store.put_opts(&key, PutPayload::from(Bytes::from_static(b"1")), create.clone()).await?;
    let create_only = match store.put_opts(&key, PutPayload::from(Bytes::from_static(b"2")), create).await {
        Err(object_store::Error::AlreadyExists { .. } | object_store::Error::Precondition { .. }) => {
            Support::Honoured
        }
        Err(object_store::Error::NotImplemented { .. }) => Support::Unsupported,
        Ok(_) => Support::Ignored,
        Err(e) => return Err(e.into()),
    };
    // Swap against the current version: must succeed once, then be refused
    // when retried with the same (now stale) version.
    let update = |v: UpdateVersion| PutOptions { mode: PutMode::Update(v), ..PutOptions::default() };
    let head = store.head(&key).await?;
    let current = UpdateVersion { e_tag: head.e_tag.clone(), version: head.version.clone() };
    let compare_and_swap = match store
        .put_opts(&key, PutPayload::from(Bytes::from_static(b"3")), update(current.clone()))
        .await
    {
        Err(object_store::Error::NotImplemented { .. }) => Support::Unsupported,
        Err(e) => return Err(e.into()),
        Ok(_) => {
            match store.put_opts(&key, PutPayload::from(Bytes::from_static(b"4")), update(current)).await {
                Err(object_store::Error::Precondition { .. }) => Support::Honoured,
                Ok(_) => Support::Ignored,
                Err(e) => return Err(e.into()),
            }
        }
    };
    let object_lock = match bucket {
        Some(b) => lock::check(b, key.as_ref(), first.version.as_deref()).await?,
        None => ObjectLock::NOT_APPLICABLE,
    };
    // Best effort, to keep listings clean: under Object Lock this only adds a
    // delete marker and the retained versions stay (a few bytes, no act data).
    let _ = store.delete(&key).await;
    Ok(Capabilities { create_only, compare_and_swap, object_lock })
}

#[cfg(test)]
mod tests {
    use super::*;
    use object_store::memory::InMemory;

    #[tokio::test]
    async fn an_honest_store_passes_the_probe() {
        let caps = probe(&InMemory::new(), None).await.unwrap();
        assert!(caps.multi_writer_safe(), "{caps}");
    }

    #[tokio::test]
    async fn a_store_that_ignores_conditions_is_caught() {
        let caps = probe(&testing::IgnoresConditions::default(), None).await.unwrap();
        assert_eq!(caps.create_only, Support::Ignored, "{caps}");
        assert_eq!(caps.compare_and_swap, Support::Ignored, "{caps}");
        assert!(!caps.multi_writer_safe());
    }
}

/// Test doubles for stores that misbehave.
#[cfg(test)]
pub(crate) mod testing {
    use std::fmt;
    use std::ops::Range;

    use futures::stream::BoxStream;
    use object_store::memory::InMemory;
    use object_store::path::Path;
    use object_store::{
        CopyOptions, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore, PutMode,
        PutMultipartOptions, PutOptions, PutPayload, PutResult, Result,
    };

    /// An in-memory store that, like Garage 2.5, silently ignores
    /// `If-None-Match` and `If-Match`: every conditional put overwrites.
    #[derive(Debug, Default)]
    pub struct IgnoresConditions(InMemory);

    impl fmt::Display for IgnoresConditions {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "IgnoresConditions")
        }
    }

    #[async_trait::async_trait]
    impl ObjectStore for IgnoresConditions {
        async fn put_opts(
            &self,
            location: &Path,
            payload: PutPayload,
            mut opts: PutOptions,
        ) -> Result<PutResult> {
            opts.mode = PutMode::Overwrite;
            self.0.put_opts(location, payload, opts).await
        }
        async fn put_multipart_opts(
            &self,
            location: &Path,
            opts: PutMultipartOptions,
        ) -> Result<Box<dyn MultipartUpload>> {
            self.0.put_multipart_opts(location, opts).await
        }
        async fn get_opts(&self, location: &Path, options: GetOptions) -> Result<GetResult> {
            self.0.get_opts(location, options).await
        }
        async fn get_ranges(&self, location: &Path, ranges: &[Range<u64>]) -> Result<Vec<bytes::Bytes>> {
            self.0.get_ranges(location, ranges).await
        }
        fn delete_stream(
            &self,
            locations: BoxStream<'static, Result<Path>>,
        ) -> BoxStream<'static, Result<Path>> {
            self.0.delete_stream(locations)
        }
        fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, Result<ObjectMeta>> {
            self.0.list(prefix)
        }
        async fn list_with_delimiter(&self, prefix: Option<&Path>) -> Result<ListResult> {
            self.0.list_with_delimiter(prefix).await
        }
        async fn copy_opts(&self, from: &Path, to: &Path, options: CopyOptions) -> Result<()> {
            self.0.copy_opts(from, to, options).await
        }
    }
}
