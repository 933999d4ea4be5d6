//! The one error type of the SEDA module.
//!
//! Variants are grouped by phase: *input* (the selection, the rules file or the
//! agencies cannot make a valid transfer), *writing* (I/O, zip, a stored PDF that
//! no longer matches its seal record), *checking* (a SIP that is not readable at
//! all; a readable SIP with defects yields a [`super::CheckReport`] instead) and
//! *replies* (a document that is not a SEDA reply we understand). Messages are
//! French because they may reach users.

use std::io;

/// Everything that can go wrong while building, checking or reading SEDA messages.
#[derive(Debug, thiserror::Error)]
pub enum SedaError {
    // ---- input ----
    /// The selection holds no act.
    #[error("sélection vide : aucun acte à verser")]
    EmptySelection,
    /// A required text (title, identifier…) is blank.
    #[error("{what} vide")]
    Blank {
        /// Which field.
        what: String,
    },
    /// A string cannot be an `xs:ID` (NCName).
    #[error("identifiant XML invalide : {0:?}")]
    InvalidId(String),
    /// Two elements would get the same `id`.
    #[error("identifiant XML en double : {0}")]
    DuplicateId(String),
    /// A date cannot be written as `xs:date` / `xs:dateTime`.
    #[error("date non représentable en XML Schema : {0}")]
    InvalidDate(String),
    /// The management-rules file is not valid.
    #[error("fichier de règles de gestion invalide : {0}")]
    InvalidRules(String),
    /// No entry of the management-rules file applies to an act.
    #[error(
        "aucune règle de gestion pour l'acte {number} (modèle {template}, nature {nature}, matière {matiere})"
    )]
    NoRuleForAct {
        /// Act number.
        number: String,
        /// Template id.
        template: String,
        /// @ctes nature code.
        nature: u8,
        /// @ctes matière code.
        matiere: String,
    },

    // ---- writing ----
    /// Reading an object or writing the SIP failed.
    #[error("entrée/sortie : {0}")]
    Io(#[from] io::Error),
    /// The zip container could not be written or read.
    #[error("archive zip : {0}")]
    Zip(#[from] zip::result::ZipError),
    /// An object has no bytes (SEDA `Size` is a positive integer).
    #[error("objet vide : {0}")]
    EmptyObject(String),
    /// The bytes read for an act differ from its seal record.
    #[error("l'acte {number} ne correspond plus à son scellement ({what} attendu {expected}, lu {actual})")]
    SealMismatch {
        /// Act number.
        number: String,
        /// `SHA-512` or `taille`.
        what: &'static str,
        /// Value in the seal record.
        expected: String,
        /// Value of the bytes read.
        actual: String,
    },

    // ---- checking ----
    /// The SIP's manifest cannot be parsed at all.
    #[error("bordereau illisible : {0}")]
    MalformedManifest(String),

    // ---- replies ----
    /// The reply is not well-formed XML.
    #[error("réponse illisible (XML mal formé) : {0}")]
    MalformedReply(String),
    /// The document is well-formed but is not a SEDA 2.x Acknowledgement or ArchiveTransferReply.
    #[error("document inconnu : {0} n'est ni un Acknowledgement ni un ArchiveTransferReply SEDA 2.x")]
    UnknownReply(String),
    /// A reply lacks a field we need to act on it.
    #[error("réponse incomplète : {0} absent")]
    IncompleteReply(&'static str),
    /// The reply code is neither a Vitam status nor a SEDA reply code.
    #[error("code de réponse inconnu : {0:?}")]
    UnknownReplyCode(String),
}
