//! The transfers' summary index, so that listing transfers does not read
//! every transfer record.
//!
//! Terms: the *index entry* of a transfer is `transfer-index/<SIREN>/<id>.json`
//! ([`TransferSummary`]: collectivité, date, profile, séance, number of
//! acts), written create-only right after its `transfer.json`. The key
//! alone says whose transfer it is and, the id being a UUID v7, how recent:
//! a *page* of the list is one listing of the index (one per collectivité
//! for a narrow scope), a sort of the ids, then two small reads per row
//! shown (its entry and its verdict, if any), whatever the number of
//! transfers.
//!
//! The index is derived data. Each process, before its first listing,
//! indexes the transfers that have no entry (those made before the index
//! existed, or by a process stopped between the record and its entry):
//! one listing of `transfers/` and of the index, and a read of each missing
//! record only.

use std::collections::HashSet;

use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::record::{TransferId, TransferRecord, TransferStatus};
use super::{ArchiveError, taken};
use crate::domain::Siren;
use crate::search::Collectivites;
use crate::seda::Profile;
use crate::service::{Acta, ServiceError};

/// Prefix of the index.
pub const INDEX_PREFIX: &str = "transfer-index/";
/// Largest page of the list.
pub const MAX_PAGE: usize = 200;
/// Up to this many collectivités in scope, the index is listed per
/// collectivité; beyond, once whole.
const LISTINGS_PER_COLLECTIVITE: usize = 16;
/// Rows read at once.
const READS_IN_FLIGHT: usize = 8;

/// `transfer-index/<SIREN>/<id>.json`: what the list shows of a transfer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferSummary {
    /// The transfer.
    pub id: TransferId,
    /// Its collectivité.
    pub collectivite: Siren,
    /// When the SIP was made.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// The target SAE.
    pub profile: Profile,
    /// The séance unit's id, for a séance transfer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seance: Option<String>,
    /// Acts transferred.
    pub acts: usize,
}

impl TransferSummary {
    fn of(record: &TransferRecord) -> Self {
        Self {
            id: record.id,
            collectivite: record.collectivite.clone(),
            created_at: record.created_at,
            profile: record.profile,
            seance: record.seance.clone(),
            acts: record.acts.len(),
        }
    }
}

/// A transfer in a list.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TransferListItem {
    /// Id (= `MessageIdentifier` of the SIP).
    #[schema(value_type = String)]
    pub id: TransferId,
    /// The collectivité.
    #[schema(value_type = String)]
    pub collectivite: Siren,
    /// `sent`, `accepted` or `rejected`.
    pub status: TransferStatus,
    /// When the SIP was made.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String)]
    pub created_at: OffsetDateTime,
    /// `vitam` or `asalae`.
    #[schema(value_type = String)]
    pub profile: Profile,
    /// The séance unit's id, for a séance transfer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seance: Option<String>,
    /// Acts transferred.
    pub acts: usize,
    /// `GET` the transfer.
    pub href: String,
}

/// One page of transfers, newest first.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TransferList {
    /// The transfers.
    pub transfers: Vec<TransferListItem>,
    /// The `before` of the next page, when there are older transfers.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub next: Option<TransferId>,
}

/// Which page of which transfers.
#[derive(Debug, Clone)]
pub struct ListQuery {
    /// One collectivité only (still within the caller's scope).
    pub collectivite: Option<Siren>,
    /// Transfers older than this one only (the previous page's `next`).
    pub before: Option<TransferId>,
    /// Rows, 1 to [`MAX_PAGE`].
    pub limit: usize,
}

/// Key of a transfer's index entry.
pub fn index_key(collectivite: &Siren, id: &TransferId) -> String {
    format!("{INDEX_PREFIX}{collectivite}/{id}.json")
}

/// The collectivité and transfer of an index key.
fn parse_key(key: &str) -> Option<(&str, TransferId)> {
    let (siren, file) = key.strip_prefix(INDEX_PREFIX)?.split_once('/')?;
    Some((siren, file.strip_suffix(".json")?.parse().ok()?))
}

impl Acta {
    /// Write the index entry of `record` (already there: fine).
    pub(super) async fn index_transfer(&self, record: &TransferRecord) -> Result<(), ArchiveError> {
        let json = serde_json::to_vec_pretty(&TransferSummary::of(record)).expect("records serialise");
        match self.store.create(&index_key(&record.collectivite, &record.id), Bytes::from(json)).await {
            Err(e) if !taken(&e) => Err(e.into()),
            _ => Ok(()),
        }
    }

