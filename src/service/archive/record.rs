//! The records of a transfer in the object store, all written create-only:
//!
//! - `transfers/<id>/sip.zip`: the SIP, stored first;
//! - `transfers/<id>/transfer.json` ([`TransferRecord`]): what was asked and
//!   sent; its presence means the transfer exists (status *sent*);
//! - `transfers/<id>/reply-<n>.xml`: each acknowledgement taken, as
//!   received (at most the configured number);
//! - `transfers/<id>/outcome.json` ([`OutcomeRecord`]): the verdict, the
//!   commit point of a transfer reply; its presence means the transfer is
//!   settled (*accepted* or *rejected*), and no further verdict is taken;
//! - `transfers/<id>/reply-verdict.xml`: the reply that gave the verdict, as
//!   received, written once the verdict is taken (never before: a refused
//!   reply leaves nothing behind);
//! - `acts/<act>/archive/<id>.json` ([`ArchiveRecord`]): the archive's
//!   identifiers of one act, when the verdict accepts the transfer.
//!
//! The transfer id is a UUID v7 and is the SIP's `MessageIdentifier`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

use crate::domain::{ActId, Siren};
use crate::seda::Profile;

time::serde::format_description!(day, Date, "[year]-[month]-[day]");

/// A transfer's id (and `MessageIdentifier`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TransferId(uuid::Uuid);

impl TransferId {
    /// A new, time-ordered id.
    pub fn generate() -> Self {
        Self(uuid::Uuid::now_v7())
    }
}

impl FromStr for TransferId {
    type Err = uuid::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // Only the hyphenated lowercase form: ids are keys, one spelling each.
        let id = uuid::Uuid::parse_str(s)?;
        if id.hyphenated().to_string() != s {
            return Err(uuid::Uuid::parse_str("!").unwrap_err());
        }
        Ok(Self(id))
    }
}

impl TryFrom<String> for TransferId {
    type Error = uuid::Error;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<TransferId> for String {
    fn from(id: TransferId) -> Self {
        id.to_string()
    }
}

impl fmt::Display for TransferId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.hyphenated())
    }
}

/// Key of the transfer record.
pub fn transfer_key(id: &TransferId) -> String {
    format!("transfers/{id}/transfer.json")
}

/// Key of the SIP.
pub fn sip_key(id: &TransferId) -> String {
    format!("transfers/{id}/sip.zip")
}

/// Prefix of every object of a transfer (stores list by whole path segments).
pub fn transfer_prefix(id: &TransferId) -> String {
    format!("transfers/{id}/")
}

/// Whether `key` (under [`transfer_prefix`]) is a reply (an acknowledgement
/// or the verdict).
pub fn is_reply(key: &str) -> bool {
    key.rsplit('/').next().is_some_and(|name| name.starts_with("reply-") && name.ends_with(".xml"))
}

