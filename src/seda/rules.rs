//! Management rules per act kind, from a JSON configuration file.
//!
//! The file (`fixtures/seda-rules.json` is an example) is an ordered list of
//! *kinds*. Each kind has a `when` filter (template id, @ctes nature, matière
//! prefix; an empty filter matches every act) and the rules its acts get: an
//! appraisal rule (the rule id that stands for the DUA in the SAE's referential,
//! and the final action) and an access rule (e.g. `AR038` public at once,
//! `AR048` 50 years for personnel individual acts). The first kind whose filter
//! matches an act wins; an act no kind matches is an error, never a default.
//! An optional `personal` access rule overrides the kind's for every act
//! about a named person (an agent's career act), so that a kind filter
//! written too broadly can never make a personnel file communicable.
//! Rule ids are keys of the target SAE's referential: an unknown id is a KO.

use std::path::Path;

use serde::{Deserialize, Serialize};
use time::Date;

use super::SedaError;
use super::input::ArchivedAct;
use super::units::{AccessRule, AppraisalRule, FinalAction, Management};

/// The whole rules file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManagementRules {
    /// Kinds, tried in order.
    pub kinds: Vec<ActKind>,
    /// The access rule of every act about a named person
    /// ([`ArchivedAct::personal`]), whatever kind it matches: e.g. `AR048`,
    /// 50 years (code du patrimoine, art. L. 213-2, I, 3°).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub personal: Option<AccessSpec>,
    /// The access rule of every act that may reveal a person's health
    /// ([`ArchivedAct::medical`]), over `personal`: e.g. `AR061`, 120 years
    /// (code du patrimoine, art. L. 213-2, I, 2°: 25 years after the death,
    /// 120 years after the birth when the death is not known — acta knows
    /// neither date, and a rule started at the act's date ends later than one
    /// started at the birth).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub medical: Option<AccessSpec>,
}

/// One kind of act and its rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActKind {
    /// Human name, e.g. "Actes individuels relatifs au personnel".
    pub name: String,
    /// Which acts belong to it.
    #[serde(default)]
    pub when: KindFilter,
    /// Retention.
    pub appraisal: AppraisalSpec,
    /// Communicability.
    pub access: AccessSpec,
}

/// Conditions that must all hold; absent ones are ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KindFilter {
    /// Exact template ids.
    #[serde(default)]
    pub templates: Vec<String>,
    /// @ctes nature codes.
    #[serde(default)]
    pub natures: Vec<u8>,
    /// @ctes matière prefixes (`"4"` matches `4.1` and `4.2`).
    #[serde(default)]
    pub matieres: Vec<String>,
}

/// An appraisal rule as configured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppraisalSpec {
    /// Rule id in the SAE's referential (e.g. `APP-00001`, `APP10Y`).
    pub rule: String,
    /// The DUA that rule stands for, for humans (`P10Y`); not written.
    #[serde(default)]
    pub duration: Option<String>,
    /// `Keep` or `Destroy`.
    pub final_action: FinalAction,
}

/// An access rule as configured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessSpec {
    /// Rule id in the SAE's referential (e.g. `AR038`, `ACC-00001`).
    pub rule: String,
    /// The communicability delay that rule stands for, for humans (`P50Y`);
    /// not written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<String>,
}

impl KindFilter {
    /// Whether `act` belongs to this kind.
    pub fn matches(&self, act: &ArchivedAct) -> bool {
        (self.templates.is_empty() || self.templates.contains(&act.template))
            && (self.natures.is_empty() || self.natures.contains(&act.nature))
            && (self.matieres.is_empty() || self.matieres.iter().any(|m| matiere_has_prefix(&act.matiere, m)))
    }
}

/// `4.1` has prefixes `4` and `4.1`, not `4.10`'s `4.1`… only whole segments count.
fn matiere_has_prefix(matiere: &str, prefix: &str) -> bool {
    matiere == prefix || matiere.strip_prefix(prefix).is_some_and(|rest| rest.starts_with('.'))
}

impl ManagementRules {
    /// Parse and check a rules file's JSON text.
    pub fn from_json(text: &str) -> Result<Self, SedaError> {
        let rules: Self = serde_json::from_str(text).map_err(|e| SedaError::InvalidRules(e.to_string()))?;
        rules.check()?;
        Ok(rules)
    }

