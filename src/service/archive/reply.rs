//! Ingesting the archive's replies to a transfer.
//!
//! A reply is posted to one transfer. It is refused, and nothing is written,
//! when it is not a SEDA 2.x Acknowledgement or ArchiveTransferReply, when it
//! does not identify this transfer ([`Reply::identify`]: it must name the
//! transfer in `MessageReceivedIdentifier`, `MessageRequestIdentifier` or
//! `MessageIdentifier`, and name no other; a reply naming none, like Vitam's
//! KO with an empty `MessageRequestIdentifier`, settles nothing), when the
//! transfer already has its verdict, or when it is an acknowledgement beyond
//! the configured maximum.
//!
//! Writes, all create-only. An acknowledgement is stored as `reply-<n>.xml`
//! (the same one posted again is not stored twice). A transfer reply first
//! takes the verdict (`outcome.json`, with the reply's SHA-256): that is the
//! commit point, which a concurrent reply either wins or loses as a whole.
//! Only then is the reply stored (`reply-verdict.xml`) and, for an
//! acceptance, each act's archive identifiers. An ingestion cut short after
//! the verdict is finished by posting the same reply again (same SHA-256);
//! any other reply is `Settled`.

use std::collections::HashSet;

use bytes::Bytes;

use super::error::ArchiveError;
use super::record::{self, ArchiveRecord, OutcomeRecord, TransferId, TransferRecord, TransferStatus};
use super::{TransferView, taken};
use crate::domain::{ActId, Sha256Digest};
use crate::seda::{Identified, Outcome, Reply, TransferReply, act_of_unit_id, parse_reply};
use crate::service::{Acta, ServiceError, now};

impl Acta {
    /// Ingest `xml`, a reply of the archive to transfer `id`.
    pub async fn ingest_reply(&self, id: &TransferId, xml: &[u8]) -> Result<TransferView, ArchiveError> {
        let transfer = self.transfer_record(id).await?;
        let reply = parse_reply(xml).map_err(ArchiveError::BadReply)?;
        identify(&reply, id)?;
        match reply {
            Reply::Acknowledgement(_) => self.keep_acknowledgement(id, xml).await?,
            Reply::TransferReply(r) => self.take_verdict(&transfer, r, xml).await?,
        }
        self.transfer(id).await
    }

