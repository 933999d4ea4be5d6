//! Copying a whole store to another (`acta store copy --to URL`), e.g. from the
//! local default to S3. Every object is verified after it is written; objects
//! already present with the same bytes are skipped, so an interrupted copy is
//! resumed by running it again; an object present with *other* bytes stops the
//! copy (nothing is ever overwritten).

use sha2::{Digest, Sha256};

use super::keys::{BENCH_PREFIX, PROBE_PREFIX};
use super::{Store, StoreError};

/// What a copy did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CopyReport {
    /// Objects written to the target.
    pub copied: u64,
    /// Objects already in the target with the same bytes.
    pub skipped: u64,
    /// Bytes written.
    pub bytes: u64,
}

/// A copy failed.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    /// A store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The target holds other bytes under a key of the source.
    #[error("{0} exists in the target with different content: refusing to overwrite it")]
    Conflict(String),
    /// What was read back from the target differs from what was written.
    #[error("{0}: the copy read back from the target does not match the source")]
    Verify(String),
}

/// Copy every object of `from` into `to`; `progress(done, total)` is called
/// after each object.
pub async fn copy_all(
    from: &Store,
    to: &Store,
    progress: &dyn Fn(u64, u64),
) -> Result<CopyReport, CopyError> {
    let keys: Vec<String> = from
        .list("")
        .await?
        .into_iter()
        .filter(|k| !k.starts_with(PROBE_PREFIX) && !k.starts_with(BENCH_PREFIX))
        .collect();
    let total = keys.len() as u64;
    let mut report = CopyReport::default();
    for (i, key) in keys.iter().enumerate() {
        // Listed a moment ago; gone only if someone deletes, which acta never does.
        let Some(bytes) = from.get(key).await? else { continue };
        let digest = Sha256::digest(&bytes);
        match to.get(key).await? {
            Some(existing) if Sha256::digest(&existing) == digest => report.skipped += 1,
            Some(_) => return Err(CopyError::Conflict(key.clone())),
            None => {
                match to.create(key, bytes.clone()).await {
                    Ok(()) | Err(StoreError::AlreadyExists(_)) => {}
                    Err(e) => return Err(e.into()),
                }
                let back = to.get(key).await?.unwrap_or_default();
                if Sha256::digest(&back) != digest {
                    return Err(CopyError::Verify(key.clone()));
                }
                report.copied += 1;
                report.bytes += bytes.len() as u64;
            }
        }
        progress(i as u64 + 1, total);
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    #[tokio::test]
    async fn a_copy_is_verified_resumable_and_never_overwrites() {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let (src, dst) = (Store::local(a.path()).unwrap(), Store::local(b.path()).unwrap());
        src.create("acts/1/x.json", Bytes::from_static(b"one")).await.unwrap();
        src.create("registers/2.json", Bytes::from_static(b"two")).await.unwrap();
        dst.create("acts/1/x.json", Bytes::from_static(b"one")).await.unwrap(); // an earlier, interrupted run

        let report = copy_all(&src, &dst, &|_, _| {}).await.unwrap();
        assert_eq!(report, CopyReport { copied: 1, skipped: 1, bytes: 3 });
        assert_eq!(dst.get("registers/2.json").await.unwrap().unwrap(), Bytes::from_static(b"two"));

        src.create("acts/3.json", Bytes::from_static(b"new")).await.unwrap();
        dst.create("acts/3.json", Bytes::from_static(b"old")).await.unwrap();
        assert!(
            matches!(copy_all(&src, &dst, &|_, _| {}).await, Err(CopyError::Conflict(k)) if k == "acts/3.json")
        );
    }
}
