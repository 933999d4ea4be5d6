//! From acts to manifest parts: the mapping of acta's facts onto SEDA elements.
//!
//! Per act: one unit `AU-<act id>` (`Item`) with Title, number, acta id, dates,
//! keywords (nature, matière, collectivité), events (sealing, @ctes
//! transmission, publication) and its kind's rules, pointing to the group
//! `GOT-<act id>` that holds the sealed PDF as `BinaryMaster_1`. The register
//! inclusion proof, when there is one, is a child unit `AU-<act id>-PREUVE`
//! with its own group: a unit references one group only (Vitam's rule) and a
//! group has one `BinaryMaster_1`, so a second object needs a second unit.
//! A séance is a parent unit (`File`) around its acts' units.

use time::OffsetDateTime;

use super::input::{ArchivedAct, Seance, TransferRequest, nature_label};
use super::model::{
    ArchiveTransfer, BinaryDataObject, CodeListVersions, DataObjectGroup, DataObjectPackage, FileInfo,
    FormatIdentification, ManagementMetadata, MessageDigest, Organization,
};
use super::names::{XmlId, act_unit_id};
use super::profile::{Agencies, Profile};
use super::rules::ActKind;
use super::units::{ArchiveUnit, Content, DescriptionLevel, Event, Keyword};

/// `DataObjectVersion` of every object acta writes.
pub const BINARY_MASTER: &str = "BinaryMaster_1";
/// Application named in `FileInfo`.
const APPLICATION: &str = "acta";
/// Suffix of the ids of the inclusion-proof unit, group and object.
const PROOF_SUFFIX: &str = "-PREUVE";

/// The ids of an act's PDF group and object.
pub fn pdf_ids(act: &ArchivedAct) -> (XmlId, XmlId) {
    let id = act.id.to_string();
    (XmlId::derive("GOT", &id), XmlId::derive("BDO", &id))
}

/// The ids of an act's proof unit, group and object.
pub fn proof_ids(act: &ArchivedAct) -> (XmlId, XmlId, XmlId) {
    let id = format!("{}{PROOF_SUFFIX}", act.id);
    (XmlId::derive("AU", &id), XmlId::derive("GOT", &id), XmlId::derive("BDO", &id))
}

/// What the writer learnt while streaming one object.
#[derive(Debug, Clone)]
pub struct Streamed {
    /// Zip entry name (= `Uri`).
    pub uri: String,
    /// Lowercase hex SHA-512.
    pub sha512: String,
    /// Bytes.
    pub size: u64,
}

/// The group holding an act's sealed PDF.
pub fn pdf_group(act: &ArchivedAct, profile: Profile, s: Streamed) -> DataObjectGroup {
    let (group, object) = pdf_ids(act);
    let format = FormatIdentification {
        literal: "Acrobat PDF/A - Portable Document Format".into(),
        mime_type: "application/pdf".into(),
        format_id: "fmt/477".into(),
    };
    let filename = super::names::file_name(&format!("{} {}", act.number, act.title), "pdf");
    one_object_group(group, object, profile, s, format, filename, act.sealed_at)
}

/// The group holding an act's register inclusion proof.
pub fn proof_group(act: &ArchivedAct, profile: Profile, s: Streamed) -> DataObjectGroup {
    let (_, group, object) = proof_ids(act);
    let format = FormatIdentification {
        literal: "JSON Data Interchange Format".into(),
        mime_type: "application/json".into(),
        format_id: "fmt/817".into(),
    };
    let filename = super::names::file_name(&format!("{} preuve d'inclusion au registre", act.number), "json");
    one_object_group(group, object, profile, s, format, filename, act.sealed_at)
}

fn one_object_group(
    group: XmlId,
    object: XmlId,
    profile: Profile,
    s: Streamed,
    format: FormatIdentification,
    filename: String,
    at: OffsetDateTime,
) -> DataObjectGroup {
    let object = BinaryDataObject {
        id: object,
        version: BINARY_MASTER.into(),
        uri: s.uri,
        digest: MessageDigest { algorithm: profile.digest_algorithm().into(), value: s.sha512 },
        size: s.size,
        format,
        file_info: FileInfo {
            filename,
            creating_application_name: Some(APPLICATION.into()),
            creating_application_version: Some(env!("CARGO_PKG_VERSION").into()),
            date_created_by_application: Some(at),
            last_modified: Some(at),
        },
    };
    DataObjectGroup { id: group, objects: vec![object] }
}

