//! Roles and permissions: the matrix of who may do what, in one table.
//!
//! A *permission* names an action on the API independently of any
//! collectivité ("seal an act"); a *role* grants a fixed set of them. Which
//! collectivités the action may concern is the caller's *scope*, decided
//! separately (see [`super::Caller`]).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// What a token holder is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Administrator of the instance: everything, every collectivité, tokens
    /// and the audit trail.
    Admin,
    /// Centre de gestion staff acting for a list of collectivités (or all of
    /// them): drafts and seals their acts.
    Gestionnaire,
    /// A commune's secrétaire de mairie: drafts and seals the acts of exactly
    /// one collectivité.
    Secretaire,
    /// An archivist: reads and exports the acts of the collectivités in scope
    /// (or all of them) and ingests archive replies; never writes acts.
    Archiviste,
    /// A collectivité retrieving its signed documents: sealed acts and their
    /// PDFs only, never drafts, never personal data in search.
    Lecteur,
}

/// An action on the API, independent of the collectivité it concerns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    /// List the act templates.
    ListTemplates,
    /// Search the acts in scope.
    Search,
    /// Read an act and its PDF (drafts only for roles that see drafts).
    ReadAct,
    /// Create a draft.
    CreateDraft,
    /// Seal a draft.
    Seal,
    /// Export acts (SEDA transfers).
    Export,
    /// Ingest archive replies (SEDA acknowledgements and acceptances).
    IngestReplies,
    /// Create, list and revoke API tokens.
    ManageTokens,
    /// Read the audit trail.
    ReadAudit,
    /// Check, record, run and cancel campaigns; save column mappings.
    RunCampaign,
    /// Read campaigns (status, deliveries, column mappings).
    ReadCampaign,
}

impl Permission {
    /// The audit action recorded when a request needing this permission
    /// succeeds; `None` for permissions that change nothing.
    pub fn audit_action(self) -> Option<&'static str> {
        match self {
            Self::CreateDraft => Some("act.create"),
            Self::Seal => Some("act.seal"),
            Self::Export => Some("act.export"),
            Self::IngestReplies => Some("reply.ingest"),
            Self::ManageTokens => Some("token.manage"),
            Self::RunCampaign => Some("campaign.run"),
            Self::ListTemplates | Self::Search | Self::ReadAct | Self::ReadAudit | Self::ReadCampaign => None,
        }
    }
}

impl Role {
    /// Every role, for tests and documentation.
    pub const ALL: [Role; 5] =
        [Self::Admin, Self::Gestionnaire, Self::Secretaire, Self::Archiviste, Self::Lecteur];

    /// The role's name, as written in tokens and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Gestionnaire => "gestionnaire",
            Self::Secretaire => "secretaire",
            Self::Archiviste => "archiviste",
            Self::Lecteur => "lecteur",
        }
    }

    /// The role's name for people, in French.
    pub fn label(self) -> &'static str {
        match self {
            Self::Admin => "administrateur",
            Self::Gestionnaire => "gestionnaire",
            Self::Secretaire => "secrétaire de mairie",
            Self::Archiviste => "archiviste",
            Self::Lecteur => "lecteur (collectivité)",
        }
    }

    /// The matrix: whether this role may perform `p` (within its scope).
    pub fn allows(self, p: Permission) -> bool {
        use Permission as P;
        match self {
            Self::Admin => true,
            // Campaigns are the CdG's business: not a secrétaire de mairie's.
            Self::Gestionnaire => matches!(
                p,
                P::ListTemplates
                    | P::Search
                    | P::ReadAct
                    | P::CreateDraft
                    | P::Seal
                    | P::RunCampaign
                    | P::ReadCampaign
            ),
            Self::Secretaire => {
                matches!(p, P::ListTemplates | P::Search | P::ReadAct | P::CreateDraft | P::Seal)
            }
            Self::Archiviste => {
                matches!(p, P::ListTemplates | P::Search | P::ReadAct | P::Export | P::IngestReplies)
            }
            Self::Lecteur => matches!(p, P::ListTemplates | P::Search | P::ReadAct),
        }
    }

    /// Whether the role sees drafts (a lecteur only sees sealed acts: for it a
    /// draft does not exist).
    pub fn sees_drafts(self) -> bool {
        self != Self::Lecteur
    }

    /// Whether the role may search by, and see in search hits, the agents
    /// named by individual acts (career acts carry personal data). Those who
    /// write the acts may; archivists and readers find acts by number, date,
    /// kind or words, without agents' names or matricules.
    pub fn personal_data(self) -> bool {
        matches!(self, Self::Admin | Self::Gestionnaire | Self::Secretaire)
    }

    /// How many collectivités a token of this role names: `(min, max)`;
    /// zero means "every collectivité".
    pub fn collectivites_allowed(self) -> (usize, usize) {
        match self {
            Self::Admin => (0, 0),
            Self::Gestionnaire | Self::Archiviste => (0, usize::MAX),
            Self::Secretaire | Self::Lecteur => (1, 1),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A string that names no role.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("rôle inconnu « {0} » (admin, gestionnaire, secretaire, archiviste ou lecteur)")]
pub struct UnknownRole(String);

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|r| r.as_str() == s).ok_or_else(|| UnknownRole(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_admins_manage_tokens_and_read_the_audit_trail() {
        for role in Role::ALL {
            let admin = role == Role::Admin;
            assert_eq!(role.allows(Permission::ManageTokens), admin, "{role}");
            assert_eq!(role.allows(Permission::ReadAudit), admin, "{role}");
        }
    }

    #[test]
    fn readers_and_archivists_never_write_acts() {
        for role in [Role::Lecteur, Role::Archiviste] {
            assert!(!role.allows(Permission::CreateDraft) && !role.allows(Permission::Seal));
            assert!(!role.personal_data());
        }
        assert!(!Role::Lecteur.sees_drafts());
    }

    #[test]
    fn only_admins_and_gestionnaires_run_campaigns() {
        for role in Role::ALL {
            let cdg = matches!(role, Role::Admin | Role::Gestionnaire);
            assert_eq!(role.allows(Permission::RunCampaign), cdg, "{role}");
            assert_eq!(role.allows(Permission::ReadCampaign), cdg, "{role}");
        }
    }

    #[test]
    fn role_names_round_trip() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        assert!("root".parse::<Role>().is_err());
    }
}
