//! The records of the quarantine: a slot's number ([`QuarantineId`]), its
//! description ([`QuarantinedReply`], `entry.json`), its acknowledgement
//! ([`QuarantineAcknowledgement`], `acknowledged.json`), and what became of a
//! refused reply ([`Quarantined`]). See the parent module for the whole.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::auth::{Caller, Role};
use crate::domain::Siren;
use crate::service::archive::record::TransferId;

/// Largest reply kept in quarantine, in bytes.
pub const MAX_QUARANTINED_BYTES: usize = 4 * 1024 * 1024;

/// A quarantine slot: `000001` to `999999`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct QuarantineId(pub(super) u32);

impl QuarantineId {
    pub(super) const MAX: u32 = 999_999;
}

impl FromStr for QuarantineId {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // One spelling per slot: six digits.
        let n = (s.len() == 6 && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<u32>().ok())
            .flatten()
            .filter(|n| (1..=Self::MAX).contains(n));
        n.map(Self).ok_or_else(|| format!("« {s} » n'est pas un numéro de quarantaine"))
    }
}

impl TryFrom<String> for QuarantineId {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<QuarantineId> for String {
    fn from(id: QuarantineId) -> Self {
        id.to_string()
    }
}

impl fmt::Display for QuarantineId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:06}", self.0)
    }
}

/// Why a reply is in quarantine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum QuarantineReason {
    /// It names no transfer at all.
    Unidentified,
    /// It names something that is no transfer within the uploader's scope.
    UnknownTransfer,
}

/// The identifiers a reply carries.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReplyIdentifiers {
    /// `MessageIdentifier` (the archive's own message or operation id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_identifier: Option<String>,
    /// `MessageRequestIdentifier` (ArchiveTransferReply).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_request_identifier: Option<String>,
    /// `MessageReceivedIdentifier` (Acknowledgement).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_received_identifier: Option<String>,
}

/// Who did something: an account (pages) or a token (API), with its role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Uploader {
    /// The account's login.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// The token's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// The role.
    #[schema(value_type = String)]
    pub role: Role,
}

impl Uploader {
    /// Who `caller` is.
    pub fn of(caller: &Caller) -> Self {
        Self {
            user: caller.user().map(ToString::to_string),
            token: caller.token_id().map(ToString::to_string),
            role: caller.role,
        }
    }

    /// How people read it: the login, or « jeton … ».
    pub fn label(&self) -> String {
        match (&self.user, &self.token) {
            (Some(user), _) => user.clone(),
            (None, Some(token)) => format!("jeton {token}"),
            (None, None) => "inconnu".into(),
        }
    }
}

/// An acknowledgement of a quarantined reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct QuarantineAcknowledgement {
    /// Who.
    pub by: Uploader,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String)]
    pub at: OffsetDateTime,
    /// What was done with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A reply in quarantine (`quarantine/<id>/entry.json`, plus its
/// acknowledgement when read).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct QuarantinedReply {
    /// Its slot.
    #[schema(value_type = String)]
    pub id: QuarantineId,
    /// When it was uploaded.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String)]
    pub received_at: OffsetDateTime,
    /// Who uploaded it.
    pub uploaded_by: Uploader,
    /// The transfer it was posted to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub transfer: Option<TransferId>,
    /// That transfer's collectivité: who may see the reply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub collectivite: Option<Siren>,
    /// Why it was refused.
    pub reason: QuarantineReason,
    /// The refusal, as the uploader read it.
    pub detail: String,
    /// `acknowledgement` or `transfer_reply`.
    pub kind: String,
    /// `ReplyCode`, for a transfer reply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_code: Option<String>,
    /// The identifiers it carries.
    pub identifiers: ReplyIdentifiers,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256 of the XML, lowercase hex.
    pub sha256: String,
    /// Set once an archivist dealt with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acknowledged: Option<QuarantineAcknowledgement>,
}

/// What became of a refused reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quarantined {
    /// Kept in this slot.
    Kept(QuarantineId),
    /// Not kept.
    Refused(QuarantineRefused),
}

/// Why a refused reply could not be kept in quarantine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuarantineRefused {
    /// As many replies as allowed wait already.
    Full {
        /// `max_quarantined`.
        max: usize,
    },
    /// The reply is larger than [`MAX_QUARANTINED_BYTES`].
    TooLarge,
}

impl QuarantineRefused {
    /// Stable code (docs/errors.md).
    pub fn code(self) -> &'static str {
        match self {
            Self::Full { .. } => "quarantine_full",
            Self::TooLarge => "quarantine_reply_too_large",
        }
    }
}

impl fmt::Display for Quarantined {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Kept(id) => write!(
                f,
                "elle est conservée en quarantaine sous le n° {id} (page Transferts) : rien n'est perdu, \
                 aucun transfert n'est modifié"
            ),
            Self::Refused(QuarantineRefused::Full { max }) => write!(
                f,
                "elle n'est pas conservée : {max} réponses attendent déjà en quarantaine ; traitez-les \
                 depuis la page Transferts puis déposez-la de nouveau"
            ),
            Self::Refused(QuarantineRefused::TooLarge) => write!(
                f,
                "elle n'est pas conservée en quarantaine : elle dépasse {} Mo",
                MAX_QUARANTINED_BYTES / 1024 / 1024
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quarantine_ids_have_one_spelling() {
        assert_eq!("000042".parse::<QuarantineId>().unwrap().to_string(), "000042");
        for bad in ["42", "0000042", "000000", "-00042", "00004a", "../x"] {
            assert!(bad.parse::<QuarantineId>().is_err(), "{bad}");
        }
    }
}
