//! Target archive systems and the collectivité's archival identity.
//!
//! A *profile* ([`Profile`]) is the family of archive system (SAE) a SIP is
//! meant for; it decides conventions the XSD leaves open, such as the digest
//! algorithm label. The *agencies* ([`Agencies`]) are the identifiers the SAE
//! knows the collectivité by: its agreement (Vitam ingest contract or As@lae
//! *accord de versement*), the archival, transferring and originating agencies.
//! Both come from configuration.

use serde::{Deserialize, Serialize};

use super::model::Organization;

/// The archive system a SIP is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    /// Programme Vitam: digest label `SHA-512`.
    Vitam,
    /// Libriciel As@lae (and SESAM): XML-Enc digest URI.
    Asalae,
}

impl Profile {
    /// `MessageDigest@algorithm` for SHA-512 digests.
    pub fn digest_algorithm(self) -> &'static str {
        match self {
            Profile::Vitam => "SHA-512",
            Profile::Asalae => "http://www.w3.org/2001/04/xmlenc#sha512",
        }
    }
}

/// One agency: its id in the SAE's referential and an optional name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Agency {
    /// Identifier (e.g. `FRAD062`, `EXV-219999999`).
    pub identifier: String,
    /// Human name (written in `OrganizationDescriptiveMetadata`).
    #[serde(default)]
    pub name: Option<String>,
}

impl From<&Agency> for Organization {
    fn from(a: &Agency) -> Self {
        Organization { identifier: a.identifier.clone(), name: a.name.clone() }
    }
}

/// The collectivité's archival identity for one SAE.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Agencies {
    /// `ArchivalAgreement`: ingest contract / accord de versement id.
    pub archival_agreement: String,
    /// `ArchivalProfile`, if the agreement names one.
    #[serde(default)]
    pub archival_profile: Option<String>,
    /// `ArchivalAgency` (the archives service).
    pub archival_agency: Agency,
    /// `TransferringAgency` (who sends).
    pub transferring_agency: Agency,
    /// `OriginatingAgency` (who produced the acts).
    pub originating_agency: Agency,
    /// `SubmissionAgency`, if different from the transferring agency.
    #[serde(default)]
    pub submission_agency: Option<Agency>,
}
