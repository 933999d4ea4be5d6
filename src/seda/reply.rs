//! Reading the archive system's answers: `Acknowledgement` and `ArchiveTransferReply`.
//!
//! Replies are parsed *leniently*: no XSD validation (Vitam's KO replies are
//! not valid: empty `MessageRequestIdentifier`, no agencies), any SEDA 2.x
//! namespace, unknown elements ignored. What we need must be there: the
//! identifiers to match the transfer, and for a transfer reply a `ReplyCode`
//! we can classify. Terms: the *outcome* is accepted (Vitam `OK`, SEDA `000`),
//! accepted with warnings (Vitam `WARNING`, SEDA `001`/`002`) or rejected
//! (Vitam `KO`/`FATAL`, any other SEDA 3-digit code). Vitam returns each
//! unit's permanent id in `Content/SystemId`, As@lae in
//! `Content/ArchivalAgencyArchiveUnitIdentifier`; both are collected per unit,
//! keyed by the unit id we wrote (map it back with [`super::act_of_unit_id`]).

use super::SedaError;
use super::xmlwalk::{self, Visitor, attr, ends_with};

/// Namespaces accepted for replies: SEDA 2.1, 2.2 and 2.3.
const SEDA_2_PREFIX: &str = "fr:gouv:culture:archivesdefrance:seda:v2.";

/// A parsed reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// "Message received" (not a verdict).
    Acknowledgement(Acknowledgement),
    /// The verdict.
    TransferReply(TransferReply),
}

/// An `Acknowledgement`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acknowledgement {
    /// `MessageIdentifier` of the acknowledgement itself.
    pub message_identifier: Option<String>,
    /// `MessageReceivedIdentifier`: our transfer's `MessageIdentifier`.
    pub received_identifier: String,
    /// `Date`, as written.
    pub date: Option<String>,
}

/// Accepted or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Archived.
    Accepted,
    /// Archived, with warnings worth reading.
    AcceptedWithWarnings,
    /// Refused.
    Rejected,
}

/// An `ArchiveTransferReply`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferReply {
    /// `MessageIdentifier` (Vitam: its operation id; As@lae: sometimes our transfer id).
    pub message_identifier: Option<String>,
    /// `MessageRequestIdentifier` (Vitam: our transfer id; empty in Vitam KOs).
    pub request_identifier: Option<String>,
    /// `ReplyCode` as written.
    pub reply_code: String,
    /// What the code means.
    pub outcome: Outcome,
    /// Why: `Comment`s, then the detail of failed or warning events (last one last).
    pub reasons: Vec<String>,
    /// `GrantDate`, as written.
    pub grant_date: Option<String>,
    /// Permanent identifiers per archive unit.
    pub units: Vec<UnitIdentifiers>,
}

/// The archive's identifiers for one of our units.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnitIdentifiers {
    /// `ArchiveUnit@id`: the id we wrote (`AU-<act id>`).
    pub unit_id: String,
    /// `Content/SystemId` (Vitam GUIDs).
    pub system_ids: Vec<String>,
    /// `Content/ArchivalAgencyArchiveUnitIdentifier` (As@lae cote).
    pub archival_agency_ids: Vec<String>,
}

/// What a reply says about which transfer it answers (see [`Reply::identify`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identified {
    /// It names the transfer asked about, and no other.
    Ours,
    /// It names another transfer (the value it carries).
    Other(String),
    /// It names none (Vitam's KO: empty `MessageRequestIdentifier`, and a
    /// `MessageIdentifier` that is the archive's own operation id).
    Nothing,
}

impl Reply {
    /// Which transfer this reply answers, compared with `ours`, the
    /// `MessageIdentifier` of a transfer. An Acknowledgement names it in
    /// `MessageReceivedIdentifier`; a transfer reply in
    /// `MessageRequestIdentifier` (Vitam) or `MessageIdentifier` (As@lae puts
    /// the transfer id there and its own id in the other field). A reply is
    /// [`Identified::Ours`] only if one of those fields is `ours` and neither
    /// holds another value that `is_transfer_id` recognises as one of the
    /// sender's transfer ids: a reply naming two transfers answers neither.
    pub fn identify(&self, ours: &str, is_transfer_id: impl Fn(&str) -> bool) -> Identified {
        match self {
            Reply::Acknowledgement(a) if a.received_identifier == ours => Identified::Ours,
            Reply::Acknowledgement(a) => Identified::Other(a.received_identifier.clone()),
            Reply::TransferReply(r) => {
                let fields = [r.request_identifier.as_deref(), r.message_identifier.as_deref()];
                let mut named = fields.iter().flatten();
                if let Some(other) = named.clone().find(|v| **v != ours && is_transfer_id(v)) {
                    return Identified::Other((*other).to_owned());
                }
                if named.any(|v| *v == ours) {
                    return Identified::Ours;
                }
                match &r.request_identifier {
                    Some(other) => Identified::Other(other.clone()),
                    None => Identified::Nothing,
                }
            }
        }
    }
}

/// Classify a `ReplyCode`.
pub fn outcome_of(code: &str) -> Result<Outcome, SedaError> {
    match code.trim() {
        "OK" | "000" | "Test OK" => Ok(Outcome::Accepted),
        "WARNING" | "001" | "002" => Ok(Outcome::AcceptedWithWarnings),
        "KO" | "FATAL" => Ok(Outcome::Rejected),
        c if c.len() == 3 && c.bytes().all(|b| b.is_ascii_digit()) => Ok(Outcome::Rejected),
        other => Err(SedaError::UnknownReplyCode(other.to_owned())),
    }
}

