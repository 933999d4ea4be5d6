//! Replies in quarantine: archive replies that were refused because they
//! name no transfer the uploader can reach, kept so that the archivist
//! loses no trace of what the archive said.
//!
//! Terms: a reply posted to a transfer is *quarantined* when it is a
//! well-formed SEDA Acknowledgement or ArchiveTransferReply that names no
//! transfer (Vitam's KO with an empty `MessageRequestIdentifier`: reason
//! [`QuarantineReason::Unidentified`]) or names something that is not a
//! transfer within the uploader's scope ([`QuarantineReason::UnknownTransfer`]:
//! an unknown id, a message of another system, a transfer of another
//! collectivité — never told apart, so nothing is learnt of other scopes).
//! A reply naming a transfer the uploader can reach is not quarantined: the
//! refusal names it, and it belongs there.
//!
//! A quarantined reply is still *refused*: it settles nothing and is not a
//! reply of any transfer. Each one takes a *slot* `quarantine/<nnnnnn>/`:
//!
//! - `reply.xml`: the reply as received, written first (it claims the slot);
//! - `entry.json` ([`QuarantinedReply`]): who uploaded it, when, to which
//!   transfer, why it was refused, the identifiers it carries;
//! - `acknowledged.json`: an archivist dealt with it (who, when, a note).
//!   The store never deletes: acknowledging takes the reply off the list.
//!
//! Bounds: a reply over [`MAX_QUARANTINED_BYTES`] is not kept, and at most
//! `max_quarantined` replies (archive configuration) wait unacknowledged. A
//! slot number is taken only while it is at most the acknowledged ones plus
//! that maximum, and slots are claimed create-only, so the bound holds when
//! uploads race. The same reply posted again to the same transfer while
//! pending is kept once. Visibility: the collectivité of the transfer it was
//! posted to, for callers in its scope; administrators see all.

mod record;

use std::collections::BTreeMap;

use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};

pub use record::{
    MAX_QUARANTINED_BYTES, QuarantineAcknowledgement, QuarantineId, QuarantineReason, QuarantineRefused,
    Quarantined, QuarantinedReply, ReplyIdentifiers, Uploader,
};

use super::record::TransferId;
use super::{ArchiveError, TransferView, taken};
use crate::domain::{Sha256Digest, Siren};
use crate::search::Collectivites;
use crate::seda::{Reply, parse_reply};
use crate::service::{Acta, ServiceError, now};

/// Longest note of an acknowledgement, in characters.
const MAX_NOTE_CHARS: usize = 500;
const PREFIX: &str = "quarantine/";
/// Entries read at once.
const READS_IN_FLIGHT: usize = 8;

fn slot_key(id: QuarantineId, name: &str) -> String {
    format!("{PREFIX}{id}/{name}")
}

/// What is in each slot: (has `entry.json`, has `acknowledged.json`).
#[derive(Debug, Default, Clone, Copy)]
struct Slot {
    entry: bool,
    acknowledged: bool,
}

fn visible(reply: &QuarantinedReply, scope: &Collectivites) -> bool {
    match scope {
        Collectivites::All => true,
        Collectivites::Only(set) => reply.collectivite.as_ref().is_some_and(|c| set.contains(c)),
    }
}

impl Acta {
    /// Ingest `xml` for transfer `id` ([`Acta::ingest_reply`]); a reply
    /// refused because it names no transfer within `scope` is kept in
    /// quarantine, and the refusal says so ([`ArchiveError::Quarantined`]).
    pub async fn ingest_or_quarantine(
        &self,
        id: &TransferId,
        xml: &[u8],
        by: &Uploader,
        scope: &Collectivites,
    ) -> Result<TransferView, ArchiveError> {
        let refusal = match self.ingest_reply(id, xml).await {
            Err(e @ ArchiveError::ReplyUnidentified { .. }) => (e, QuarantineReason::Unidentified),
            Err(ArchiveError::ReplyMismatch { named, transfer }) => {
                let e = ArchiveError::ReplyMismatch { named: named.clone(), transfer };
                if self.reachable(&named, scope).await {
                    return Err(e); // it belongs to that transfer: post it there
                }
                (e, QuarantineReason::UnknownTransfer)
            }
            other => return other,
        };
        let (refusal, reason) = refusal;
        let collectivite = self.transfer_owner(id).await?;
        let kept = self.keep_in_quarantine(xml, by, id, collectivite, reason, &refusal).await?;
        if let Quarantined::Kept(q) = kept {
            tracing::info!(transfer = %id, quarantine = %q, "refused reply kept in quarantine");
        }
        Err(ArchiveError::Quarantined { refusal: Box::new(refusal), kept })
    }