    /// Once per process: index every transfer that has no entry yet.
    async fn ensure_transfer_index(&self) -> Result<(), ArchiveError> {
        self.transfer_index_checked
            .get_or_try_init(|| async {
                let indexed: HashSet<TransferId> = self
                    .store
                    .list(INDEX_PREFIX)
                    .await?
                    .iter()
                    .filter_map(|k| parse_key(k))
                    .map(|k| k.1)
                    .collect();
                let missing: Vec<TransferId> = self
                    .store
                    .list("transfers/")
                    .await?
                    .iter()
                    .filter_map(|k| {
                        k.strip_prefix("transfers/")?.strip_suffix("/transfer.json")?.parse().ok()
                    })
                    .filter(|id| !indexed.contains(id))
                    .collect();
                if !missing.is_empty() {
                    tracing::info!(count = missing.len(), "indexing transfers made before the index");
                }
                for id in missing {
                    self.index_transfer(&self.transfer_record(&id).await?).await?;
                }
                Ok::<_, ArchiveError>(())
            })
            .await
            .map(|_| ())
    }

    /// One page of the transfers of the collectivités in `scope`, newest
    /// first: reads the index, and two small objects per row shown.
    pub async fn list_transfers(
        &self,
        scope: &Collectivites,
        query: &ListQuery,
    ) -> Result<TransferList, ArchiveError> {
        self.ensure_transfer_index().await?;
        let in_scope = |s: &str| match scope {
            Collectivites::All => true,
            Collectivites::Only(set) => s.parse::<Siren>().is_ok_and(|s| set.contains(&s)),
        };
        let wanted = |s: &str| in_scope(s) && query.collectivite.as_ref().is_none_or(|c| c.as_str() == s);
        let prefixes: Vec<String> = match (&query.collectivite, scope) {
            (Some(c), _) => vec![format!("{INDEX_PREFIX}{c}/")],
            (None, Collectivites::Only(set)) if set.len() <= LISTINGS_PER_COLLECTIVITE => {
                set.iter().map(|s| format!("{INDEX_PREFIX}{s}/")).collect()
            }
            (None, _) => vec![INDEX_PREFIX.to_owned()],
        };
        let mut rows: Vec<(String, TransferId)> = Vec::new();
        for prefix in prefixes {
            for key in self.store.list(&prefix).await? {
                if let Some((siren, id)) = parse_key(&key).filter(|(s, _)| wanted(s)) {
                    rows.push((siren.to_owned(), id));
                }
            }
        }
        rows.sort_unstable_by_key(|r| std::cmp::Reverse(r.1));
        rows.dedup_by(|a, b| a.1 == b.1);
        let limit = query.limit.clamp(1, MAX_PAGE);
        let mut page: Vec<(String, TransferId)> =
            rows.into_iter().filter(|(_, id)| query.before.is_none_or(|b| *id < b)).take(limit + 1).collect();
        let next = (page.len() > limit).then(|| page[limit - 1].1);
        page.truncate(limit);
        let transfers = futures::stream::iter(page)
            .map(|(siren, id)| self.list_item(siren, id))
            .buffered(READS_IN_FLIGHT)
            .try_collect()
            .await?;
        Ok(TransferList { transfers, next })
    }

    async fn list_item(&self, siren: String, id: TransferId) -> Result<TransferListItem, ArchiveError> {
        let key = format!("{INDEX_PREFIX}{siren}/{id}.json");
        let bytes =
            self.store.get(&key).await?.ok_or_else(|| ServiceError::Corrupt(format!("{key} vanished")))?;
        let s: TransferSummary =
            serde_json::from_slice(&bytes).map_err(|e| ServiceError::Corrupt(format!("{key}: {e}")))?;
        let status = self.outcome(&id).await?.map_or(TransferStatus::Sent, |o| o.status);
        Ok(TransferListItem {
            id,
            collectivite: s.collectivite,
            status,
            created_at: s.created_at,
            profile: s.profile,
            seance: s.seance,
            acts: s.acts,
            href: format!("/api/v1/transfers/{id}"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_keys_name_their_collectivite_and_transfer() {
        let id = TransferId::generate();
        let siren: Siren = "216295105".parse().unwrap();
        let key = index_key(&siren, &id);
        assert_eq!(parse_key(&key), Some(("216295105", id)));
        assert_eq!(parse_key("transfer-index/216295105/not-an-id.json"), None);
        assert_eq!(parse_key(&format!("transfers/{id}/transfer.json")), None);
    }
}
