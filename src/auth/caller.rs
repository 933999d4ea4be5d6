//! The authenticated caller of a request, and what it may see.

use crate::domain::Siren;
use crate::search::{Collectivites, Scope};

use super::role::{Permission, Role};
use super::token::TokenId;
use super::users::Login;

/// Who is behind a request: an API token, or a person logged in to the web
/// application (whatever the way they proved who they are).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// The token presented (never its secret).
    Token(TokenId),
    /// The account of a web session.
    User(Login),
}

/// Who sends a request: a token or an account, its role and the
/// collectivités it acts for. The API's token gate and the web's session
/// gate both produce one, and the same policy ([`Caller::allows`],
/// [`Caller::sees_act`], [`Caller::scope`]) then decides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The token or account.
    pub principal: Principal,
    /// The role.
    pub role: Role,
    collectivites: Collectivites,
}

impl Caller {
    /// A token's caller with a role and collectivités (an administrator
    /// always has every collectivité, whatever `collectivites` says).
    pub fn new(token_id: TokenId, role: Role, collectivites: Collectivites) -> Self {
        Self::of(Principal::Token(token_id), role, collectivites)
    }

    /// An account's caller (see [`Caller::new`]).
    pub fn for_user(login: Login, role: Role, collectivites: Collectivites) -> Self {
        Self::of(Principal::User(login), role, collectivites)
    }

    fn of(principal: Principal, role: Role, collectivites: Collectivites) -> Self {
        let collectivites = if role == Role::Admin { Collectivites::All } else { collectivites };
        Self { principal, role, collectivites }
    }

    /// The token, for a token's caller.
    pub fn token_id(&self) -> Option<&TokenId> {
        match &self.principal {
            Principal::Token(id) => Some(id),
            Principal::User(_) => None,
        }
    }

    /// The account, for a web session's caller.
    pub fn user(&self) -> Option<&Login> {
        match &self.principal {
            Principal::User(login) => Some(login),
            Principal::Token(_) => None,
        }
    }

    /// The collectivités the caller acts for.
    pub fn collectivites(&self) -> &Collectivites {
        &self.collectivites
    }

    /// Whether the role grants `p` (on the collectivités in scope).
    pub fn allows(&self, p: Permission) -> bool {
        self.role.allows(p)
    }

    /// Whether the caller acts for `siren`.
    pub fn acts_for(&self, siren: &Siren) -> bool {
        match &self.collectivites {
            Collectivites::All => true,
            Collectivites::Only(set) => set.contains(siren),
        }
    }

    /// Whether the caller may know that an act of `owner` exists: in scope,
    /// and sealed unless the role sees drafts.
    pub fn sees_act(&self, owner: &Siren, sealed: bool) -> bool {
        self.acts_for(owner) && (sealed || self.role.sees_drafts())
    }

    /// What the caller may find by search: its collectivités, with personal
    /// data only if its role allows, drafts only if its role sees them.
    pub fn scope(&self) -> Scope {
        let scope = match &self.collectivites {
            Collectivites::All => Scope::all(),
            Collectivites::Only(set) => Scope::only(set.iter().cloned(), true),
        };
        let scope = if self.role.personal_data() { scope } else { scope.without_personal_data() };
        if self.role.sees_drafts() { scope } else { scope.sealed_only() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn siren(s: &str) -> Siren {
        s.parse().unwrap()
    }

    fn caller(role: Role, sirens: &[&str]) -> Caller {
        let only = Collectivites::Only(sirens.iter().map(|s| siren(s)).collect());
        Caller::new("0123456789abcdef".parse().unwrap(), role, only)
    }

    #[test]
    fn a_secretaire_sees_her_commune_only_and_a_lecteur_no_drafts() {
        let s = caller(Role::Secretaire, &["216295105"]);
        assert!(s.sees_act(&siren("216295105"), false));
        assert!(!s.sees_act(&siren("216296202"), true));
        let l = caller(Role::Lecteur, &["216295105"]);
        assert!(l.sees_act(&siren("216295105"), true));
        assert!(!l.sees_act(&siren("216295105"), false));
        assert!(!l.scope().personal_data() && !l.scope().drafts());
    }

    #[test]
    fn an_administrator_sees_everything_whatever_its_list() {
        let a = caller(Role::Admin, &["216295105"]);
        assert!(a.acts_for(&siren("216296202")));
        assert_eq!(a.scope(), Scope::all());
    }
}
