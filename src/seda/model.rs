//! The typed SEDA 2.2 `ArchiveTransfer` message: the *manifest* (bordereau) of a SIP.
//!
//! Each struct is one XSD complex type and lists its fields in the order of the
//! XSD sequence (see `ELEMENT-TREE.txt` in the SEDA reference): [`super::manifest`]
//! writes them in that order. Only the elements acta emits are modelled; every
//! optional element is an `Option` or a `Vec` and is omitted when empty
//! (`NonEmptyTokenType` forbids empty elements). Descriptive units live in
//! [`super::units`].
//!
//! Terms: a *data object group* (`DataObjectGroup`) is one intellectual document;
//! it holds its *binary data objects* (files), exactly one of which is the
//! `BinaryMaster_1` version. An *archive unit* (`ArchiveUnit`) describes a
//! document or a file of documents and points to groups by IDREF.

use std::collections::BTreeMap;

use time::OffsetDateTime;

use super::XmlId;
use super::units::{ArchiveUnit, Management};

/// SEDA 2.2 namespace (default namespace of every element we write).
pub const SEDA_NAMESPACE: &str = "fr:gouv:culture:archivesdefrance:seda:v2.2";
/// Namespace of `Name` inside `OrganizationDescriptiveMetadata` (which only admits
/// foreign elements); the one As@lae and Pastell use.
pub const SEDA_1_NAMESPACE: &str = "fr:gouv:culture:archivesdefrance:seda:v1.0";

/// Root of the manifest.
#[derive(Debug, Clone, PartialEq)]
pub struct ArchiveTransfer {
    /// Human label of the transfer.
    pub comment: Option<String>,
    /// When the message was produced (`xs:dateTime`).
    pub date: OffsetDateTime,
    /// Our identifier of the transfer; replies refer to it.
    pub message_identifier: String,
    /// Ingest contract (Vitam) or *accord de versement* (As@lae).
    pub archival_agreement: Option<String>,
    /// Versions of the code lists used (may be empty).
    pub code_list_versions: CodeListVersions,
    /// Objects, descriptions and management data.
    pub package: DataObjectPackage,
    /// The archive service receiving the transfer.
    pub archival_agency: Organization,
    /// The service sending it.
    pub transferring_agency: Organization,
}

/// A code list named in `CodeListVersions`, in XSD order (the derived `Ord`
/// is the order of the elements).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum CodeList {
    /// `ReplyCodeListVersion`.
    Reply,
    /// `MessageDigestAlgorithmCodeListVersion`.
    MessageDigestAlgorithm,
    /// `MimeTypeCodeListVersion`.
    MimeType,
    /// `EncodingCodeListVersion`.
    Encoding,
    /// `FileFormatCodeListVersion`.
    FileFormat,
    /// `CompressionAlgorithmCodeListVersion`.
    CompressionAlgorithm,
    /// `DataObjectVersionCodeListVersion`.
    DataObjectVersion,
    /// `StorageRuleCodeListVersion`.
    StorageRule,
    /// `AppraisalRuleCodeListVersion`.
    AppraisalRule,
    /// `AccessRuleCodeListVersion`.
    AccessRule,
    /// `DisseminationRuleCodeListVersion`.
    DisseminationRule,
    /// `ReuseRuleCodeListVersion`.
    ReuseRule,
    /// `ClassificationRuleCodeListVersion`.
    ClassificationRule,
    /// `AcquisitionInformationCodeListVersion`.
    AcquisitionInformation,
    /// `AuthorizationReasonCodeListVersion`.
    AuthorizationReason,
    /// `RelationshipCodeListVersion`.
    Relationship,
}

impl CodeList {
    /// Element name.
    pub fn element(self) -> &'static str {
        match self {
            CodeList::Reply => "ReplyCodeListVersion",
            CodeList::MessageDigestAlgorithm => "MessageDigestAlgorithmCodeListVersion",
            CodeList::MimeType => "MimeTypeCodeListVersion",
            CodeList::Encoding => "EncodingCodeListVersion",
            CodeList::FileFormat => "FileFormatCodeListVersion",
            CodeList::CompressionAlgorithm => "CompressionAlgorithmCodeListVersion",
            CodeList::DataObjectVersion => "DataObjectVersionCodeListVersion",
            CodeList::StorageRule => "StorageRuleCodeListVersion",
            CodeList::AppraisalRule => "AppraisalRuleCodeListVersion",
            CodeList::AccessRule => "AccessRuleCodeListVersion",
            CodeList::DisseminationRule => "DisseminationRuleCodeListVersion",
            CodeList::ReuseRule => "ReuseRuleCodeListVersion",
            CodeList::ClassificationRule => "ClassificationRuleCodeListVersion",
            CodeList::AcquisitionInformation => "AcquisitionInformationCodeListVersion",
            CodeList::AuthorizationReason => "AuthorizationReasonCodeListVersion",
            CodeList::Relationship => "RelationshipCodeListVersion",
        }
    }
}

