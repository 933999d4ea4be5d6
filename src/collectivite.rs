//! Collectivités: the communes, EPCI and Centres de gestion an instance serves.
//!
//! A *profile* holds the collectivité-level facts every act repeats (name,
//! address, autorité territoriale, tribunal administratif, MPO convention and
//! mediator…), so that requests carry only what is specific to one act. The demo profiles are
//! built from `fixtures/collectivites.json` into the binary; an instance names
//! its own file with the `collectivites_file` setting.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::domain::{NumberFormat, Siren};

/// The demo collectivités (fictitious communes of Pas-de-Calais).
const DEMO: &str = include_str!("../fixtures/collectivites.json");

/// Who signs for the collectivité by default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Autorite {
    /// "Le Maire", "La Présidente"…
    pub qualite: String,
    /// Opening line of an arrêté: "Le Maire d'Aubrecourt-en-Artois".
    pub formule: String,
    /// "M." or "Mme".
    pub civilite: String,
    /// First name.
    pub prenom: String,
    /// Family name.
    pub nom: String,
}

/// The mediator of the médiation préalable obligatoire (MPO), usually the
/// Centre de gestion under its convention with the collectivité.
///
/// CJA R. 213-10: the notification of a decision within the scope of the MPO
/// gives the competent mediator's contact details; without them the délai de
/// recours contentieux does not run. Templates print every field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mediateur {
    /// Who receives the saisine: "Centre de gestion … — médiation préalable
    /// obligatoire".
    pub nom: String,
    /// Postal address (street).
    pub adresse: String,
    /// Postal code.
    pub code_postal: String,
    /// Town.
    pub ville: String,
    /// Email address of the mediation service.
    pub courriel: String,
    /// Telephone, as printed ("03 53 01 62 00").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub telephone: Option<String>,
}

impl Mediateur {
    /// The name of the first required field that is blank, or of a courriel
    /// that is not an address.
    fn faulty_field(&self) -> Option<&'static str> {
        let required = [
            ("nom", &self.nom),
            ("adresse", &self.adresse),
            ("code_postal", &self.code_postal),
            ("ville", &self.ville),
            ("courriel", &self.courriel),
        ];
        if let Some((name, _)) = required.iter().find(|(_, v)| v.trim().is_empty()) {
            return Some(name);
        }
        let at = self.courriel.split_once('@');
        if !at.is_some_and(|(user, host)| {
            !user.is_empty() && host.contains('.') && !self.courriel.contains(' ')
        }) {
            return Some("courriel");
        }
        if self.telephone.as_ref().is_some_and(|t| t.trim().is_empty()) {
            return Some("telephone");
        }
        None
    }
}

/// The facts about one collectivité that acts repeat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// SIREN of the collectivité.
    pub siren: Siren,
    /// Full name: "Commune d'Aubrecourt-en-Artois".
    pub nom: String,
    /// Town where acts are signed ("Fait à …").
    pub ville: String,
    /// "commune", "epci", "cdg", "ccas", "syndicat".
    #[serde(rename = "type")]
    pub kind: String,
    /// Street address of the seat.
    pub adresse: String,
    /// Postal code of the seat.
    pub code_postal: String,
    /// Département, as printed.
    pub departement: String,
    /// Population municipale (drives rules such as the note de synthèse at 3 500).
    pub population: u32,
    /// The autorité territoriale.
    pub autorite: Autorite,
    /// Who is charged with executing acts ("Le Directeur général des services").
    pub charge_execution: String,
    /// Comptable public receiving ampliations.
    pub comptable: String,
    /// Seat of the competent tribunal administratif.
    pub tribunal_administratif: String,
    /// Whether the collectivité signed the médiation préalable obligatoire
    /// convention with its CdG (changes the voies et délais de recours).
    pub convention_mpo: bool,
    /// The competent mediator for the MPO. Required to render an act whose
    /// voies de recours include the MPO clause (`convention_mpo` and a decision
    /// in the scope of décret 2022-433 art. 2): such an act is refused without
    /// it, since its délai de recours would not run.
    #[serde(default)]
    pub mediateur: Option<Mediateur>,
    /// Name of the Centre de gestion it is affiliated to.
    pub cdg: String,
    /// File name of its logo (SVG or PNG) in the logos directory, printed in
    /// the letterhead.
    #[serde(default)]
    pub logo: Option<String>,
    /// Shape of its act numbers (default `{AAAA}_{SERIE}_{N:5}`), see
    /// [`NumberFormat`].
    #[serde(default)]
    pub format_numero: NumberFormat,
}

/// Failure to load the profiles.
#[derive(Debug, thiserror::Error)]
pub enum CollectiviteError {
    /// The file could not be read.
    #[error("cannot read {path}")]
    Read {
        /// File that was named.
        path: String,
        /// Cause.
        source: std::io::Error,
    },
    /// The file is not a valid list of profiles.
    #[error("invalid collectivités file {path}")]
    Parse {
        /// File that was named.
        path: String,
        /// Cause.
        source: serde_json::Error,
    },
    /// A profile names a logo that is not in the logos directory.
    #[error("the logo {logo} of collectivité {siren} is not in the logos directory")]
    MissingLogo {
        /// The collectivité.
        siren: Siren,
        /// The file name.
        logo: String,
    },
    /// Two profiles share a SIREN.
    #[error("SIREN {0} appears twice in the collectivités file")]
    Duplicate(Siren),
    /// A field of a profile's mediator is blank (or the courriel is not an
    /// address): acts would print it as the contact the law requires.
    #[error("the mediator of collectivité {siren} has a blank or invalid `{field}`")]
    BadMediateur {
        /// The collectivité.
        siren: Siren,
        /// The field of `mediateur`.
        field: &'static str,
    },
}

