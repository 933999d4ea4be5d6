//! API tokens kept in the object store, so that every acta process sharing
//! the store (a server, the `acta tokens` command) sees the same tokens.
//!
//! - `auth/tokens/<id>.json`: the token's record (role, collectivités,
//!   expiry, SHA-256 of the secret). Written once, never changed.
//! - `auth/revoked/<id>`: the revocation marker, written once. A token is
//!   revoked from the moment its marker exists; it is looked up on every
//!   request, so a revocation takes effect at the next request, in every
//!   process. Records, being immutable, are cached.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::AuthError;
use super::caller::Caller;
use super::role::Role;
use super::token::{PlainToken, TokenId};
use crate::domain::Siren;
use crate::search::Collectivites;
use crate::store::{Store, StoreError};

/// Prefix of token records.
const RECORDS: &str = "auth/tokens/";
/// Prefix of revocation markers.
const REVOKED: &str = "auth/revoked/";
/// Records kept in memory; the cache is emptied when it is full.
const CACHE_SIZE: usize = 4_096;

/// What a new token may do and until when.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    /// Role.
    pub role: Role,
    /// Collectivités (SIREN) the token acts for; empty for every collectivité
    /// (admin, or a gestionnaire or archiviste of the whole Centre de gestion).
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
    pub collectivites: Vec<Siren>,
    /// End of validity (RFC 3339).
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

/// A stored token, without its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRecord {
    /// Id.
    pub id: TokenId,
    /// Role.
    pub role: Role,
    /// Collectivités; empty means every collectivité.
    pub collectivites: Vec<Siren>,
    /// Creation time.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// End of validity.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    /// SHA-256 of the secret, hex.
    secret_sha256: String,
}

/// A token as listed: its record and, if revoked, when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct TokenInfo {
    /// Id.
    pub id: TokenId,
    /// Role.
    pub role: Role,
    /// Collectivités; empty means every collectivité.
    #[schema(value_type = Vec<String>)]
    pub collectivites: Vec<Siren>,
    /// Creation time.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// End of validity.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    /// Revocation time, if revoked.
    #[serde(with = "time::serde::rfc3339::option")]
    pub revoked_at: Option<OffsetDateTime>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Revocation {
    #[serde(with = "time::serde::rfc3339")]
    revoked_at: OffsetDateTime,
}

/// The tokens of a store.
#[derive(Debug)]
pub struct Tokens {
    store: Store,
    cache: Mutex<HashMap<TokenId, Arc<TokenRecord>>>,
}

fn record_key(id: &TokenId) -> String {
    format!("{RECORDS}{id}.json")
}

fn revoked_key(id: &TokenId) -> String {
    format!("{REVOKED}{id}")
}

impl Tokens {
    /// The tokens kept in `store`.
    pub fn new(store: Store) -> Self {
        Self { store, cache: Mutex::default() }
    }

    /// Check `req` (role, number of collectivités, each one `served`, expiry
    /// in the future), then store a new token. The [`PlainToken`] returned is
    /// the only copy of the secret.
    pub async fn create(
        &self,
        req: &TokenRequest,
        served: impl Fn(&Siren) -> bool,
        now: OffsetDateTime,
    ) -> Result<(TokenRecord, PlainToken), AuthError> {
        check(req, served, now)?;
        let token = PlainToken::generate().map_err(|e| AuthError::Random(e.to_string()))?;
        let collectivites: BTreeSet<Siren> = req.collectivites.iter().cloned().collect();
        let record = TokenRecord {
            id: token.id().clone(),
            role: req.role,
            collectivites: collectivites.into_iter().collect(),
            created_at: now,
            expires_at: req.expires_at,
            secret_sha256: token.secret_hash(),
        };
        let bytes = serde_json::to_vec_pretty(&record).expect("records serialise");
        self.store.create(&record_key(&record.id), Bytes::from(bytes)).await?;
        Ok((record, token))
    }

    /// Every token, oldest first.
    pub async fn list(&self) -> Result<Vec<TokenInfo>, AuthError> {
        let mut out = Vec::new();
        for key in self.store.list(RECORDS).await? {
            let Some(id) = key.strip_prefix(RECORDS).and_then(|k| k.strip_suffix(".json")) else { continue };
            let Ok(id) = id.parse::<TokenId>() else { continue };
            let Some(r) = self.record(&id).await? else { continue };
            let revoked_at = self.revocation(&id).await?;
            out.push(TokenInfo {
                id: r.id.clone(),
                role: r.role,
                collectivites: r.collectivites.clone(),
                created_at: r.created_at,
                expires_at: r.expires_at,
                revoked_at,
            });
        }
        out.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        Ok(out)
    }

