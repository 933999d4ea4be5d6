//! The archiving configuration: which SAE profile, which management rules,
//! and how the archive knows each collectivité.
//!
//! It is one JSON file named by the `archive_file` setting:
//!
//! ```json
//! { "profile": "vitam",
//!   "rules": { "kinds": [ … ] },
//!   "max_acknowledgements": 16,
//!   "max_quarantined": 100,
//!   "collectivites": { "216295105": { "profile": "asalae", "agencies": { … } } } }
//! ```
//!
//! Every member is optional. Without `rules`, the built-in rules
//! (`fixtures/seda-rules.json`) apply; a collectivité without `agencies` gets
//! *placeholder agencies* (agreement `ACTA-<SIREN>`, archival agency `SAE`,
//! transferring and originating agency = its SIREN and name), good for trying
//! acta, to be replaced by the identifiers the archives service gives.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::collectivite::Profile as Collectivite;
use crate::seda::{Agencies, Agency, ManagementRules, Profile};

/// The built-in management rules.
const DEFAULT_RULES: &str = include_str!("../../../fixtures/seda-rules.json");

/// Acknowledgements kept per transfer when the file does not say.
pub const DEFAULT_MAX_ACKNOWLEDGEMENTS: usize = 16;
/// The largest `max_acknowledgements` accepted.
const MAX_ACKNOWLEDGEMENTS_LIMIT: usize = 1000;
/// Replies waiting in quarantine at most, when the file does not say.
pub const DEFAULT_MAX_QUARANTINED: usize = 100;
/// The largest `max_quarantined` accepted.
const MAX_QUARANTINED_LIMIT: usize = 10_000;

/// The archiving configuration, loaded once at start-up.
#[derive(Debug, Clone)]
pub struct ArchiveConfig {
    profile: Profile,
    max_acknowledgements: usize,
    max_quarantined: usize,
    rules: ManagementRules,
    collectivites: BTreeMap<String, CollectiviteArchive>,
}

/// What the archive knows of one collectivité.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CollectiviteArchive {
    /// Its SAE, if not the instance's default.
    #[serde(default)]
    pub profile: Option<Profile>,
    /// Its agreement and agencies; placeholders when absent.
    #[serde(default)]
    pub agencies: Option<Agencies>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    profile: Option<Profile>,
    #[serde(default)]
    rules: Option<ManagementRules>,
    #[serde(default)]
    max_acknowledgements: Option<usize>,
    #[serde(default)]
    max_quarantined: Option<usize>,
    #[serde(default)]
    collectivites: BTreeMap<String, CollectiviteArchive>,
}

/// The archiving configuration file is unusable.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveConfigError {
    /// It cannot be read.
    #[error("cannot read the archiving configuration {path}")]
    Read {
        /// The file.
        path: String,
        /// Cause.
        source: std::io::Error,
    },
    /// It is not valid.
    #[error("invalid archiving configuration {path}: {message}")]
    Invalid {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
}

impl ArchiveConfig {
    /// The file at `path`, or the defaults when `None`.
    pub fn load(path: Option<&Path>) -> Result<Self, ArchiveConfigError> {
        let Some(path) = path else { return Ok(Self::builtin()) };
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|source| ArchiveConfigError::Read { path: shown.clone(), source })?;
        let file: File = serde_json::from_str(&text)
            .map_err(|e| ArchiveConfigError::Invalid { path: shown.clone(), message: e.to_string() })?;
        let rules = match file.rules {
            Some(rules) => {
                if rules.personal.is_none() {
                    tracing::warn!(path = %shown, "the archiving rules have no `personal` access rule: \
                        agents' career acts get their kind's access rule only");
                }
                rules
            }
            None => Self::builtin().rules,
        };
        let max_acknowledgements = file.max_acknowledgements.unwrap_or(DEFAULT_MAX_ACKNOWLEDGEMENTS);
        if !(1..=MAX_ACKNOWLEDGEMENTS_LIMIT).contains(&max_acknowledgements) {
            return Err(ArchiveConfigError::Invalid {
                path: shown,
                message: format!("max_acknowledgements must be between 1 and {MAX_ACKNOWLEDGEMENTS_LIMIT}"),
            });
        }
        let max_quarantined = file.max_quarantined.unwrap_or(DEFAULT_MAX_QUARANTINED);
        if !(1..=MAX_QUARANTINED_LIMIT).contains(&max_quarantined) {
            return Err(ArchiveConfigError::Invalid {
                path: shown,
                message: format!("max_quarantined must be between 1 and {MAX_QUARANTINED_LIMIT}"),
            });
        }
        Ok(Self {
            profile: file.profile.unwrap_or(Profile::Vitam),
            max_acknowledgements,
            max_quarantined,
            rules,
            collectivites: file.collectivites,
        })
    }

    /// The defaults: Vitam, built-in rules, placeholder agencies.
    pub fn builtin() -> Self {
        Self {
            profile: Profile::Vitam,
            max_acknowledgements: DEFAULT_MAX_ACKNOWLEDGEMENTS,
            max_quarantined: DEFAULT_MAX_QUARANTINED,
            rules: ManagementRules::from_json(DEFAULT_RULES).expect("the built-in rules are valid"),
            collectivites: BTreeMap::new(),
        }
    }

    /// How many acknowledgements a transfer keeps at most.
    pub fn max_acknowledgements(&self) -> usize {
        self.max_acknowledgements
    }

    /// How many refused replies may wait in quarantine at most.
    pub fn max_quarantined(&self) -> usize {
        self.max_quarantined
    }

    /// The management rules.
    pub fn rules(&self) -> &ManagementRules {
        &self.rules
    }

    /// The SAE profile of `collectivite`.
    pub fn profile(&self, collectivite: &Collectivite) -> Profile {
        self.collectivites.get(collectivite.siren.as_str()).and_then(|c| c.profile).unwrap_or(self.profile)
    }

    /// The agencies of `collectivite` (configured, or placeholders).
    pub fn agencies(&self, collectivite: &Collectivite) -> Agencies {
        if let Some(agencies) =
            self.collectivites.get(collectivite.siren.as_str()).and_then(|c| c.agencies.clone())
        {
            return agencies;
        }
        let own = Agency { identifier: collectivite.siren.to_string(), name: Some(collectivite.nom.clone()) };
        Agencies {
            archival_agreement: format!("ACTA-{}", collectivite.siren),
            archival_profile: None,
            archival_agency: Agency {
                identifier: "SAE".into(),
                name: Some(format!("Service d'archives de {}", collectivite.nom)),
            },
            transferring_agency: own.clone(),
            originating_agency: own,
            submission_agency: None,
        }
    }
}
