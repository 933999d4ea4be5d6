//! Sealed PDFs kept in memory, so that serving one again reads nothing from
//! the store: the bytes are handed out as [`Bytes`] clones (a reference
//! count, never a copy).
//!
//! Terms:
//! - *budget*: the bytes of PDFs held at most (`http.pdf_cache_bytes`;
//!   0 disables the cache). When an insertion would exceed it, the least
//!   recently served PDFs are dropped first (LRU).
//! - *admitted*: a PDF of at most 1/8 of the budget; a larger one is always
//!   streamed from the store, so one long act never empties the cache.
//!
//! Entries can never be stale: a sealed PDF is written once (create-only),
//! never changed nor deleted, and is keyed by its act's id. A PDF enters
//! only once its bytes were checked against the SHA-256 of its seal record
//! (its `ETag`). The cache sits *behind* the access gate: [`Acta::pdf`] is
//! only reached for an act the caller may read, so an entry is never shared
//! across collectivités in a way the store would not be.

use std::sync::Mutex;

use bytes::{Bytes, BytesMut};
use futures::TryStreamExt;
use lru::LruCache;

use super::view::PdfBody;
use super::{Acta, ServiceError};
use crate::domain::{ActId, Sha256Digest};
use crate::store::keys;

/// The largest PDF admitted is the budget divided by this.
const LARGEST_SHARE: u64 = 8;

/// A byte-bounded LRU map of sealed PDFs, by act.
pub(super) struct PdfCache {
    budget: u64,
    inner: Mutex<Held>,
}

struct Held {
    pdfs: LruCache<ActId, Bytes>,
    bytes: u64,
}

impl std::fmt::Debug for PdfCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let held = self.inner.lock().expect("never poisoned");
        f.debug_struct("PdfCache")
            .field("budget", &self.budget)
            .field("pdfs", &held.pdfs.len())
            .field("bytes", &held.bytes)
            .finish()
    }
}

impl PdfCache {
    /// A cache holding at most `budget` bytes of PDFs (0: none).
    pub(super) fn new(budget: u64) -> Self {
        Self { budget, inner: Mutex::new(Held { pdfs: LruCache::unbounded(), bytes: 0 }) }
    }

    /// Whether a PDF of `size` bytes would be kept.
    pub(super) fn admits(&self, size: u64) -> bool {
        size > 0 && size <= self.budget / LARGEST_SHARE
    }

    /// The PDF of act `id`, if held (it becomes the most recently used).
    pub(super) fn get(&self, id: &ActId) -> Option<Bytes> {
        if self.budget == 0 {
            return None;
        }
        self.inner.lock().expect("never poisoned").pdfs.get(id).cloned()
    }

    /// Keep `pdf` as act `id`'s, dropping the least recently used PDFs
    /// until the budget holds it; a PDF not [`admitted`](Self::admits) is
    /// not kept.
    pub(super) fn insert(&self, id: ActId, pdf: Bytes) {
        let size = pdf.len() as u64;
        if !self.admits(size) {
            return;
        }
        let mut held = self.inner.lock().expect("never poisoned");
        if let Some(old) = held.pdfs.put(id, pdf) {
            held.bytes -= old.len() as u64;
        }
        held.bytes += size;
        while held.bytes > self.budget {
            let Some((_, dropped)) = held.pdfs.pop_lru() else { break };
            held.bytes -= dropped.len() as u64;
        }
    }

    /// Bytes and PDFs held.
    #[cfg(test)]
    fn held(&self) -> (u64, usize) {
        let held = self.inner.lock().expect("never poisoned");
        (held.bytes, held.pdfs.len())
    }
}

impl Acta {
    /// The whole sealed PDF of act `id`, whose seal record gives `sha256`:
    /// from memory if held; else read from the store and, if admitted and
    /// its bytes match `sha256`, kept for the next caller.
    pub(super) async fn whole_sealed_pdf(
        &self,
        id: &ActId,
        sha256: &Sha256Digest,
    ) -> Result<PdfBody, ServiceError> {
        if let Some(pdf) = self.pdf_cache.get(id) {
            return Ok(PdfBody::Memory(pdf));
        }
        let read = self
            .store
            .read(&keys::sealed_pdf(id), None)
            .await?
            .ok_or_else(|| ServiceError::Corrupt(format!("sealed PDF of {id} is missing")))?;
        if !self.pdf_cache.admits(read.size) {
            return Ok(PdfBody::Sealed(read));
        }
        let capacity = usize::try_from(read.size).unwrap_or(0);
        let pdf = read
            .stream
            .try_fold(BytesMut::with_capacity(capacity), |mut buf, chunk| async move {
                buf.extend_from_slice(&chunk);
                Ok(buf)
            })
            .await?
            .freeze();
        let hashed = pdf.clone();
        let digest = tokio::task::spawn_blocking(move || Sha256Digest::of(&hashed))
            .await
            .map_err(|e| ServiceError::Internal(format!("hashing a sealed PDF: {e}")))?;
        if digest == *sha256 {
            self.pdf_cache.insert(*id, pdf.clone());
        } else {
            // Served as stored, as before the cache; `acta audit` reports it.
            tracing::error!(act = %id, "sealed PDF does not match its seal record's SHA-256: not cached");
        }
        Ok(PdfBody::Memory(pdf))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pdf(size: usize, fill: u8) -> Bytes {
        Bytes::from(vec![fill; size])
    }

    #[test]
    fn the_cache_never_holds_more_than_its_budget_and_drops_the_least_recently_served_first() {
        let cache = PdfCache::new(8 * 1000);
        let ids: Vec<ActId> = (0..20).map(|_| ActId::generate()).collect();
        for (n, id) in ids.iter().take(8).enumerate() {
            cache.insert(*id, pdf(1000, n as u8));
        }
        assert_eq!(cache.held(), (8000, 8), "exactly full");
        // The first one is served again: the second is now the oldest.
        assert_eq!(cache.get(&ids[0]).unwrap(), pdf(1000, 0));
        cache.insert(ids[8], pdf(1000, 8));
        assert!(cache.get(&ids[1]).is_none(), "least recently served: dropped");
        assert!(cache.get(&ids[0]).is_some(), "served recently: kept");
        // Smaller and varied sizes: the bound holds after every insertion.
        for (n, id) in ids.iter().enumerate().skip(9) {
            cache.insert(*id, pdf(200 + 40 * n, n as u8));
            let (bytes, count) = cache.held();
            assert!(bytes <= 8000, "{bytes} bytes held after {n}");
            assert!(count > 0);
        }
        // What is held is what was put, byte for byte.
        assert_eq!(cache.get(&ids[19]).unwrap(), pdf(200 + 40 * 19, 19));
    }

    #[test]
    fn a_pdf_over_an_eighth_of_the_budget_or_a_zero_budget_is_never_held() {
        let cache = PdfCache::new(8000);
        let (big, small) = (ActId::generate(), ActId::generate());
        cache.insert(small, pdf(1000, 1));
        cache.insert(big, pdf(1001, 2));
        assert!(cache.get(&big).is_none());
        assert_eq!(cache.held(), (1000, 1), "the small one stays");

        let off = PdfCache::new(0);
        off.insert(small, pdf(1, 1));
        assert!(off.get(&small).is_none());
        assert_eq!(off.held(), (0, 0));
    }
}