    /// The record of token `id`, if there is one.
    pub async fn get(&self, id: &TokenId) -> Result<Option<TokenRecord>, AuthError> {
        Ok(self.record(id).await?.map(|r| (*r).clone()))
    }

    /// Revoke token `id` from now on. Revoking a revoked token changes
    /// nothing (its first revocation time stays); an unknown id is an error.
    pub async fn revoke(&self, id: &TokenId, now: OffsetDateTime) -> Result<(), AuthError> {
        if self.record(id).await?.is_none() {
            return Err(AuthError::UnknownToken(id.to_string()));
        }
        let marker = serde_json::to_vec(&Revocation { revoked_at: now }).expect("serialises");
        match self.store.create(&revoked_key(id), Bytes::from(marker)).await {
            Ok(()) | Err(StoreError::AlreadyExists(_)) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// The caller presenting `presented` at `now`: refused unless the token
    /// exists, its secret matches, it has not expired and is not revoked.
    pub async fn authenticate(&self, presented: &str, now: OffsetDateTime) -> Result<Caller, AuthError> {
        let token = PlainToken::parse(presented).ok_or(AuthError::InvalidToken)?;
        let record = self.record(token.id()).await?.ok_or(AuthError::InvalidToken)?;
        if !token.matches(&record.secret_sha256) {
            return Err(AuthError::InvalidToken);
        }
        if now >= record.expires_at {
            return Err(AuthError::Expired);
        }
        if self.revocation(token.id()).await?.is_some() {
            return Err(AuthError::Revoked);
        }
        let collectivites = if record.collectivites.is_empty() {
            Collectivites::All
        } else {
            Collectivites::Only(record.collectivites.iter().cloned().collect())
        };
        Ok(Caller::new(record.id.clone(), record.role, collectivites))
    }

    async fn record(&self, id: &TokenId) -> Result<Option<Arc<TokenRecord>>, AuthError> {
        if let Some(r) = self.cache.lock().expect("cache lock").get(id) {
            return Ok(Some(Arc::clone(r)));
        }
        let Some(bytes) = self.store.get(&record_key(id)).await? else { return Ok(None) };
        let record: TokenRecord =
            serde_json::from_slice(&bytes).map_err(|e| AuthError::Corrupt(format!("token {id}: {e}")))?;
        let record = Arc::new(record);
        let mut cache = self.cache.lock().expect("cache lock");
        if cache.len() >= CACHE_SIZE {
            cache.clear();
        }
        cache.insert(id.clone(), Arc::clone(&record));
        Ok(Some(record))
    }

    async fn revocation(&self, id: &TokenId) -> Result<Option<OffsetDateTime>, AuthError> {
        let Some(bytes) = self.store.get(&revoked_key(id)).await? else { return Ok(None) };
        let r: Revocation = serde_json::from_slice(&bytes)
            .map_err(|e| AuthError::Corrupt(format!("revocation {id}: {e}")))?;
        Ok(Some(r.revoked_at))
    }
}

fn check(req: &TokenRequest, served: impl Fn(&Siren) -> bool, now: OffsetDateTime) -> Result<(), AuthError> {
    let (min, max) = req.role.collectivites_allowed();
    let n = req.collectivites.iter().collect::<BTreeSet<_>>().len();
    if n < min || n > max {
        let why = match (min, max) {
            (0, 0) => {
                format!("un jeton {} vaut pour toutes les collectivités : n'en nommez aucune", req.role)
            }
            (1, 1) => format!("un jeton {} nomme exactement une collectivité", req.role),
            _ => format!("nombre de collectivités invalide pour le rôle {}", req.role),
        };
        return Err(AuthError::InvalidRequest(why));
    }
    if let Some(s) = req.collectivites.iter().find(|s| !served(s)) {
        return Err(AuthError::InvalidRequest(format!(
            "la collectivité {s} n'est pas servie par cette instance"
        )));
    }
    if req.expires_at <= now {
        return Err(AuthError::InvalidRequest("la date d'expiration est déjà passée".into()));
    }
    if req.expires_at > now + time::Duration::days(MAX_LIFETIME_DAYS) {
        return Err(AuthError::InvalidRequest(format!(
            "un jeton vaut au plus {MAX_LIFETIME_DAYS} jours : choisissez une date d'expiration plus proche \
             et renouvelez-le avant qu'il expire"
        )));
    }
    Ok(())
}

/// The longest validity of a token: a leaked token must not work for
/// decades (the pages, the API and the command line share this bound).
pub const MAX_LIFETIME_DAYS: i64 = 730;
