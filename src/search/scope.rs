//! What a caller may see: the access rules of search.
//!
//! A [`Scope`] is decided by whoever authenticated the caller (the HTTP API
//! builds it from the caller's token, see `crate::auth::Caller::scope`; the
//! CLI uses [`Scope::all`] or the `--scope` it is given) and is enforced *inside* the query: the query builder ANDs it into
//! every query, and the same query drives the hit list, the total and every
//! facet count. Nothing is filtered afterwards, so no count can reveal an act
//! outside the scope.

use std::collections::BTreeSet;

use crate::domain::Siren;

/// The collectivités whose acts a caller may see, whether they may see
/// personal data (the agent of individual acts) and whether they see drafts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    collectivites: Collectivites,
    personal_data: bool,
    drafts: bool,
}

/// Which collectivités a scope covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Collectivites {
    /// Every collectivité (a Centre de gestion's archivist, an administrator).
    All,
    /// Only these (a commune's secrétaire de mairie). Empty sees nothing.
    Only(BTreeSet<Siren>),
}

impl Scope {
    /// Everything, personal data included.
    pub fn all() -> Self {
        Self { collectivites: Collectivites::All, personal_data: true, drafts: true }
    }

    /// Only the acts of `sirens`; `personal_data` says whether agents' names
    /// and matricules may be searched and returned.
    pub fn only(sirens: impl IntoIterator<Item = Siren>, personal_data: bool) -> Self {
        Self { collectivites: Collectivites::Only(sirens.into_iter().collect()), personal_data, drafts: true }
    }

    /// The same scope without personal data.
    #[must_use]
    pub fn without_personal_data(self) -> Self {
        Self { personal_data: false, ..self }
    }

    /// The same scope limited to sealed acts (for callers to whom drafts do
    /// not exist: hits, totals and facets then count sealed acts only).
    #[must_use]
    pub fn sealed_only(self) -> Self {
        Self { drafts: false, ..self }
    }

    /// The collectivités covered.
    pub fn collectivites(&self) -> &Collectivites {
        &self.collectivites
    }

    /// Whether personal data may be searched and returned.
    pub fn personal_data(&self) -> bool {
        self.personal_data
    }

    /// Whether drafts may be found.
    pub fn drafts(&self) -> bool {
        self.drafts
    }
}
