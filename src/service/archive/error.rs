//! Errors of transfers. The first group is the caller's fault (a selection
//! that makes no transfer, a reply that is not one or not for this transfer);
//! the rest wraps the core's and the SEDA module's own failures.

use crate::catalog::FieldError;
use crate::seda::SedaError;
use crate::service::ServiceError;

/// A transfer operation failed.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    /// The request is invalid (fields listed).
    #[error("invalid transfer request")]
    Invalid(Vec<FieldError>),
    /// No sealed act matches the selection.
    #[error("aucun acte scellé ne correspond à la sélection")]
    EmptySelection,
    /// The selection cannot make a SIP (no management rule, blank title…).
    #[error("sélection refusée : {0}")]
    Refused(SedaError),
    /// The reply cannot be read as a SEDA Acknowledgement or ArchiveTransferReply.
    #[error("réponse refusée : {0}")]
    BadReply(SedaError),
    /// The reply names another transfer.
    #[error("cette réponse concerne le transfert {named}, pas {transfer}")]
    ReplyMismatch {
        /// The identifier the reply carries.
        named: String,
        /// The transfer it was posted to.
        transfer: String,
    },
    /// The reply names no transfer at all (Vitam's KO with an empty
    /// `MessageRequestIdentifier`): it cannot settle one.
    #[error(
        "cette réponse ne nomme aucun transfert (MessageRequestIdentifier vide, MessageIdentifier {message_identifier}) : elle ne peut pas clore le transfert {transfer}"
    )]
    ReplyUnidentified {
        /// The reply's own `MessageIdentifier`, or `—`.
        message_identifier: String,
        /// The transfer it was posted to.
        transfer: String,
    },
    /// The transfer already holds as many acknowledgements as allowed.
    #[error(
        "le transfert {transfer} a déjà reçu {max} accusés de réception, le maximum : celui-ci n'est pas conservé"
    )]
    TooManyAcknowledgements {
        /// The transfer.
        transfer: String,
        /// The configured maximum.
        max: usize,
    },
    /// The transfer already has a verdict.
    #[error("le transfert {0} a déjà reçu sa réponse définitive")]
    Settled(String),
    /// A reply refused because it names no transfer within reach (`refusal`:
    /// [`ArchiveError::ReplyUnidentified`] or [`ArchiveError::ReplyMismatch`]),
    /// and what became of it: kept in quarantine or not.
    #[error("{refusal} ; {kept}")]
    Quarantined {
        /// Why it was refused.
        refusal: Box<ArchiveError>,
        /// Kept (its slot), or why not.
        kept: super::Quarantined,
    },
    /// No such quarantined reply within the caller's scope.
    #[error("aucune réponse en quarantaine sous ce numéro dans votre périmètre")]
    QuarantineNotFound,
    /// The quarantined reply was already acknowledged.
    #[error("la réponse en quarantaine n° {0} est déjà marquée comme traitée")]
    QuarantineAcknowledged(String),
    /// Writing the SIP failed (I/O, or a stored PDF no longer matching its seal).
    #[error("écriture du SIP : {0}")]
    Sip(SedaError),
    /// A failure of the core (store, corrupt record, unknown transfer…).
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl ArchiveError {
    /// One invalid field.
    pub fn field(path: &str, message: impl Into<String>) -> Self {
        Self::Invalid(vec![FieldError { path: path.into(), message: message.into() }])
    }
}

impl From<crate::store::StoreError> for ArchiveError {
    fn from(e: crate::store::StoreError) -> Self {
        Self::Service(e.into())
    }
}

impl From<SedaError> for ArchiveError {
    /// Input-phase errors are the selection's fault; the others are ours.
    fn from(e: SedaError) -> Self {
        match e {
            SedaError::EmptySelection => Self::EmptySelection,
            SedaError::Blank { .. }
            | SedaError::InvalidId(_)
            | SedaError::DuplicateId(_)
            | SedaError::NoRuleForAct { .. } => Self::Refused(e),
            other => Self::Sip(other),
        }
    }
}