    /// Whether `named` is a transfer whose collectivité is in `scope`.
    async fn reachable(&self, named: &str, scope: &Collectivites) -> bool {
        let Ok(id) = named.parse::<TransferId>() else { return false };
        match self.transfer_owner(&id).await {
            Ok(owner) => match scope {
                Collectivites::All => true,
                Collectivites::Only(set) => set.contains(&owner),
            },
            Err(_) => false,
        }
    }

    async fn slots(&self) -> Result<BTreeMap<QuarantineId, Slot>, ArchiveError> {
        let mut slots: BTreeMap<QuarantineId, Slot> = BTreeMap::new();
        for key in self.store.list(PREFIX).await? {
            let Some((id, name)) = key.strip_prefix(PREFIX).and_then(|k| k.split_once('/')) else { continue };
            let Ok(id) = id.parse::<QuarantineId>() else { continue };
            let slot = slots.entry(id).or_default();
            match name {
                "entry.json" => slot.entry = true,
                "acknowledged.json" => slot.acknowledged = true,
                _ => {}
            }
        }
        Ok(slots)
    }

    #[allow(clippy::too_many_arguments)]
    async fn keep_in_quarantine(
        &self,
        xml: &[u8],
        by: &Uploader,
        transfer: &TransferId,
        collectivite: Siren,
        reason: QuarantineReason,
        refusal: &ArchiveError,
    ) -> Result<Quarantined, ArchiveError> {
        if xml.len() > MAX_QUARANTINED_BYTES {
            return Ok(Quarantined::Refused(QuarantineRefused::TooLarge));
        }
        let sha256 = Sha256Digest::of(xml).as_str().to_owned();
        let slots = self.slots().await?;
        for (id, _) in slots.iter().filter(|(_, s)| s.entry && !s.acknowledged) {
            let waiting = self.quarantine_entry(*id).await?;
            if waiting.sha256 == sha256 && waiting.transfer.as_ref() == Some(transfer) {
                return Ok(Quarantined::Kept(*id)); // posted again: kept once
            }
        }
        let max = self.archive.max_quarantined();
        let acknowledged = slots.values().filter(|s| s.acknowledged).count();
        let mut n = slots.keys().next_back().map_or(1, |last| last.0 + 1);
        let id = loop {
            if n as usize > acknowledged + max || n > QuarantineId::MAX {
                return Ok(Quarantined::Refused(QuarantineRefused::Full { max }));
            }
            let id = QuarantineId(n);
            match self.store.create(&slot_key(id, "reply.xml"), Bytes::copy_from_slice(xml)).await {
                Ok(()) => break id,
                Err(e) if taken(&e) => n += 1,
                Err(e) => return Err(e.into()),
            }
        };
        let (kind, reply_code, identifiers) = match parse_reply(xml) {
            Ok(Reply::Acknowledgement(a)) => (
                "acknowledgement",
                None,
                ReplyIdentifiers {
                    message_identifier: a.message_identifier,
                    message_received_identifier: Some(a.received_identifier),
                    ..ReplyIdentifiers::default()
                },
            ),
            Ok(Reply::TransferReply(r)) => (
                "transfer_reply",
                Some(r.reply_code),
                ReplyIdentifiers {
                    message_identifier: r.message_identifier,
                    message_request_identifier: r.request_identifier,
                    ..ReplyIdentifiers::default()
                },
            ),
            Err(_) => ("unknown", None, ReplyIdentifiers::default()),
        };
        let entry = QuarantinedReply {
            id,
            received_at: now(),
            uploaded_by: by.clone(),
            transfer: Some(*transfer),
            collectivite: Some(collectivite),
            reason,
            detail: refusal.to_string(),
            kind: kind.into(),
            reply_code,
            identifiers,
            size: xml.len() as u64,
            sha256,
            acknowledged: None,
        };
        let json = serde_json::to_vec_pretty(&entry).expect("records serialise");
        self.store.create(&slot_key(id, "entry.json"), Bytes::from(json)).await?;
        Ok(Quarantined::Kept(id))
    }