/// All profiles, by SIREN.
#[derive(Debug, Clone)]
pub struct Collectivites(BTreeMap<Siren, Profile>);

impl Collectivites {
    /// The demo profiles built into the binary.
    pub fn demo() -> Result<Self, CollectiviteError> {
        Self::parse(DEMO, "fixtures/collectivites.json")
    }

    /// Profiles from `path`, or the demo ones when `path` is `None`.
    pub fn load(path: Option<&Path>) -> Result<Self, CollectiviteError> {
        let Some(path) = path else { return Self::demo() };
        let text = std::fs::read_to_string(path)
            .map_err(|source| CollectiviteError::Read { path: path.display().to_string(), source })?;
        Self::parse(&text, &path.display().to_string())
    }

    fn parse(text: &str, origin: &str) -> Result<Self, CollectiviteError> {
        let list: Vec<Profile> = serde_json::from_str(text)
            .map_err(|source| CollectiviteError::Parse { path: origin.to_owned(), source })?;
        let mut map = BTreeMap::new();
        for p in list {
            if let Some(field) = p.mediateur.as_ref().and_then(Mediateur::faulty_field) {
                return Err(CollectiviteError::BadMediateur { siren: p.siren.clone(), field });
            }
            if p.convention_mpo && p.mediateur.is_none() {
                // Not fatal: only the acts within the MPO's scope need it, and
                // they are refused by name (`collectivite_profile_incomplete`).
                tracing::warn!(
                    siren = %p.siren,
                    "collectivité with an MPO convention but no `mediateur`: its acts within the \
                     scope of the médiation préalable obligatoire will be refused"
                );
            }
            let siren = p.siren.clone();
            if map.insert(siren.clone(), p).is_some() {
                return Err(CollectiviteError::Duplicate(siren));
            }
        }
        Ok(Self(map))
    }

    /// Check that every logo named by a profile is in `logos` (keyed `/<file>`)
    /// and is a plain file name, so templates never build another path.
    pub fn check_logos(&self, logos: &crate::assets::FileTree) -> Result<(), CollectiviteError> {
        for p in self.0.values() {
            let Some(logo) = &p.logo else { continue };
            let plain = !logo.contains('/') && (logo.ends_with(".svg") || logo.ends_with(".png"));
            if !plain || logos.get(&format!("/{logo}")).is_none() {
                return Err(CollectiviteError::MissingLogo { siren: p.siren.clone(), logo: logo.clone() });
            }
        }
        Ok(())
    }

    /// The profile of `siren`, if this instance serves it.
    pub fn get(&self, siren: &Siren) -> Option<&Profile> {
        self.0.get(siren)
    }

    /// Every profile, ordered by SIREN.
    pub fn iter(&self) -> impl Iterator<Item = &Profile> {
        self.0.values()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_profiles_load_and_are_fictitious_pas_de_calais_communes() {
        let c = Collectivites::demo().unwrap();
        assert!(c.iter().count() >= 3);
        assert!(c.iter().all(|p| p.departement.contains("62")));
        c.check_logos(&crate::assets::FileTree::builtin_logos()).unwrap();
        assert!(c.iter().any(|p| p.logo.is_some()) && c.iter().any(|p| p.logo.is_none()));
    }

    #[test]
    fn every_demo_collectivite_with_an_mpo_convention_names_its_mediator() {
        let c = Collectivites::demo().unwrap();
        assert!(c.iter().any(|p| p.convention_mpo));
        for p in c.iter().filter(|p| p.convention_mpo) {
            let m = p.mediateur.as_ref().unwrap_or_else(|| panic!("{} has no mediator", p.nom));
            assert_eq!(m.faulty_field(), None, "{}", p.nom);
        }
    }

    #[test]
    fn a_mediator_with_a_blank_field_or_no_email_address_is_refused_at_load() {
        let demo: serde_json::Value = serde_json::from_str(DEMO).unwrap();
        for (field, value) in
            [("adresse", " "), ("courriel", "mediation.cdg-demo.example"), ("telephone", "")]
        {
            let mut list = demo.clone();
            let profile =
                list.as_array_mut().unwrap().iter_mut().find(|p| p["mediateur"].is_object()).unwrap();
            profile["mediateur"][field] = serde_json::Value::String(value.into());
            let text = list.to_string();
            match Collectivites::parse(&text, "test") {
                Err(CollectiviteError::BadMediateur { field: f, .. }) => assert_eq!(f, field),
                other => panic!("{field}: {other:?}"),
            }
        }
    }

    #[test]
    fn a_logo_outside_the_logos_directory_is_refused() {
        let mut c = Collectivites::demo().unwrap();
        let first = c.0.values_mut().next().unwrap();
        first.logo = Some("../../etc/passwd.svg".into());
        assert!(matches!(
            c.check_logos(&crate::assets::FileTree::builtin_logos()),
            Err(CollectiviteError::MissingLogo { .. })
        ));
    }
}