/// The unit of one act (with its proof's child unit if `with_proof`).
pub fn act_unit(act: &ArchivedAct, kind: &ActKind, agencies: &Agencies, with_proof: bool) -> ArchiveUnit {
    let sealed = act.sealed_at.date();
    let mut c = Content::new(DescriptionLevel::Item, act.title.trim());
    c.originating_system_id = Some(act.id.to_string());
    c.originating_agency_archive_unit_identifier = Some(act.number.to_string());
    c.description = act.description.clone();
    c.document_type = Some(act.document_type.clone());
    c.language = Some("fr".into());
    c.description_language = Some("fr".into());
    c.keywords = vec![
        Keyword { content: nature_label(act.nature).into(), kind: Some("genreform") },
        Keyword { content: act.matiere.clone(), kind: Some("subject") },
        Keyword { content: act.collectivite.clone(), kind: Some("corpname") },
    ];
    c.originating_agency = Some(Organization::from(&agencies.originating_agency));
    c.created_date = Some(act.created_at.date());
    c.registered_date = Some(sealed);
    c.start_date = Some(sealed);
    c.end_date = Some(sealed);
    c.events.push(Event {
        identifier: Some(act.number.to_string()),
        type_code: Some("SCELLEMENT".into()),
        event_type: Some("Numérotation au registre et scellement".into()),
        date_time: act.sealed_at,
        detail: Some(format!("Acte n° {} de la collectivité SIREN {}", act.number, act.siren)),
        outcome: Some("OK".into()),
    });
    if let Some(t) = &act.transmission {
        c.events.push(Event {
            identifier: Some(t.identifier.clone()),
            type_code: Some("ACTES".into()),
            event_type: Some("Transmission au contrôle de légalité (@ctes)".into()),
            date_time: t.at,
            detail: None,
            outcome: Some("OK".into()),
        });
    }
    if let Some(at) = act.published_at {
        c.events.push(Event {
            identifier: None,
            type_code: Some("PUBLICATION".into()),
            event_type: Some("Publication".into()),
            date_time: at,
            detail: None,
            outcome: None,
        });
    }
    let mut children = Vec::new();
    if with_proof {
        let (unit, group, _) = proof_ids(act);
        let mut pc = Content::new(
            DescriptionLevel::Item,
            format!("Preuve d'inclusion au registre et journal des opérations de l'acte n° {}", act.number),
        );
        pc.document_type = Some("Preuve d'inclusion au registre et journal des opérations".into());
        pc.registered_date = Some(sealed);
        children.push(ArchiveUnit {
            id: unit,
            management: None,
            content: pc,
            object_groups: vec![group],
            children: vec![],
        });
    }
    ArchiveUnit {
        id: act_unit_id(&act.id),
        management: Some(kind.management(sealed)),
        content: c,
        object_groups: vec![pdf_ids(act).0],
        children,
    }
}

/// The parent unit of a séance around its acts' units (in [`Seance::acts`] order).
pub fn seance_unit(seance: &Seance, mut children: Vec<ArchiveUnit>, agencies: &Agencies) -> ArchiveUnit {
    let mut c = Content::new(DescriptionLevel::File, seance.title.trim());
    c.originating_agency_archive_unit_identifier = Some(seance.id.clone());
    c.document_type = Some("Dossier de séance".into());
    c.language = Some("fr".into());
    c.description_language = Some("fr".into());
    if let Some(act) = seance.acts().next() {
        c.keywords.push(Keyword { content: act.collectivite.clone(), kind: Some("corpname") });
    }
    c.originating_agency = Some(Organization::from(&agencies.originating_agency));
    c.transacted_date = Some(seance.date);
    let dates: Vec<_> = seance.acts().map(|a| a.sealed_at.date()).chain([seance.date]).collect();
    c.start_date = dates.iter().min().copied();
    c.end_date = dates.iter().max().copied();
    let first_deliberation = usize::from(seance.convocation.is_some());
    for child in children.iter_mut().skip(first_deliberation).take(seance.deliberations.len()) {
        child.content.transacted_date = Some(seance.date);
    }
    ArchiveUnit {
        id: XmlId::derive("AU-SEANCE", &seance.id),
        management: None,
        content: c,
        object_groups: vec![],
        children,
    }
}

/// The whole message around the units kept in memory; the data object
/// groups (and the other units) are spooled by the writer and spliced in.
pub fn transfer(request: &TransferRequest, units: Vec<ArchiveUnit>) -> ArchiveTransfer {
    let a = &request.agencies;
    ArchiveTransfer {
        comment: request.comment.clone(),
        date: request.date,
        message_identifier: request.message_identifier.clone(),
        archival_agreement: Some(a.archival_agreement.clone()),
        code_list_versions: CodeListVersions::acta_default(),
        package: DataObjectPackage {
            groups: Vec::new(),
            units,
            management: ManagementMetadata {
                archival_profile: a.archival_profile.clone(),
                acquisition_information: Some("Versement".into()),
                legal_status: Some("Public Archive".into()),
                originating_agency_identifier: Some(a.originating_agency.identifier.clone()),
                submission_agency_identifier: a.submission_agency.as_ref().map(|s| s.identifier.clone()),
                rules: None,
            },
        },
        archival_agency: Organization::from(&a.archival_agency),
        transferring_agency: Organization::from(&a.transferring_agency),
    }
}
