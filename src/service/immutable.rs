//! What never changes once an act is sealed — its collectivité, its PDF's
//! digest and its number — kept in memory, so that serving a sealed act (the
//! access gate's check, a conditional GET, the PDF itself) needs no store
//! round trip for it.
//!
//! An entry can never be stale, in this process or in another sharing the
//! store: a seal record is written once (create-only), an act keeps its
//! collectivité, and acts are never deleted (a withdrawal is a new log entry,
//! the sealed bytes stay). The cache is bounded: when full it is emptied
//! and refills from the store.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::{Acta, ServiceError};
use crate::act::Sealed;
use crate::domain::{ActId, Sha256Digest, Siren};

/// Sealed acts remembered at most (~200 bytes each).
const CAPACITY: usize = 16_384;

/// A sealed act's immutable facts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedFacts {
    /// The collectivité the act belongs to.
    pub collectivite: Siren,
    /// SHA-256 of the sealed PDF: its identity, and its HTTP entity tag.
    pub sha256: Sha256Digest,
    /// File name to suggest for the PDF (`<number>.pdf`).
    pub filename: String,
}

impl SealedFacts {
    pub(super) fn new(collectivite: Siren, sealed: &Sealed) -> Self {
        Self {
            collectivite,
            sha256: sealed.hashes.sha256.clone(),
            filename: format!("{}.pdf", sealed.number),
        }
    }
}

/// The bounded map of sealed acts' facts.
#[derive(Debug, Default)]
pub(super) struct SealedCache {
    facts: Mutex<HashMap<ActId, Arc<SealedFacts>>>,
}

impl SealedCache {
    pub(super) fn get(&self, id: &ActId) -> Option<Arc<SealedFacts>> {
        self.facts.lock().expect("never poisoned").get(id).cloned()
    }

    pub(super) fn remember(&self, id: &ActId, facts: SealedFacts) -> Arc<SealedFacts> {
        let facts = Arc::new(facts);
        let mut map = self.facts.lock().expect("never poisoned");
        if map.len() >= CAPACITY {
            map.clear();
        }
        map.insert(*id, Arc::clone(&facts));
        facts
    }
}

impl Acta {
    /// The facts of act `id` if it is sealed (`None` for a draft; 404
    /// `act_not_found` for no act), from memory once known.
    pub async fn sealed_facts(&self, id: &ActId) -> Result<Option<Arc<SealedFacts>>, ServiceError> {
        if let Some(facts) = self.sealed_cache.get(id) {
            return Ok(Some(facts));
        }
        let draft = self.load_draft(id).await?;
        Ok(self
            .load_sealed(id)
            .await?
            .map(|s| self.sealed_cache.remember(id, SealedFacts::new(draft.collectivite, &s))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cache_is_bounded_and_refills() {
        let cache = SealedCache::default();
        let facts = |n: usize| SealedFacts {
            collectivite: "216295105".parse().unwrap(),
            sha256: Sha256Digest::of(&n.to_le_bytes()),
            filename: format!("{n}.pdf"),
        };
        let ids: Vec<ActId> = (0..=CAPACITY).map(|_| ActId::generate()).collect();
        for (n, id) in ids.iter().enumerate() {
            cache.remember(id, facts(n));
        }
        assert_eq!(cache.get(&ids[CAPACITY]).unwrap().filename, format!("{CAPACITY}.pdf"));
        assert!(cache.get(&ids[0]).is_none(), "emptied when full");
        assert!(cache.facts.lock().unwrap().len() <= CAPACITY);
    }
}