    /// Read and check a rules file.
    pub fn load(path: &Path) -> Result<Self, SedaError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| SedaError::InvalidRules(format!("{}: {e}", path.display())))?;
        Self::from_json(&text)
    }

    fn check(&self) -> Result<(), SedaError> {
        if self.kinds.is_empty() {
            return Err(SedaError::InvalidRules("aucune catégorie d'actes".into()));
        }
        let personal = (self.personal.iter().map(|p| ("personal", "personal.rule", &p.rule)))
            .chain(self.medical.iter().map(|p| ("medical", "medical.rule", &p.rule)));
        let kinds = self.kinds.iter().flat_map(|k| {
            [
                (k.name.as_str(), "appraisal.rule", &k.appraisal.rule),
                (k.name.as_str(), "access.rule", &k.access.rule),
            ]
        });
        for (name, what, id) in kinds.chain(personal) {
            if id.trim().is_empty() || id.chars().any(|c| c.is_whitespace() || c.is_control()) {
                return Err(SedaError::InvalidRules(format!("{name}: {what} {id:?} invalide")));
            }
        }
        Ok(())
    }

    /// The kind `act` belongs to.
    pub fn kind_of(&self, act: &ArchivedAct) -> Result<&ActKind, SedaError> {
        self.kinds.iter().find(|k| k.when.matches(act)).ok_or_else(|| SedaError::NoRuleForAct {
            number: act.number.to_string(),
            template: act.template.clone(),
            nature: act.nature,
            matiere: act.matiere.clone(),
        })
    }
}

impl ManagementRules {
    /// The rules `act` gets: its kind's, with the `personal` access rule
    /// instead of the kind's when the act is about a named person, and the
    /// `medical` one when it may reveal a person's health.
    pub fn rules_for(&self, act: &ArchivedAct) -> Result<ActKind, SedaError> {
        let mut kind = self.kind_of(act)?.clone();
        if let Some(personal) = self.personal.as_ref().filter(|_| act.personal) {
            kind.access = personal.clone();
        }
        if let Some(medical) = self.medical.as_ref().filter(|_| act.medical) {
            kind.access = medical.clone();
        }
        Ok(kind)
    }
}

impl ActKind {
    /// The unit-level `Management` for an act of this kind, rules starting on `start`.
    pub fn management(&self, start: Date) -> Management {
        Management {
            appraisal: Some(AppraisalRule {
                rule: self.appraisal.rule.clone(),
                start_date: Some(start),
                final_action: self.appraisal.final_action,
            }),
            access: Some(AccessRule { rule: self.access.rule.clone(), start_date: Some(start) }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_rules_file_loads_and_every_kind_is_reachable() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/seda-rules.json");
        let rules = ManagementRules::load(&path).unwrap();
        assert!(rules.kinds.len() >= 3);
        assert!(rules.kinds.last().unwrap().when == KindFilter::default(), "last kind is the catch-all");
    }

    #[test]
    fn matiere_prefixes_match_whole_segments() {
        assert!(matiere_has_prefix("4.1", "4"));
        assert!(matiere_has_prefix("4.1", "4.1"));
        assert!(!matiere_has_prefix("4.10", "4.1"));
        assert!(!matiere_has_prefix("41", "4"));
    }

    #[test]
    fn unknown_fields_and_blank_rule_ids_are_refused() {
        let bad = r#"{"kinds":[{"name":"x","appraisal":{"rule":"A","final_action":"Keep"},"access":{"rule":"B"},"extra":1}]}"#;
        assert!(matches!(ManagementRules::from_json(bad), Err(SedaError::InvalidRules(_))));
        let blank = r#"{"kinds":[{"name":"x","appraisal":{"rule":" ","final_action":"Keep"},"access":{"rule":"B"}}]}"#;
        assert!(matches!(ManagementRules::from_json(blank), Err(SedaError::InvalidRules(_))));
        let blank = r#"{"kinds":[{"name":"x","appraisal":{"rule":"A","final_action":"Keep"},"access":{"rule":"B"}}],"personal":{"rule":""}}"#;
        assert!(matches!(ManagementRules::from_json(blank), Err(SedaError::InvalidRules(_))));
        assert!(ManagementRules::from_json(r#"{"kinds":[]}"#).is_err());
    }
}