/// Whether `key` (under [`transfer_prefix`]) is a numbered reply
/// (`reply-<n>.xml`: an acknowledgement; a verdict, in records made before
/// verdicts had their own key).
pub fn is_numbered_reply(key: &str) -> bool {
    let name = key.rsplit('/').next().unwrap_or_default();
    name.strip_prefix("reply-")
        .and_then(|rest| rest.strip_suffix(".xml"))
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// Key of the `n`-th acknowledgement (from 1).
pub fn reply_key(id: &TransferId, n: usize) -> String {
    format!("transfers/{id}/reply-{n:04}.xml")
}

/// Key of the reply that gave the verdict, as received.
pub fn verdict_key(id: &TransferId) -> String {
    format!("transfers/{id}/reply-verdict.xml")
}

/// Key of the verdict.
pub fn outcome_key(id: &TransferId) -> String {
    format!("transfers/{id}/outcome.json")
}

/// Key of an act's archive identifiers from one transfer.
pub fn act_archive_key(act: &ActId, transfer: &TransferId) -> String {
    format!("acts/{act}/archive/{transfer}.json")
}

/// Prefix of an act's archive identifiers.
pub fn act_archives_prefix(act: &ActId) -> String {
    format!("acts/{act}/archive/")
}

/// What to transfer: the body of `POST /api/v1/transfers`, also built by
/// `acta archive export`. Exactly one way of selecting applies: `acts` if
/// given, else `seance`, else the sealing-date range and kinds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferSpec {
    /// SIREN of the collectivité whose acts are transferred.
    #[schema(value_type = String)]
    pub collectivite: Siren,
    /// First sealing day (inclusive, `YYYY-MM-DD`, Paris time).
    #[serde(default, with = "day::option", skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub from: Option<Date>,
    /// Last sealing day (inclusive).
    #[serde(default, with = "day::option", skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub to: Option<Date>,
    /// Template ids or register series (`ARR`, `DEL`…); empty for all.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kinds: Vec<String>,
    /// A séance: its day, `YYYY-MM-DD` (the acts' `seance.date`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seance: Option<String>,
    /// An explicit list of sealed acts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<String>)]
    pub acts: Vec<ActId>,
    /// `vitam` or `asalae`; the configured profile when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub profile: Option<Profile>,
    /// `Comment` of the message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// `transfers/<id>/transfer.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TransferRecord {
    /// Id and `MessageIdentifier`.
    pub id: TransferId,
    /// The collectivité.
    pub collectivite: Siren,
    /// When the SIP was made.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// The target SAE.
    pub profile: Profile,
    /// What was asked.
    pub spec: TransferSpec,
    /// The séance unit's id, for a séance transfer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seance: Option<String>,
    /// The acts, in manifest order.
    pub acts: Vec<ActId>,
    /// The stored SIP.
    pub sip: SipInfo,
}

/// The SIP as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SipInfo {
    /// Size in bytes.
    pub size: u64,
    /// Objects packed (PDFs and proofs).
    pub objects: usize,
    /// SHA-256 of the zip, lowercase hex.
    pub sha256: String,
}

/// Where a transfer stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum TransferStatus {
    /// The SIP is made; no verdict yet (an acknowledgement is not one).
    Sent,
    /// The archive accepted it (possibly with warnings, listed as reasons).
    Accepted,
    /// The archive refused it; see the reasons.
    Rejected,
}

/// `transfers/<id>/outcome.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OutcomeRecord {
    /// Accepted or rejected.
    pub status: TransferStatus,
    /// `ReplyCode` as written (`OK`, `KO`, `000`…).
    pub reply_code: String,
    /// Whether the archive accepted with warnings.
    #[serde(default)]
    pub warnings: bool,
    /// Why (comments, failed or warning events).
    pub reasons: Vec<String>,
    /// `GrantDate`, as written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grant_date: Option<String>,
    /// The reply's `MessageIdentifier` (the archive's operation id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_identifier: Option<String>,
    /// Rank of the verdict among the replies received (from 1).
    pub reply: usize,
    /// SHA-256 of the verdict's XML (lowercase hex): the same reply posted
    /// again finishes an interrupted ingestion, any other is refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_sha256: Option<String>,
    /// Acts for which archive identifiers were recorded.
    pub archived_acts: usize,
    /// When the reply was ingested.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String)]
    pub received_at: OffsetDateTime,
}

/// `acts/<act>/archive/<transfer>.json`: the archive's identifiers of an act.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ArchiveRecord {
    /// The transfer that archived it.
    #[schema(value_type = String)]
    pub transfer: TransferId,
    /// Our unit id (`AU-<act id>`).
    pub unit_id: String,
    /// Vitam's `SystemId`s.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub system_ids: Vec<String>,
    /// As@lae's `ArchivalAgencyArchiveUnitIdentifier`s (cotes).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub archival_agency_ids: Vec<String>,
    /// `GrantDate` of the reply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grant_date: Option<String>,
}
