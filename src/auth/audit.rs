//! The audit trail: one create-only object per state-changing action, kept in
//! the object store beside the acts (`audit/<yyyy>/<mm>/<uuid v7>.json`),
//! never changed nor deleted by acta.
//!
//! An *entry* says who (token id, account login, or the command line), with which role, for
//! which collectivité, did what (`act.create`, `act.seal`, `token.create`,
//! `token.revoke`…), on which act or token, when, and the request id that the
//! HTTP API also returns and logs. Secrets never appear in it.

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use super::AuthError;
use super::role::Role;
use super::token::TokenId;
use crate::domain::{ActId, Siren};
use crate::search::Collectivites;
use crate::store::{Store, keys};

/// Prefix of every audit entry.
const AUDIT: &str = "audit/";
/// Most entries one query returns.
pub const MAX_ENTRIES: usize = 1_000;

/// One action recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AuditEntry {
    /// Entry id (UUID v7: time-ordered).
    #[schema(value_type = String)]
    pub id: Uuid,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: OffsetDateTime,
    /// The token used; absent for the command line (which has the store's
    /// own credentials).
    pub token_id: Option<TokenId>,
    /// The account, for an action done in the web application.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// `api`, `web` or `cli`.
    pub via: String,
    /// Role of the actor (`admin` for the command line).
    pub role: Role,
    /// What was done, e.g. `act.create`, `act.seal`, `token.create`, `token.revoke`.
    pub action: String,
    /// Collectivité concerned, if any.
    #[schema(value_type = Option<String>)]
    pub collectivite: Option<Siren>,
    /// Act concerned, if any.
    #[schema(value_type = Option<String>)]
    pub act: Option<ActId>,
    /// Other object concerned (a token id for token actions).
    pub target: Option<String>,
    /// The request id (`x-request-id`) of the HTTP request.
    pub request_id: Option<String>,
}

impl AuditEntry {
    /// An entry for `action` done now by `role` (every other field empty).
    pub fn new(via: &str, role: Role, action: &str) -> Self {
        Self {
            id: Uuid::now_v7(),
            at: OffsetDateTime::now_utc().replace_nanosecond(0).unwrap_or_else(|_| OffsetDateTime::now_utc()),
            token_id: None,
            user: None,
            via: via.to_owned(),
            role,
            action: action.to_owned(),
            collectivite: None,
            act: None,
            target: None,
            request_id: None,
        }
    }
}

/// Which entries to return.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditQuery {
    /// Only entries concerning this collectivité.
    pub collectivite: Option<Siren>,
    /// From this day (UTC), inclusive.
    pub from: Option<Date>,
    /// To this day (UTC), inclusive.
    pub to: Option<Date>,
}

/// The audit trail of a store.
#[derive(Debug, Clone)]
pub struct AuditLog {
    store: Store,
}

impl AuditLog {
    /// The trail kept in `store`.
    pub fn new(store: Store) -> Self {
        Self { store }
    }

    /// Append `entry`; an entry concerning an act is also kept with the act
    /// (`acts/<id>/audit/<entry>.json`), so that the act's own trail is found
    /// without scanning the whole trail, and archived with it (SEDA SIPs).
    pub async fn record(&self, entry: &AuditEntry) -> Result<(), AuthError> {
        let key =
            format!("{AUDIT}{:04}/{:02}/{}.json", entry.at.year(), u8::from(entry.at.month()), entry.id);
        let bytes = Bytes::from(serde_json::to_vec(entry).expect("entries serialise"));
        self.store.create(&key, bytes.clone()).await?;
        if let Some(act) = &entry.act {
            self.store.create(&keys::act_audit_entry(act, &entry.id), bytes).await?;
        }
        Ok(())
    }

    /// Every entry concerning act `id`, oldest first.
    pub async fn of_act(&self, id: &ActId) -> Result<Vec<AuditEntry>, AuthError> {
        let mut out = Vec::new();
        for key in self.store.list(&keys::act_audit_prefix(id)).await? {
            out.extend(self.read_entry(&key).await?);
        }
        out.sort_by_key(|e: &AuditEntry| e.id);
        Ok(out)
    }

