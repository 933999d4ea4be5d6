//! Who may do what: roles, API tokens, callers and the audit trail.
//!
//! Terms used throughout:
//! - a *token* (`acta_<id>_<secret>`, see [`token`]) is what an API client
//!   presents as `Authorization: Bearer …`. Tokens are created by
//!   `acta tokens create` or an administrator, shown once, stored only as
//!   hashes in the object store ([`Tokens`]), expire, and can be revoked;
//! - a *role* ([`Role`]) grants a fixed set of *permissions* ([`Permission`]);
//! - the *scope* of a token is the collectivités it acts for: every one for an
//!   administrator (and for a gestionnaire or archiviste created without a
//!   list), exactly one for a secrétaire or a lecteur;
//! - an *account* ([`users`]) is a person who logs in to the web application
//!   with a login and a password ([`password`], Argon2id); it has a role and a
//!   scope exactly like a token; failed logins are throttled ([`throttle`]);
//! - the *caller* ([`Caller`]) of a request is the token or account
//!   ([`Principal`]), its role and scope. It also gives the search
//!   [`crate::search::Scope`].
//!
//! Deciding, for each route, what a caller may do is the job of the HTTP layer's
//! one access gate (`crate::http::access`), which uses these types; every
//! state-changing action it lets through is written to the [`audit`] trail.

pub mod audit;
mod caller;
pub mod password;
mod role;
pub mod throttle;
pub mod token;
mod tokens;
pub mod users;

pub use audit::{AuditEntry, AuditLog, AuditQuery};
pub use caller::{Caller, Principal};
pub use password::{Password, PasswordHash};
pub use role::{Permission, Role, UnknownRole};
pub use token::{PlainToken, TokenId};
pub use tokens::{MAX_LIFETIME_DAYS, MAX_REVOCATION_RECHECK, TokenInfo, TokenRecord, TokenRequest, Tokens};
pub use users::{Login, NewUser, UserError, UserRecord, Users};

use crate::store::StoreError;

/// Authentication or token management failed.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    // ---- the caller's fault ----
    /// No `Authorization: Bearer` header.
    #[error("no token")]
    MissingToken,
    /// The token is malformed, unknown, or its secret does not match.
    #[error("invalid token")]
    InvalidToken,
    /// The token has expired.
    #[error("expired token")]
    Expired,
    /// The token has been revoked.
    #[error("revoked token")]
    Revoked,
    /// A token request cannot be honoured (French reason).
    #[error("invalid token request: {0}")]
    InvalidRequest(String),
    /// No token with this id.
    #[error("unknown token {0}")]
    UnknownToken(String),

    // ---- ours ----
    /// The operating system's random source failed.
    #[error("random source failed: {0}")]
    Random(String),
    /// The object store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A stored record is unreadable.
    #[error("corrupt auth record: {0}")]
    Corrupt(String),
}