/// Parse an Acknowledgement or an ArchiveTransferReply.
pub fn parse_reply(xml: &[u8]) -> Result<Reply, SedaError> {
    let mut r = Collected::default();
    let root = xmlwalk::walk(xml, &mut r).map_err(SedaError::MalformedReply)?;
    let label = format!(
        "<{}> ({})",
        root.name,
        if root.namespace.is_empty() { "sans espace de noms" } else { &root.namespace }
    );
    if !root.namespace.starts_with(SEDA_2_PREFIX) {
        return Err(SedaError::UnknownReply(label));
    }
    match root.name.as_str() {
        "Acknowledgement" => Ok(Reply::Acknowledgement(Acknowledgement {
            message_identifier: r.message_identifier,
            received_identifier: r.received.ok_or(SedaError::IncompleteReply("MessageReceivedIdentifier"))?,
            date: r.date,
        })),
        "ArchiveTransferReply" => {
            let reply_code = r.reply_code.ok_or(SedaError::IncompleteReply("ReplyCode"))?;
            let outcome = outcome_of(&reply_code)?;
            if r.request_identifier.is_none() && r.message_identifier.is_none() {
                return Err(SedaError::IncompleteReply("MessageRequestIdentifier"));
            }
            let mut reasons = r.comments;
            let flagged: Vec<String> =
                r.events.iter().filter(|e| e.flagged).map(|e| e.detail.clone()).collect();
            match (flagged.is_empty(), r.events.last()) {
                (false, _) => reasons.extend(flagged),
                (true, Some(last)) if outcome != Outcome::Accepted => reasons.push(last.detail.clone()),
                _ => {}
            }
            reasons.retain(|s| !s.is_empty());
            Ok(Reply::TransferReply(TransferReply {
                message_identifier: r.message_identifier,
                request_identifier: r.request_identifier,
                reply_code,
                outcome,
                reasons,
                grant_date: r.grant_date,
                units: r.units.into_iter().filter(|u| !u.unit_id.is_empty()).collect(),
            }))
        }
        _ => Err(SedaError::UnknownReply(label)),
    }
}

#[derive(Default)]
struct Collected {
    message_identifier: Option<String>,
    request_identifier: Option<String>,
    received: Option<String>,
    date: Option<String>,
    reply_code: Option<String>,
    grant_date: Option<String>,
    comments: Vec<String>,
    events: Vec<ReplyEvent>,
    units: Vec<UnitIdentifiers>,
    open_units: Vec<usize>,
}

#[derive(Default)]
struct ReplyEvent {
    detail: String,
    flagged: bool,
}

impl Visitor for Collected {
    fn start(&mut self, path: &[String], attrs: &[(String, String)]) {
        if path.last().is_some_and(|n| n == "ArchiveUnit") {
            self.open_units.push(self.units.len());
            let unit_id = attr(attrs, "id").unwrap_or_default().to_owned();
            self.units.push(UnitIdentifiers { unit_id, ..UnitIdentifiers::default() });
        } else if ends_with(path, &["Operation", "Event"]) {
            self.events.push(ReplyEvent::default());
        }
    }

    fn end(&mut self, path: &[String], text: &str) {
        let text = text.trim();
        let value = (!text.is_empty()).then(|| text.to_owned());
        let top = |name: &str| path.len() == 2 && path[1] == name;
        if top("MessageIdentifier") {
            self.message_identifier = value;
        } else if top("MessageRequestIdentifier") {
            self.request_identifier = value;
        } else if top("MessageReceivedIdentifier") {
            self.received = value;
        } else if top("Date") {
            self.date = value;
        } else if top("ReplyCode") {
            self.reply_code = value;
        } else if top("GrantDate") {
            self.grant_date = value;
        } else if top("Comment") {
            self.comments.extend(value);
        } else if path.last().is_some_and(|n| n == "ArchiveUnit") {
            self.open_units.pop();
        } else if ends_with(path, &["ArchiveUnit", "Content", "SystemId"])
            || ends_with(path, &["ArchiveUnit", "Content", "ArchivalAgencyArchiveUnitIdentifier"])
        {
            let unit = self.open_units.last().and_then(|&i| self.units.get_mut(i));
            if let (Some(u), Some(v)) = (unit, value) {
                if path.last().is_some_and(|n| n == "SystemId") {
                    u.system_ids.push(v)
                } else {
                    u.archival_agency_ids.push(v)
                }
            }
        } else if ends_with(path, &["Operation", "Event", "Outcome"]) {
            if let Some(e) = self.events.last_mut() {
                e.flagged = matches!(text, "KO" | "FATAL" | "WARNING");
            }
        } else if ends_with(path, &["Operation", "Event", "OutcomeDetailMessage"])
            || ends_with(path, &["Operation", "Event", "EventType"])
        {
            // The message wins over the event's label.
            let is_message = path.last().is_some_and(|n| n == "OutcomeDetailMessage");
            if let (Some(e), Some(v)) = (self.events.last_mut(), value)
                && (e.detail.is_empty() || is_message)
            {
                e.detail = v;
            }
        }
    }
}