/// `CodeListVersions`: which version of each code list the message uses.
/// Written in XSD order whatever the insertion order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CodeListVersions(pub BTreeMap<CodeList, String>);

impl CodeListVersions {
    /// The lists acta's manifests use, with the placeholder versions Vitam's
    /// and Pastell's samples carry (`PRONOM` for formats).
    pub fn acta_default() -> Self {
        let mut map = BTreeMap::new();
        for list in [
            CodeList::Reply,
            CodeList::MessageDigestAlgorithm,
            CodeList::MimeType,
            CodeList::FileFormat,
            CodeList::DataObjectVersion,
            CodeList::AppraisalRule,
            CodeList::AccessRule,
        ] {
            let version = if list == CodeList::FileFormat {
                "PRONOM".to_owned()
            } else {
                format!("{}0", list.element())
            };
            map.insert(list, version);
        }
        Self(map)
    }
}

/// An organisation: `Identifier` plus an optional name, written as
/// `OrganizationDescriptiveMetadata/Name` in the SEDA 1.0 namespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organization {
    /// Identifier in the archive system's agencies referential.
    pub identifier: String,
    /// Human name.
    pub name: Option<String>,
}

/// `DataObjectPackage`: groups first, then descriptions, then management data.
#[derive(Debug, Clone, PartialEq)]
pub struct DataObjectPackage {
    /// One group per document.
    pub groups: Vec<DataObjectGroup>,
    /// Top-level archive units (`DescriptiveMetadata`).
    pub units: Vec<ArchiveUnit>,
    /// `ManagementMetadata`.
    pub management: ManagementMetadata,
}

/// `DataObjectGroup`: the versions of one document.
#[derive(Debug, Clone, PartialEq)]
pub struct DataObjectGroup {
    /// `id` (referenced by `DataObjectGroupReferenceId`).
    pub id: XmlId,
    /// Its files.
    pub objects: Vec<BinaryDataObject>,
}

/// `BinaryDataObject`: one file of the SIP.
#[derive(Debug, Clone, PartialEq)]
pub struct BinaryDataObject {
    /// `id`.
    pub id: XmlId,
    /// `DataObjectVersion`, e.g. `BinaryMaster_1`.
    pub version: String,
    /// `Uri`: the zip entry name (`content/…`).
    pub uri: String,
    /// `MessageDigest`.
    pub digest: MessageDigest,
    /// `Size` in bytes (positive).
    pub size: u64,
    /// `FormatIdentification`.
    pub format: FormatIdentification,
    /// `FileInfo`.
    pub file_info: FileInfo,
}

/// `MessageDigest`: lowercase hex value and the algorithm label the target expects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageDigest {
    /// `@algorithm`, e.g. `SHA-512` or `http://www.w3.org/2001/04/xmlenc#sha512`.
    pub algorithm: String,
    /// Lowercase hexadecimal digest.
    pub value: String,
}

/// `FormatIdentification`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormatIdentification {
    /// `FormatLitteral`: human name of the format.
    pub literal: String,
    /// `MimeType`.
    pub mime_type: String,
    /// `FormatId`: PRONOM id (`fmt/477` = PDF/A-2b, `fmt/817` = JSON).
    pub format_id: String,
}

/// `FileInfo`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileInfo {
    /// `Filename`: the human file name (accents allowed).
    pub filename: String,
    /// `CreatingApplicationName`.
    pub creating_application_name: Option<String>,
    /// `CreatingApplicationVersion`.
    pub creating_application_version: Option<String>,
    /// `DateCreatedByApplication` (`xs:dateTime`).
    pub date_created_by_application: Option<OffsetDateTime>,
    /// `LastModified` (`xs:dateTime`).
    pub last_modified: Option<OffsetDateTime>,
}

/// `ManagementMetadata`: transfer-wide management data.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ManagementMetadata {
    /// `ArchivalProfile` the manifest claims to follow.
    pub archival_profile: Option<String>,
    /// `AcquisitionInformation`, e.g. `Versement`.
    pub acquisition_information: Option<String>,
    /// `LegalStatus`: `Public Archive`, `Private Archive` or `Public and Private Archive`.
    pub legal_status: Option<String>,
    /// `OriginatingAgencyIdentifier` (Vitam requires it).
    pub originating_agency_identifier: Option<String>,
    /// `SubmissionAgencyIdentifier`.
    pub submission_agency_identifier: Option<String>,
    /// Default rules for every unit.
    pub rules: Option<Management>,
}
