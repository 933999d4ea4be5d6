//! API tokens kept in the object store, so that every acta process sharing
//! the store (a server, the `acta tokens` command) sees the same tokens.
//!
//! - `auth/tokens/<id>.json`: the token's record (role, collectivités,
//!   expiry, SHA-256 of the secret). Written once, never changed.
//! - `auth/revoked/<id>`: the revocation marker, written once, never
//!   removed. A token is revoked from the moment its marker exists.
//!
//! Records, being immutable, are cached; so is a revocation, which is final.
//! That a token is *not* revoked is remembered for at most the *recheck*
//! interval (`http.token_revocation_recheck_ms`, 1 s by default; 0: the store
//! is asked on every request): a revocation made through this [`Tokens`]
//! (the API's and the pages' share one, [`crate::service::Acta::tokens`])
//! applies at the next request; one made by another process sharing the
//! store (`acta tokens revoke`, another server) within the interval. Asking
//! the store on every request cost a store read per API call.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

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

/// The longest accepted recheck interval: a revocation must take effect
/// within a minute everywhere.
pub const MAX_REVOCATION_RECHECK: Duration = Duration::from_secs(60);

/// What is known of a token's revocation.
#[derive(Debug, Clone, Copy)]
enum Standing {
    /// Not revoked when the store was asked, at this instant.
    Live(Instant),
    /// Revoked: final.
    Revoked,
}

/// The tokens of a store.
#[derive(Debug)]
pub struct Tokens {
    store: Store,
    cache: Mutex<HashMap<TokenId, Arc<TokenRecord>>>,
    standings: Mutex<HashMap<TokenId, Standing>>,
    recheck: Duration,
}

fn record_key(id: &TokenId) -> String {
    format!("{RECORDS}{id}.json")
}

fn revoked_key(id: &TokenId) -> String {
    format!("{REVOKED}{id}")
}

impl Tokens {
    /// The tokens kept in `store`, their revocation read on every check.
    pub fn new(store: Store) -> Self {
        Self::with_recheck(store, Duration::ZERO)
    }

    /// The tokens kept in `store`; a token found not revoked is trusted for
    /// `recheck` before the store is asked again (see the module's docs).
    pub fn with_recheck(store: Store, recheck: Duration) -> Self {
        Self { store, cache: Mutex::default(), standings: Mutex::default(), recheck }
    }

    /// The same tokens through `store` (the probed handle of the same
    /// store), nothing cached.
    pub fn on(&self, store: Store) -> Self {
        Self::with_recheck(store, self.recheck)
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
            Ok(()) | Err(StoreError::AlreadyExists(_)) => {
                self.remember(id, Standing::Revoked);
                Ok(())
            }
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
        if self.is_revoked(token.id()).await? {
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

    /// Whether token `id` is revoked: from memory when that is final, or
    /// was learnt less than `recheck` ago; else from the store.
    async fn is_revoked(&self, id: &TokenId) -> Result<bool, AuthError> {
        let known = self.standings.lock().expect("standings lock").get(id).copied();
        match known {
            Some(Standing::Revoked) => return Ok(true),
            Some(Standing::Live(at)) if at.elapsed() < self.recheck => return Ok(false),
            _ => {}
        }
        // The instant is taken before the read: the trust never outlasts
        // `recheck` from the moment the store was asked.
        let asked = Instant::now();
        let revoked = self.revocation(id).await?.is_some();
        self.remember(id, if revoked { Standing::Revoked } else { Standing::Live(asked) });
        Ok(revoked)
    }

    fn remember(&self, id: &TokenId, standing: Standing) {
        let mut standings = self.standings.lock().expect("standings lock");
        if standings.len() >= CACHE_SIZE && !standings.contains_key(id) {
            // Emptied, then refilled from the store; revocations stay final
            // there.
            standings.clear();
        }
        // A concurrent check that read the store before a revocation must not
        // overwrite it.
        if !matches!(standings.get(id), Some(Standing::Revoked)) {
            standings.insert(id.clone(), standing);
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn memory() -> Store {
        Store::from_backend(Arc::new(object_store::memory::InMemory::new()), "memory://".into())
    }

    async fn token(tokens: &Tokens, now: OffsetDateTime) -> PlainToken {
        let req = TokenRequest {
            role: Role::Admin,
            collectivites: vec![],
            expires_at: now + time::Duration::days(1),
        };
        tokens.create(&req, |_| true, now).await.unwrap().1
    }

    #[tokio::test]
    async fn a_revocation_here_applies_at_once_and_one_elsewhere_within_the_recheck_interval() {
        let store = memory();
        let now = OffsetDateTime::now_utc();
        let recheck = Duration::from_millis(300);
        let here = Tokens::with_recheck(store.clone(), recheck);
        let elsewhere = Tokens::new(store.clone());

        // Revoked through the same `Tokens`: refused at the next check.
        let a = token(&here, now).await;
        assert!(here.authenticate(&a.expose(), now).await.is_ok());
        here.revoke(a.id(), now).await.unwrap();
        assert!(matches!(here.authenticate(&a.expose(), now).await, Err(AuthError::Revoked)));

        // Revoked by another process: trusted until the interval has passed,
        // then refused for good.
        let b = token(&here, now).await;
        assert!(here.authenticate(&b.expose(), now).await.is_ok());
        elsewhere.revoke(b.id(), now).await.unwrap();
        let revoked_at = Instant::now();
        let refused = loop {
            match here.authenticate(&b.expose(), now).await {
                Ok(_) => tokio::time::sleep(Duration::from_millis(10)).await,
                Err(e) => break e,
            }
            assert!(revoked_at.elapsed() < recheck + Duration::from_millis(200), "never refused");
        };
        assert!(matches!(refused, AuthError::Revoked), "{refused:?}");
        assert!(matches!(here.authenticate(&b.expose(), now).await, Err(AuthError::Revoked)));

        // Without an interval, the store is asked on every check.
        let strict = Tokens::new(store.clone());
        let c = token(&strict, now).await;
        assert!(strict.authenticate(&c.expose(), now).await.is_ok());
        elsewhere.revoke(c.id(), now).await.unwrap();
        assert!(matches!(strict.authenticate(&c.expose(), now).await, Err(AuthError::Revoked)));
    }
}
