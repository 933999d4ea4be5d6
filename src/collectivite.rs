//! Collectivités: the communes, EPCI and Centres de gestion an instance serves.
//!
//! A *profile* holds the collectivité-level facts every act repeats (name,
//! address, autorité territoriale, tribunal administratif, MPO convention…), so
//! that requests carry only what is specific to one act. The demo profiles are
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