    /// Entries matching `q` that concern the collectivités of `scope` (an
    /// entry concerning no collectivité is only shown to a scope of every
    /// collectivité), oldest first, at most [`MAX_ENTRIES`]; the flag says
    /// whether more matched.
    pub async fn query(
        &self,
        q: &AuditQuery,
        scope: &Collectivites,
    ) -> Result<(Vec<AuditEntry>, bool), AuthError> {
        let mut out = Vec::new();
        for prefix in month_prefixes(q) {
            for key in self.store.list(&prefix).await? {
                let Some(e) = self.read_entry(&key).await? else { continue };
                if matches(&e, q, scope) {
                    if out.len() == MAX_ENTRIES {
                        return Ok((out, true));
                    }
                    out.push(e);
                }
            }
        }
        out.sort_by_key(|e| e.id);
        Ok((out, false))
    }

    /// The entry stored at `key` (`None` if it vanished since it was listed).
    async fn read_entry(&self, key: &str) -> Result<Option<AuditEntry>, AuthError> {
        let Some(bytes) = self.store.get(key).await? else { return Ok(None) };
        serde_json::from_slice(&bytes).map(Some).map_err(|e| AuthError::Corrupt(format!("{key}: {e}")))
    }
}

fn matches(e: &AuditEntry, q: &AuditQuery, scope: &Collectivites) -> bool {
    let day = e.at.date();
    let visible = match (scope, &e.collectivite) {
        (Collectivites::All, _) => true,
        (Collectivites::Only(set), Some(s)) => set.contains(s),
        (Collectivites::Only(_), None) => false,
    };
    visible
        && q.collectivite.as_ref().is_none_or(|c| e.collectivite.as_ref() == Some(c))
        && q.from.is_none_or(|f| day >= f)
        && q.to.is_none_or(|t| day <= t)
}

/// Most month prefixes listed one by one; a longer span lists the whole trail
/// (the dates still filter the entries), so that a caller's wide span
/// (`from=0001-01-01&to=9999-12-31`) costs one listing, not 120 000.
const MAX_MONTH_PREFIXES: i64 = 36;

/// The month prefixes to list: every month from `from` to `to`, or the whole
/// trail when a bound is missing or the span is long.
fn month_prefixes(q: &AuditQuery) -> Vec<String> {
    let (Some(from), Some(to)) = (q.from, q.to) else { return vec![AUDIT.to_owned()] };
    let months = |d: time::Date| i64::from(d.year()) * 12 + i64::from(u8::from(d.month()));
    if months(to) - months(from) >= MAX_MONTH_PREFIXES {
        return vec![AUDIT.to_owned()];
    }
    let mut out = Vec::new();
    let (mut y, mut m) = (from.year(), u8::from(from.month()));
    while (y, m) <= (to.year(), u8::from(to.month())) {
        out.push(format!("{AUDIT}{y:04}/{m:02}/"));
        (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn a_bounded_query_lists_only_its_months() {
        let q = AuditQuery {
            from: Some(date!(2026 - 11 - 20)),
            to: Some(date!(2027 - 01 - 02)),
            ..AuditQuery::default()
        };
        assert_eq!(month_prefixes(&q), ["audit/2026/11/", "audit/2026/12/", "audit/2027/01/"]);
        assert_eq!(month_prefixes(&AuditQuery::default()), ["audit/"]);
        let wide = AuditQuery {
            from: Some(date!(1000 - 01 - 01)),
            to: Some(date!(9999 - 12 - 31)),
            ..AuditQuery::default()
        };
        assert_eq!(month_prefixes(&wide), ["audit/"]);
    }

    #[tokio::test]
    async fn a_scoped_reader_never_sees_other_collectivites_entries() {
        let dir = tempfile::tempdir().unwrap();
        let log = AuditLog::new(Store::local(dir.path()).unwrap());
        let (a, b): (Siren, Siren) = ("216295105".parse().unwrap(), "216296202".parse().unwrap());
        for s in [&a, &b] {
            let e = AuditEntry {
                collectivite: Some(s.clone()),
                ..AuditEntry::new("api", Role::Admin, "act.create")
            };
            log.record(&e).await.unwrap();
        }
        log.record(&AuditEntry::new("cli", Role::Admin, "token.create")).await.unwrap();
        let all = log.query(&AuditQuery::default(), &Collectivites::All).await.unwrap().0;
        assert_eq!(all.len(), 3);
        let only_a = Collectivites::Only([a.clone()].into());
        let seen = log.query(&AuditQuery::default(), &only_a).await.unwrap().0;
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0].collectivite, Some(a));
    }
}
