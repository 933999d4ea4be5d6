//! Ingesting the archive's replies to a transfer.
//!
//! A reply is posted to one transfer. It is refused, and nothing is written,
//! when it is not a SEDA 2.x Acknowledgement or ArchiveTransferReply, when it
//! names another transfer, or when the transfer already has its verdict.
//! Matching: the reply must name the transfer in `MessageRequestIdentifier`
//! or `MessageIdentifier` (As@lae puts it in the latter); a transfer reply
//! with an empty `MessageRequestIdentifier` (Vitam's KO) names none and is
//! taken on the word of the transfer it was posted to.
//!
//! Writes, all create-only, in this order: the reply as received
//! (`reply-<n>.xml`), then for an acceptance each act's archive identifiers,
//! then the verdict (`outcome.json`), which settles the transfer. An
//! interrupted ingestion is finished by posting the same reply again.

use std::collections::HashSet;

use bytes::Bytes;

use super::error::ArchiveError;
use super::record::{self, ArchiveRecord, OutcomeRecord, TransferId, TransferStatus};
use super::{TransferView, taken};
use crate::seda::{Outcome, Reply, act_of_unit_id, parse_reply};
use crate::service::{Acta, now};

/// How many times a reply number is retried when another ingestion took it.
const REPLY_NUMBER_TRIES: usize = 16;

impl Acta {
    /// Ingest `xml`, a reply of the archive to transfer `id`.
    pub async fn ingest_reply(&self, id: &TransferId, xml: &[u8]) -> Result<TransferView, ArchiveError> {
        let transfer = self.transfer_record(id).await?;
        let reply = parse_reply(xml).map_err(ArchiveError::BadReply)?;
        check_concerns(&reply, id)?;
        if self.outcome(id).await?.is_some() {
            return Err(ArchiveError::Settled(id.to_string()));
        }
        let n = self.store_reply(id, xml).await?;
        if let Reply::TransferReply(r) = reply {
            let accepted = r.outcome != Outcome::Rejected;
            let mut archived = 0;
            if accepted {
                let ours: HashSet<_> = transfer.acts.iter().collect();
                for unit in &r.units {
                    let Some(act) = act_of_unit_id(&unit.unit_id).filter(|a| ours.contains(a)) else {
                        continue;
                    };
                    if unit.system_ids.is_empty() && unit.archival_agency_ids.is_empty() {
                        continue;
                    }
                    let rec = ArchiveRecord {
                        transfer: *id,
                        unit_id: unit.unit_id.clone(),
                        system_ids: unit.system_ids.clone(),
                        archival_agency_ids: unit.archival_agency_ids.clone(),
                        grant_date: r.grant_date.clone(),
                    };
                    let json = serde_json::to_vec_pretty(&rec).expect("records serialise");
                    match self.store.create(&record::act_archive_key(&act, id), Bytes::from(json)).await {
                        Ok(()) => {}
                        Err(e) if taken(&e) => {} // an interrupted ingestion wrote it
                        Err(e) => return Err(e.into()),
                    }
                    archived += 1;
                }
            }
            let outcome = OutcomeRecord {
                status: if accepted { TransferStatus::Accepted } else { TransferStatus::Rejected },
                reply_code: r.reply_code,
                warnings: r.outcome == Outcome::AcceptedWithWarnings,
                reasons: r.reasons,
                grant_date: r.grant_date,
                reply_identifier: r.message_identifier.filter(|m| *m != id.to_string()),
                reply: n,
                archived_acts: archived,
                received_at: now(),
            };
            let json = serde_json::to_vec_pretty(&outcome).expect("records serialise");
            match self.store.create(&record::outcome_key(id), Bytes::from(json)).await {
                Ok(()) => {}
                Err(e) if taken(&e) => return Err(ArchiveError::Settled(id.to_string())),
                Err(e) => return Err(e.into()),
            }
        }
        self.transfer(id).await
    }

    /// Store the reply as `reply-<n>.xml` with the next free `n`.
    async fn store_reply(&self, id: &TransferId, xml: &[u8]) -> Result<usize, ArchiveError> {
        let mut n = self.replies(id).await? + 1;
        for _ in 0..REPLY_NUMBER_TRIES {
            match self.store.create(&record::reply_key(id, n), Bytes::copy_from_slice(xml)).await {
                Ok(()) => return Ok(n),
                Err(e) if taken(&e) => n += 1,
                Err(e) => return Err(e.into()),
            }
        }
        Err(crate::service::ServiceError::Internal(format!("no free reply number for transfer {id}")).into())
    }
}

/// Refuse a reply that names another transfer.
fn check_concerns(reply: &Reply, id: &TransferId) -> Result<(), ArchiveError> {
    let ours = id.to_string();
    if reply.concerns(&ours) {
        return Ok(());
    }
    let named = match reply {
        Reply::Acknowledgement(a) => Some(a.received_identifier.clone()),
        Reply::TransferReply(r) => r.request_identifier.clone(),
    };
    match named {
        // Vitam's KO: no request identifier at all.
        None => Ok(()),
        Some(named) => Err(ArchiveError::ReplyMismatch { named, transfer: ours }),
    }
}