    /// Store an acknowledgement as the next `reply-<n>.xml`, unless the very
    /// same one is stored already; at most `max_acknowledgements`.
    async fn keep_acknowledgement(&self, id: &TransferId, xml: &[u8]) -> Result<(), ArchiveError> {
        if self.outcome(id).await?.is_some() {
            return Err(ArchiveError::Settled(id.to_string()));
        }
        let keys = self.store.list(&record::transfer_prefix(id)).await?;
        let numbered: Vec<&String> = keys.iter().filter(|k| record::is_numbered_reply(k)).collect();
        for key in &numbered {
            if self.store.get(key).await?.is_some_and(|stored| stored == xml) {
                return Ok(()); // posted again: kept once
            }
        }
        let max = self.archive.max_acknowledgements();
        // Numbers above `max` are never taken, so the bound holds even when
        // acknowledgements race for the last numbers.
        for n in numbered.len() + 1..=max {
            match self.store.create(&record::reply_key(id, n), Bytes::copy_from_slice(xml)).await {
                Ok(()) => return Ok(()),
                Err(e) if taken(&e) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(ArchiveError::TooManyAcknowledgements { transfer: id.to_string(), max })
    }

    /// Take the verdict of `reply` for `transfer` (create-only), then store
    /// what it implies.
    async fn take_verdict(
        &self,
        transfer: &TransferRecord,
        reply: TransferReply,
        xml: &[u8],
    ) -> Result<(), ArchiveError> {
        let id = &transfer.id;
        let sha256 = Sha256Digest::of(xml).as_str().to_owned();
        if let Some(outcome) = self.outcome(id).await? {
            return self.finish_verdict(transfer, &outcome, &reply, xml, &sha256).await;
        }
        let accepted = reply.outcome != Outcome::Rejected;
        let archived = if accepted { archive_records(transfer, &reply).len() } else { 0 };
        let outcome = OutcomeRecord {
            status: if accepted { TransferStatus::Accepted } else { TransferStatus::Rejected },
            reply_code: reply.reply_code.clone(),
            warnings: reply.outcome == Outcome::AcceptedWithWarnings,
            reasons: reply.reasons.clone(),
            grant_date: reply.grant_date.clone(),
            reply_identifier: reply.message_identifier.clone().filter(|m| *m != id.to_string()),
            reply: self.replies(id).await? + 1,
            reply_sha256: Some(sha256.clone()),
            archived_acts: archived,
            received_at: now(),
        };
        let json = serde_json::to_vec_pretty(&outcome).expect("records serialise");
        let outcome = match self.store.create(&record::outcome_key(id), Bytes::from(json)).await {
            Ok(()) => outcome,
            // Another reply took the verdict meanwhile: ours is refused,
            // unless it is the same reply.
            Err(e) if taken(&e) => self
                .outcome(id)
                .await?
                .ok_or_else(|| ServiceError::Corrupt(format!("the verdict of transfer {id} vanished")))?,
            Err(e) => return Err(e.into()),
        };
        self.finish_verdict(transfer, &outcome, &reply, xml, &sha256).await
    }

    /// Store the reply of the verdict `outcome` and, for an acceptance, the
    /// acts' archive identifiers, if `xml` (of SHA-256 `sha256`) is that
    /// reply; `Settled` otherwise.
    async fn finish_verdict(
        &self,
        transfer: &TransferRecord,
        outcome: &OutcomeRecord,
        reply: &TransferReply,
        xml: &[u8],
        sha256: &str,
    ) -> Result<(), ArchiveError> {
        let id = &transfer.id;
        if outcome.reply_sha256.as_deref() != Some(sha256) {
            return Err(ArchiveError::Settled(id.to_string()));
        }
        create_once(self, &record::verdict_key(id), Bytes::copy_from_slice(xml)).await?;
        if outcome.status == TransferStatus::Accepted {
            for (act, rec) in archive_records(transfer, reply) {
                let json = serde_json::to_vec_pretty(&rec).expect("records serialise");
                create_once(self, &record::act_archive_key(&act, id), Bytes::from(json)).await?;
            }
        }
        Ok(())
    }
}

/// Create `key`; finding it already written (by an interrupted ingestion of
/// the same reply) is fine.
async fn create_once(acta: &Acta, key: &str, bytes: Bytes) -> Result<(), ArchiveError> {
    match acta.store.create(key, bytes).await {
        Ok(()) => Ok(()),
        Err(e) if taken(&e) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// The archive identifiers `reply` gives for the acts of `transfer` (units
/// of other acts, or without identifiers, are ignored).
pub(super) fn archive_records(
    transfer: &TransferRecord,
    reply: &TransferReply,
) -> Vec<(ActId, ArchiveRecord)> {
    let ours: HashSet<_> = transfer.acts.iter().collect();
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for unit in &reply.units {
        let Some(act) = act_of_unit_id(&unit.unit_id).filter(|a| ours.contains(a)) else { continue };
        if (unit.system_ids.is_empty() && unit.archival_agency_ids.is_empty()) || !seen.insert(act) {
            continue;
        }
        let rec = ArchiveRecord {
            transfer: transfer.id,
            unit_id: unit.unit_id.clone(),
            system_ids: unit.system_ids.clone(),
            archival_agency_ids: unit.archival_agency_ids.clone(),
            grant_date: reply.grant_date.clone(),
        };
        out.push((act, rec));
    }
    out
}

/// Refuse a reply that does not identify transfer `id`.
pub(super) fn identify(reply: &Reply, id: &TransferId) -> Result<(), ArchiveError> {
    let ours = id.to_string();
    match reply.identify(&ours, |s| s.parse::<TransferId>().is_ok()) {
        Identified::Ours => Ok(()),
        Identified::Other(named) => Err(ArchiveError::ReplyMismatch { named, transfer: ours }),
        Identified::Nothing => {
            let message_identifier = match reply {
                Reply::TransferReply(r) => r.message_identifier.clone(),
                Reply::Acknowledgement(a) => a.message_identifier.clone(),
            };
            Err(ArchiveError::ReplyUnidentified {
                message_identifier: message_identifier.unwrap_or_else(|| "—".into()),
                transfer: ours,
            })
        }
    }
}
