//! Object storage: where sealed acts, their metadata and the registers live.
//!
//! Every write is *create-only*: a key, once written, is never overwritten, so a
//! sealed act cannot be silently replaced and two writers can never both claim
//! the same register number. This module is the only one that talks to
//! `object_store`; the rest of acta sees [`Store`] and the key layout in
//! [`keys`].

use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use futures::TryStreamExt;
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload};

/// The key layout. Keys are built here only, from parsed identifiers, so no
/// request can name an arbitrary key.
pub mod keys {
    use crate::domain::{ActId, Series, Siren};

    /// Prefix of everything about one act.
    pub fn act_prefix(id: &ActId) -> String {
        format!("acts/{id}/")
    }

    /// The draft record (request, metadata) of an act.
    pub fn draft(id: &ActId) -> String {
        format!("acts/{id}/draft.json")
    }

    /// The sealed PDF of an act.
    pub fn sealed_pdf(id: &ActId) -> String {
        format!("acts/{id}/sealed.pdf")
    }

    /// The seal record of an act: written last, its presence means "sealed".
    pub fn sealed_record(id: &ActId) -> String {
        format!("acts/{id}/sealed.json")
    }

    /// Prefix of one register (a collectivité's series for a year).
    pub fn register_prefix(siren: &Siren, series: &Series, year: i32) -> String {
        format!("registers/{siren}/{series}/{year:04}/")
    }

    /// Prefix of every register.
    pub const REGISTERS: &str = "registers/";

    /// One register entry; zero-padded so that keys sort in number order.
    pub fn register_entry(siren: &Siren, series: &Series, year: i32, seq: u64) -> String {
        format!("{}{seq:010}.json", register_prefix(siren, series, year))
    }
}

/// A storage operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A create-only write found the key already there.
    #[error("object {0} already exists")]
    AlreadyExists(String),
    /// The local store directory could not be created.
    #[error("cannot open local store at {path}")]
    Open {
        /// Directory.
        path: String,
        /// Cause.
        source: std::io::Error,
    },
    /// The backend failed or is unreachable.
    #[error("object store unavailable: {0}")]
    Backend(#[from] object_store::Error),
}

/// Handle on the object store; cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    inner: Arc<dyn ObjectStore>,
}

impl Store {
    /// A store on the local file system, rooted at `dir` (created if missing).
    pub fn local(dir: &Path) -> Result<Self, StoreError> {
        let open_err = |source| StoreError::Open { path: dir.display().to_string(), source };
        std::fs::create_dir_all(dir).map_err(open_err)?;
        let fs = LocalFileSystem::new_with_prefix(dir)?;
        Ok(Self { inner: Arc::new(fs) })
    }

    /// Write `bytes` at `key` unless something is already there.
    pub async fn create(&self, key: &str, bytes: Bytes) -> Result<(), StoreError> {
        let opts = PutOptions { mode: PutMode::Create, ..PutOptions::default() };
        match self.inner.put_opts(&ObjectPath::from(key), PutPayload::from(bytes), opts).await {
            Ok(_) => Ok(()),
            Err(object_store::Error::AlreadyExists { .. }) => Err(StoreError::AlreadyExists(key.to_owned())),
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

    #[tokio::test]
    async fn a_key_cannot_be_written_twice() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::local(dir.path()).unwrap();
        store.create("a/b.json", Bytes::from_static(b"1")).await.unwrap();
        let second = store.create("a/b.json", Bytes::from_static(b"2")).await;
        assert!(matches!(second, Err(StoreError::AlreadyExists(_))));
        assert_eq!(store.get("a/b.json").await.unwrap().unwrap(), Bytes::from_static(b"1"));
        assert_eq!(store.get("a/none").await.unwrap(), None);
        assert_eq!(store.list("a/").await.unwrap(), ["a/b.json"]);
    }
}
