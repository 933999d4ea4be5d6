//! SEDA 2.2 transfers to electronic archiving (Vitam, As@lae/SESAM).
//!
//! A *SIP* (submission information package) is a zip holding a *manifest*
//! (`manifest.xml`, the SEDA `ArchiveTransfer` message, also called
//! *bordereau*) and the *objects* it describes under `content/`. This module
//! is self-contained: it takes a [`TransferRequest`] (acts described by
//! [`ArchivedAct`], grouped as a flat [`Selection::Acts`] or a
//! [`Selection::Seance`]), the collectivité's [`Agencies`], a target
//! [`Profile`] and [`ManagementRules`] per act kind, reads each act's bytes
//! from an [`ObjectSource`], and writes the SIP with [`write_sip`]. [`check_sip`]
//! verifies any SIP the way archive systems do (files, digests, sizes, IDREFs,
//! mandatory Title/DescriptionLevel), and [`parse_reply`] reads their
//! Acknowledgement and ArchiveTransferReply messages.
//!
//! Layout: [`model`] and [`units`] are the typed manifest, [`manifest`]
//! serialises it with quick-xml in XSD order, [`assemble`] maps acts onto it,
//! [`package`] streams the zip, [`check`] and [`reply`] read. See `docs/seda.md`.

pub mod assemble;
pub mod check;
mod error;
pub mod input;
pub mod manifest;
pub mod model;
pub mod names;
pub mod package;
pub mod profile;
pub mod reply;
pub mod rules;
pub mod units;
mod xmlwalk;

pub use check::{CheckReport, check_sip};
pub use error::SedaError;
pub use input::{ArchivedAct, ObjectSource, Seance, Selection, TransferRequest, Transmission};
pub use manifest::write_manifest;
pub use model::{ArchiveTransfer, SEDA_NAMESPACE};
pub use names::{XmlId, act_of_unit_id, act_unit_id};
pub use package::{SipSummary, write_sip};
pub use profile::{Agencies, Agency, Profile};
pub use reply::{Acknowledgement, Identified, Outcome, Reply, TransferReply, UnitIdentifiers, parse_reply};
pub use rules::ManagementRules;

#[cfg(test)]
mod tests;
