//! Archive units: the descriptive part of the manifest.
//!
//! An *archive unit* ([`ArchiveUnit`]) is a node of the description tree: an act
//! (`DescriptionLevel` `Item`), or a séance file (`File`) whose child units are
//! its convocation, délibérations and minutes. Its *management rules*
//! ([`Management`]) say how long it is kept (`AppraisalRule`, the DUA, then a
//! *final action*: `Keep` or `Destroy`) and when it becomes public
//! (`AccessRule`, e.g. `AR038` = at once, `AR048` = after 50 years). Rules are
//! inherited by child units. Fields follow XSD order.

use time::{Date, OffsetDateTime};

use super::XmlId;
use super::model::Organization;

/// `ArchiveUnit` (the sequence form, not `ArchiveUnitRefId`).
#[derive(Debug, Clone, PartialEq)]
pub struct ArchiveUnit {
    /// `id`.
    pub id: XmlId,
    /// `Management`.
    pub management: Option<Management>,
    /// `Content`.
    pub content: Content,
    /// `DataObjectReference/DataObjectGroupReferenceId`s.
    pub object_groups: Vec<XmlId>,
    /// Child units.
    pub children: Vec<ArchiveUnit>,
}

/// `Management` (unit level) or the rule part of `ManagementMetadata`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Management {
    /// `AppraisalRule`.
    pub appraisal: Option<AppraisalRule>,
    /// `AccessRule`.
    pub access: Option<AccessRule>,
}

/// `AppraisalRule`: retention (DUA) then final action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppraisalRule {
    /// `Rule`: id in the archive system's referential.
    pub rule: String,
    /// `StartDate` (`xs:date`).
    pub start_date: Option<Date>,
    /// `FinalAction`.
    pub final_action: FinalAction,
}

/// `AccessRule`: when the unit becomes freely communicable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessRule {
    /// `Rule`: id in the archive system's referential.
    pub rule: String,
    /// `StartDate` (`xs:date`).
    pub start_date: Option<Date>,
}

/// `FinalActionAppraisalCodeType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub enum FinalAction {
    /// Keep permanently.
    Keep,
    /// Destroy after the DUA.
    Destroy,
}

impl FinalAction {
    /// XML value.
    pub fn as_str(self) -> &'static str {
        match self {
            FinalAction::Keep => "Keep",
            FinalAction::Destroy => "Destroy",
        }
    }
}

/// `LevelType` values acta uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DescriptionLevel {
    /// A file of documents (a séance).
    File,
    /// A single document.
    Item,
    /// A group of records.
    RecordGrp,
}

impl DescriptionLevel {
    /// XML value.
    pub fn as_str(self) -> &'static str {
        match self {
            DescriptionLevel::File => "File",
            DescriptionLevel::Item => "Item",
            DescriptionLevel::RecordGrp => "RecordGrp",
        }
    }
}

/// `Content`, restricted to what acta fills. `Title` and `DescriptionLevel`
/// are mandatory here although optional in the XSD (Vitam requires them).
#[derive(Debug, Clone, PartialEq)]
pub struct Content {
    /// `DescriptionLevel`.
    pub description_level: DescriptionLevel,
    /// `Title`.
    pub title: String,
    /// `OriginatingSystemId`: acta's id.
    pub originating_system_id: Option<String>,
    /// `OriginatingAgencyArchiveUnitIdentifier`: the act number.
    pub originating_agency_archive_unit_identifier: Option<String>,
    /// `Description`.
    pub description: Option<String>,
    /// `DocumentType`.
    pub document_type: Option<String>,
    /// `Language`.
    pub language: Option<String>,
    /// `DescriptionLanguage`.
    pub description_language: Option<String>,
    /// `Keyword`s.
    pub keywords: Vec<Keyword>,
    /// `OriginatingAgency`.
    pub originating_agency: Option<Organization>,
    /// `SubmissionAgency`.
    pub submission_agency: Option<Organization>,
    /// `CreatedDate`.
    pub created_date: Option<Date>,
    /// `TransactedDate`.
    pub transacted_date: Option<Date>,
    /// `RegisteredDate`.
    pub registered_date: Option<Date>,
    /// `StartDate`.
    pub start_date: Option<Date>,
    /// `EndDate`.
    pub end_date: Option<Date>,
    /// `Event`s.
    pub events: Vec<Event>,
}

impl Content {
    /// A content with only its two mandatory fields.
    pub fn new(description_level: DescriptionLevel, title: impl Into<String>) -> Self {
        Self {
            description_level,
            title: title.into(),
            originating_system_id: None,
            originating_agency_archive_unit_identifier: None,
            description: None,
            document_type: None,
            language: None,
            description_language: None,
            keywords: Vec::new(),
            originating_agency: None,
            submission_agency: None,
            created_date: None,
            transacted_date: None,
            registered_date: None,
            start_date: None,
            end_date: None,
            events: Vec::new(),
        }
    }
}

/// `Keyword`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keyword {
    /// `KeywordContent`.
    pub content: String,
    /// `KeywordType`: `corpname`, `genreform`, `subject`, `geogname`…
    pub kind: Option<&'static str>,
}

/// `Event`: something that happened to the document (sealing, publication,
/// transmission to the prefecture).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// `EventIdentifier`.
    pub identifier: Option<String>,
    /// `EventTypeCode`.
    pub type_code: Option<String>,
    /// `EventType`: human label.
    pub event_type: Option<String>,
    /// `EventDateTime`.
    pub date_time: OffsetDateTime,
    /// `EventDetail`.
    pub detail: Option<String>,
    /// `Outcome`.
    pub outcome: Option<String>,
}
