//! What a transfer is made of, independent of how acta stores acts.
//!
//! An *archived act* ([`ArchivedAct`]) is the description of one sealed act
//! (number, title, @ctes nature and matière, dates, seal digest). A *selection*
//! ([`Selection`]) is either a flat list of acts (one top-level unit each) or a
//! *séance* ([`Seance`]): one parent unit holding the convocation, the
//! délibérations and the minutes (procès-verbal). The bytes come from an
//! [`ObjectSource`], opened one object at a time so that a SIP of any size is
//! written in constant memory.

use std::io::{self, Read};

use time::{Date, OffsetDateTime};

use super::profile::{Agencies, Profile};
use crate::domain::{ActId, ActNumber, Sha512Digest, Siren};

/// One sealed act to archive.
#[derive(Debug, Clone, PartialEq)]
pub struct ArchivedAct {
    /// acta's id (→ `OriginatingSystemId`, and the unit id `AU-<id>`).
    pub id: ActId,
    /// Official number (→ `OriginatingAgencyArchiveUnitIdentifier`).
    pub number: ActNumber,
    /// Full title (→ `Title`).
    pub title: String,
    /// Optional analysis (→ `Description`).
    pub description: Option<String>,
    /// Template id; selects the management rules.
    pub template: String,
    /// Diplomatic type, e.g. "Arrêté portant avancement d'échelon" (→ `DocumentType`).
    pub document_type: String,
    /// @ctes nature code: 1 délibération, 2 acte réglementaire, 3 acte individuel,
    /// 4 contrat, 5 budget, 6 autre.
    pub nature: u8,
    /// @ctes matière code, e.g. "4.1".
    pub matiere: String,
    /// The act is about a named person: an individual act on an agent's
    /// career (its data names the agent). It gets the rules file's
    /// `personal` access rule whatever its kind (see [`super::rules`]).
    pub personal: bool,
    /// The act may reveal a person's health (its template is
    /// `secret_medical`: congés de santé, temps partiel thérapeutique). It
    /// gets the rules file's `medical` access rule, over `personal`.
    pub medical: bool,
    /// SIREN of the issuing collectivité.
    pub siren: Siren,
    /// Name of the collectivité (a `corpname` keyword).
    pub collectivite: String,
    /// When the draft was created (→ `CreatedDate`).
    pub created_at: OffsetDateTime,
    /// When it was numbered and sealed (→ `RegisteredDate`, rule start dates, the sealing event).
    pub sealed_at: OffsetDateTime,
    /// When it was published, if known (→ a publication event).
    pub published_at: Option<OffsetDateTime>,
    /// Its transmission to the prefecture, if any (→ an @ctes event).
    pub transmission: Option<Transmission>,
    /// SHA-512 of the sealed PDF, from the seal record; the bytes read are checked against it.
    pub sha512: Sha512Digest,
    /// Size of the sealed PDF in bytes, from the seal record.
    pub size: u64,
}

/// The act's transmission to the *contrôle de légalité*.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmission {
    /// @ctes identifier, e.g. `062-216295105-20241002-2024_ARR_00042-AR`.
    pub identifier: String,
    /// Time of the acknowledgement.
    pub at: OffsetDateTime,
}

/// The label of an @ctes nature code.
pub fn nature_label(nature: u8) -> &'static str {
    match nature {
        1 => "Délibération",
        2 => "Acte réglementaire",
        3 => "Acte individuel",
        4 => "Contrat, convention et avenant",
        5 => "Document budgétaire et financier",
        _ => "Autre acte",
    }
}

/// A council meeting: one parent unit (`DescriptionLevel` `File`).
#[derive(Debug, Clone, PartialEq)]
pub struct Seance {
    /// Stable id of the séance (used in the parent unit id).
    pub id: String,
    /// Title, e.g. "Conseil municipal du 12 septembre 2024".
    pub title: String,
    /// Day of the meeting.
    pub date: Date,
    /// The convocation, if archived with it.
    pub convocation: Option<ArchivedAct>,
    /// The délibérations adopted.
    pub deliberations: Vec<ArchivedAct>,
    /// The minutes (procès-verbal), if any.
    pub proces_verbal: Option<ArchivedAct>,
}

impl Seance {
    /// Its acts, in the order they are described: convocation, délibérations, minutes.
    pub fn acts(&self) -> impl Iterator<Item = &ArchivedAct> {
        self.convocation.iter().chain(&self.deliberations).chain(self.proces_verbal.iter())
    }
}

/// What to put in one SIP.
#[derive(Debug, Clone, PartialEq)]
pub enum Selection {
    /// A flat list (date range, kinds or explicit ids): one top-level unit per act.
    Acts(Vec<ArchivedAct>),
    /// One séance.
    Seance(Box<Seance>),
}

impl Selection {
    /// Every act of the selection, in manifest order.
    pub fn acts(&self) -> Box<dyn Iterator<Item = &ArchivedAct> + '_> {
        match self {
            Selection::Acts(acts) => Box::new(acts.iter()),
            Selection::Seance(s) => Box::new(s.acts()),
        }
    }
}

/// A transfer to write: header data plus the selection.
#[derive(Debug, Clone, PartialEq)]
pub struct TransferRequest {
    /// `MessageIdentifier`: unique per transferring agency; replies refer to it.
    pub message_identifier: String,
    /// `Date` of the message.
    pub date: OffsetDateTime,
    /// `Comment`.
    pub comment: Option<String>,
    /// Target archive system.
    pub profile: Profile,
    /// The collectivité's agreement and agencies.
    pub agencies: Agencies,
    /// The acts.
    pub selection: Selection,
}

/// Where the bytes of each act come from. Each call opens one object; the
/// writer reads it to the end and drops it before opening the next one.
pub trait ObjectSource {
    /// The sealed PDF of `act`.
    fn pdf(&mut self, act: &ArchivedAct) -> io::Result<Box<dyn Read + '_>>;
    /// The act's register inclusion proof (JSON), or `None` if it has none.
    fn proof(&mut self, act: &ArchivedAct) -> io::Result<Option<Box<dyn Read + '_>>>;
}