    async fn quarantine_entry(&self, id: QuarantineId) -> Result<QuarantinedReply, ArchiveError> {
        let key = slot_key(id, "entry.json");
        let bytes = self.store.get(&key).await?.ok_or(ArchiveError::QuarantineNotFound)?;
        Ok(serde_json::from_slice(&bytes).map_err(|e| ServiceError::Corrupt(format!("{key}: {e}")))?)
    }

    /// The quarantined reply `id`, with its acknowledgement; one outside
    /// `scope` is not found, as an unknown one.
    pub async fn quarantined_reply(
        &self,
        id: QuarantineId,
        scope: &Collectivites,
    ) -> Result<QuarantinedReply, ArchiveError> {
        let mut entry = self.quarantine_entry(id).await?;
        if !visible(&entry, scope) {
            return Err(ArchiveError::QuarantineNotFound);
        }
        let key = slot_key(id, "acknowledged.json");
        if let Some(bytes) = self.store.get(&key).await? {
            entry.acknowledged = Some(
                serde_json::from_slice(&bytes).map_err(|e| ServiceError::Corrupt(format!("{key}: {e}")))?,
            );
        }
        Ok(entry)
    }

    /// The replies waiting in quarantine that `scope` sees, newest first,
    /// and how many wait in all (every scope) against the maximum.
    pub async fn quarantined_replies(
        &self,
        scope: &Collectivites,
    ) -> Result<(Vec<QuarantinedReply>, usize), ArchiveError> {
        let waiting: Vec<QuarantineId> = self
            .slots()
            .await?
            .into_iter()
            .rev()
            .filter(|(_, s)| s.entry && !s.acknowledged)
            .map(|(id, _)| id)
            .collect();
        let total = waiting.len();
        let entries: Vec<QuarantinedReply> = futures::stream::iter(waiting)
            .map(|id| self.quarantine_entry(id))
            .buffered(READS_IN_FLIGHT)
            .try_collect()
            .await?;
        Ok((entries.into_iter().filter(|e| visible(e, scope)).collect(), total))
    }

    /// The XML of quarantined reply `id`, as received.
    pub async fn quarantined_xml(
        &self,
        id: QuarantineId,
        scope: &Collectivites,
    ) -> Result<Bytes, ArchiveError> {
        self.quarantined_reply(id, scope).await?;
        let key = slot_key(id, "reply.xml");
        Ok(self.store.get(&key).await?.ok_or_else(|| ServiceError::Corrupt(format!("{key} is missing")))?)
    }

    /// Mark quarantined reply `id` as dealt with (create-only: once).
    pub async fn acknowledge_quarantined(
        &self,
        id: QuarantineId,
        scope: &Collectivites,
        by: &Uploader,
        note: Option<&str>,
    ) -> Result<QuarantinedReply, ArchiveError> {
        let note = note.map(str::trim).filter(|n| !n.is_empty());
        if let Some(note) = note {
            crate::domain::text::check(note).map_err(|m| ArchiveError::field("/note", m))?;
            if note.chars().count() > MAX_NOTE_CHARS {
                return Err(ArchiveError::field(
                    "/note",
                    format!("ne doit pas dépasser {MAX_NOTE_CHARS} caractères"),
                ));
            }
        }
        let entry = self.quarantined_reply(id, scope).await?;
        if entry.acknowledged.is_some() {
            return Err(ArchiveError::QuarantineAcknowledged(id.to_string()));
        }
        let ack = QuarantineAcknowledgement { by: by.clone(), at: now(), note: note.map(str::to_owned) };
        let json = serde_json::to_vec_pretty(&ack).expect("records serialise");
        match self.store.create(&slot_key(id, "acknowledged.json"), Bytes::from(json)).await {
            Err(e) if taken(&e) => return Err(ArchiveError::QuarantineAcknowledged(id.to_string())),
            other => other?,
        }
        Ok(QuarantinedReply { acknowledged: Some(ack), ..entry })
    }
}
