//! The access gate: the one place that decides who may call what.
//!
//! Every route declares an [`Access`] rule when it is registered (see
//! [`super::routes`]); the gate, a middleware around every route, looks the
//! rule up by the route's path and method, then:
//! 1. [`Access::Public`]: lets the request through, no token needed;
//! 2. otherwise authenticates the `Authorization: Bearer` token — missing,
//!    malformed, unknown, expired or revoked → 401 `unauthenticated`;
//! 3. checks that the caller's role grants the rule's permission → else 403
//!    `forbidden` (a role refusal says nothing about any resource);
//! 4. checks the *resource*: for [`Access::Act`], the act named `{id}` must
//!    exist and be visible to the caller (its collectivité in scope; sealed
//!    for a lecteur); for [`Access::BodyCollectivite`], the collectivité the
//!    JSON body names must be in scope. A resource outside scope answers
//!    exactly like an unknown one (404 `act_not_found` /
//!    `collectivite_not_found`), so existence never leaks;
//! 5. hands the handler the [`Caller`] and its search [`Scope`] as request
//!    extensions, runs it, and writes an audit entry if the permission
//!    changes state and the answer is a success.
//!
//! A route registered without a rule is refused with a 500 and logged:
//! fail closed.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{FromRequestParts, MatchedPath, RawPathParams, Request, State};
use axum::http::{HeaderMap, Method, header, request::Parts};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;
use super::input::{self, CheckedBody};
use super::{AppState, REQUEST_ID};
use crate::auth::{AuditEntry, AuditLog, AuthError, Caller, Permission, Tokens};
use crate::domain::{ActId, Siren};
use crate::search::Scope;
use crate::service::ServiceError;
use crate::service::archive::TransferId;

/// The access rule of a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, without a token.
    Public,
    /// A caller whose role grants the permission. What the route returns is
    /// limited by the caller's [`Scope`] (search) or concerns no collectivité.
    Role(Permission),
    /// The permission on the act named by the `{id}` path segment.
    Act(Permission),
    /// The permission on the collectivité named by the JSON body's
    /// `collectivite` member (a body without one is left to validation).
    BodyCollectivite(Permission),
    /// The permission on the transfer named by the `{id}` path segment: its
    /// collectivité must be in scope, else 404 `transfer_not_found`.
    Transfer(Permission),
}

impl Access {
    /// The permission needed, if any.
    pub fn permission(self) -> Option<Permission> {
        match self {
            Self::Public => None,
            Self::Role(p) | Self::Act(p) | Self::BodyCollectivite(p) | Self::Transfer(p) => Some(p),
        }
    }
}

/// What a handler may attach to its response to complete the audit entry
/// (the act it created, the token it revoked…). Fields left empty keep what
/// the gate knows.
#[derive(Debug, Clone, Default)]
pub struct Audited {
    /// A more precise action than the permission's (e.g. `token.revoke`).
    pub action: Option<&'static str>,
    /// The act concerned.
    pub act: Option<ActId>,
    /// The collectivité concerned.
    pub collectivite: Option<Siren>,
    /// Another object concerned (a token id).
    pub target: Option<String>,
}

/// The declared rules, by method and matched path.
#[derive(Debug, Default)]
pub struct Rules {
    rules: HashMap<(Method, &'static str), Access>,
    paths: HashSet<&'static str>,
}

impl Rules {
    /// The rules of `routes` (method, path, access).
    pub fn new(routes: impl IntoIterator<Item = (Method, &'static str, Access)>) -> Self {
        let rules: HashMap<_, _> = routes.into_iter().map(|(m, p, a)| ((m, p), a)).collect();
        let paths = rules.keys().map(|(_, p)| *p).collect();
        Self { rules, paths }
    }

    /// The rule of a route (`HEAD` follows `GET`): 405 for a declared path
    /// with another method, 500 for a path nobody declared (fail closed).
    pub fn lookup(&self, method: &Method, path: &str) -> Result<Access, ApiError> {
        let method = if method == Method::HEAD { Method::GET } else { method.clone() };
        if let Some(&access) = self.rules.get(&(method, path)) {
            return Ok(access);
        }
        if self.paths.contains(path) {
            return Err(ApiError::MethodNotAllowed);
        }
        tracing::error!(path, "route without a declared access rule: refused");
        Err(ServiceError::Internal(format!("route {path} has no declared access rule")).into())
    }
}

/// The largest request bodies accepted, in bytes.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimits {
    /// Every route's (`max_body_bytes`)…
    pub default: usize,
    /// …but those of [`super::routes::PDF_BODY_ROUTES`]…
    pub pdf: usize,
    /// …and those of [`super::routes::CAMPAIGN_BODY_ROUTES`].
    pub campaign: usize,
}

impl BodyLimits {
    /// The limit of the route at `path` (`None`: no route).
    fn of(&self, path: Option<&str>) -> usize {
        match path {
            Some(p) if super::routes::PDF_BODY_ROUTES.contains(&p) => self.pdf,
            Some(p) if super::routes::CAMPAIGN_BODY_ROUTES.contains(&p) => self.campaign,
            _ => self.default,
        }
    }
}

/// The gate's state: the rules and what checking them needs.
#[derive(Debug)]
pub struct Gate {
    acta: AppState,
    audit: AuditLog,
    rules: Rules,
    max_body_bytes: BodyLimits,
}

impl Gate {
    /// A gate enforcing `rules` (method, path → access) and `body_limits`.
    pub fn new(acta: AppState, rules: Rules, body_limits: BodyLimits) -> Self {
        let audit = AuditLog::new(acta.store().clone());
        Self { acta, audit, rules, max_body_bytes: body_limits }
    }

    /// The tokens it checks: the process's, so that a revocation through
    /// the API or the pages applies at the next request.
    pub fn tokens(&self) -> &Tokens {
        self.acta.tokens()
    }

    /// The audit trail it writes.
    pub fn audit(&self) -> &AuditLog {
        &self.audit
    }
}

/// An admitted request, as the audit entry will describe it.
struct Admitted {
    caller: Caller,
    action: &'static str,
    subject: Audited,
    request_id: Option<String>,
}

/// The middleware.
pub async fn gate(State(gate): State<Arc<Gate>>, req: Request, next: Next) -> Response {
    match gate.admit(req).await {
        Ok((req, admitted)) => {
            let resp = next.run(req).await;
            if let Some(a) = admitted.filter(|_| resp.status().is_success()) {
                gate.record(a, resp.extensions().get::<Audited>()).await;
            }
            resp
        }
        Err(e) => e.into_response(),
    }
}

impl Gate {
    async fn admit(&self, req: Request) -> Result<(Request, Option<Admitted>), ApiError> {
        // A body announced larger than the limit is refused before any of it
        // is read (the limit alone trips only once that many bytes came).
        let matched = req.extensions().get::<MatchedPath>().map(|m| m.as_str().to_owned());
        let limit = self.max_body_bytes.of(matched.as_deref());
        let declared =
            req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
        if declared.is_some_and(|n| n > u64::try_from(limit).unwrap_or(u64::MAX)) {
            return Err(ApiError::PayloadTooLarge);
        }
        let Some(path) = matched else {
            return Ok((req, None)); // no route: the fallback answers 404
        };
        let access = self.rules.lookup(req.method(), &path)?;
        let Some(permission) = access.permission() else { return Ok((req, None)) };
        let caller = self.authenticate(req.headers()).await?;
        if !caller.allows(permission) {
            return Err(ApiError::Forbidden);
        }
        let (mut parts, body) = req.into_parts();
        let mut subject = Audited::default();
        let body = match access {
            Access::Act(_) => {
                let (id, owner) = self.act_in_scope(&mut parts, &caller).await?;
                subject.act = Some(id);
                subject.collectivite = Some(owner);
                body
            }
            Access::BodyCollectivite(_) => {
                let bytes = axum::body::to_bytes(body, limit).await.map_err(|e| {
                    if input::timed_out(&e) {
                        ApiError::BodyTimeout
                    } else if input::refused(&e, super::server::BodyRefused::Busy) {
                        ApiError::ServerBusy
                    } else {
                        ApiError::PayloadTooLarge
                    }
                })?;
                let value = input::parse(&bytes)?;
                let named = value.get("collectivite").and_then(|v| v.as_str()).and_then(|s| s.parse().ok());
                if let Some(siren) = named {
                    if !caller.acts_for(&siren) {
                        return Err(ServiceError::UnknownCollectivite(siren).into());
                    }
                    subject.collectivite = Some(siren);
                }
                parts.extensions.insert(CheckedBody(value));
                Body::empty()
            }
            Access::Transfer(_) => {
                let (id, owner) = self.transfer_in_scope(&mut parts, &caller).await?;
                subject.target = Some(id.to_string());
                subject.collectivite = Some(owner);
                body
            }
            Access::Public | Access::Role(_) => body,
        };
        let request_id = parts.headers.get(REQUEST_ID).and_then(|v| v.to_str().ok()).map(str::to_owned);
        parts.extensions.insert(caller.scope());
        parts.extensions.insert(caller.clone());
        let admitted =
            permission.audit_action().map(|action| Admitted { caller, action, subject, request_id });
        Ok((Request::from_parts(parts, body), admitted))
    }

    async fn authenticate(&self, headers: &HeaderMap) -> Result<Caller, ApiError> {
        let value = headers.get(header::AUTHORIZATION).ok_or(AuthError::MissingToken)?;
        let token = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .ok_or(AuthError::InvalidToken)?;
        Ok(self.tokens().authenticate(token.trim(), time::OffsetDateTime::now_utc()).await?)
    }

    /// The act `{id}` and its collectivité, if the caller may know it exists.
    async fn act_in_scope(&self, parts: &mut Parts, caller: &Caller) -> Result<(ActId, Siren), ApiError> {
        let raw =
            path_id(parts).await.ok_or_else(|| ServiceError::Internal("an act route without {id}".into()))?;
        Ok(act_in_scope(&self.acta, &raw, caller).await?)
    }

    /// The transfer `{id}` and its collectivité, if the caller acts for it.
    async fn transfer_in_scope(
        &self,
        parts: &mut Parts,
        caller: &Caller,
    ) -> Result<(TransferId, Siren), ApiError> {
        Ok(transfer_in_scope(&self.acta, parts, caller).await?)
    }

    async fn record(&self, a: Admitted, added: Option<&Audited>) {
        let added = added.cloned().unwrap_or_default();
        let entry = AuditEntry {
            token_id: a.caller.token_id().cloned(),
            user: a.caller.user().map(ToString::to_string),
            collectivite: added.collectivite.or(a.subject.collectivite),
            act: added.act.or(a.subject.act),
            target: added.target.or(a.subject.target),
            request_id: a.request_id,
            ..AuditEntry::new("api", a.caller.role, added.action.unwrap_or(a.action))
        };
        if let Err(e) = self.audit.record(&entry).await {
            tracing::error!(error = %e, action = entry.action, "audit entry could not be written");
        }
    }
}

/// The transfer named by the `{id}` path segment of `parts`, and its
/// collectivité, if `caller` acts for it; one outside the caller's scope is
/// [`ServiceError::TransferNotFound`], as an unknown one. Shared by the API's
/// gate and the pages' ([`crate::web::gate`]): one policy.
pub(crate) async fn transfer_in_scope(
    acta: &crate::service::Acta,
    parts: &mut Parts,
    caller: &Caller,
) -> Result<(TransferId, Siren), ServiceError> {
    let params = RawPathParams::from_request_parts(parts, &())
        .await
        .map_err(|_| ServiceError::Internal("a transfer route without path parameters".into()))?;
    let raw = params.iter().find(|(k, _)| *k == "id").map(|(_, v)| v.to_owned());
    let raw = raw.ok_or_else(|| ServiceError::Internal("a transfer route without {id}".into()))?;
    let id: TransferId = raw.parse().map_err(|_| ServiceError::TransferNotFound)?;
    let owner = acta.transfer_owner(&id).await?;
    if !caller.acts_for(&owner) {
        return Err(ServiceError::TransferNotFound);
    }
    Ok((id, owner))
}

/// The `{id}` path parameter of a request, if its route has one.
pub(crate) async fn path_id(parts: &mut Parts) -> Option<String> {
    let params = RawPathParams::from_request_parts(parts, &()).await.ok()?;
    params.iter().find(|(k, _)| *k == "id").map(|(_, v)| v.to_owned())
}

/// The act `raw` names and its collectivité, if `caller` may know it exists
/// (its collectivité in scope; sealed unless the role sees drafts): the one
/// check of [`Access::Act`], for the API's gate and the pages' alike. An id
/// that does not parse, an unknown act and an act out of scope are all
/// [`ServiceError::ActNotFound`], so existence never leaks.
pub(crate) async fn act_in_scope(
    acta: &crate::service::Acta,
    raw: &str,
    caller: &Caller,
) -> Result<(ActId, Siren), ServiceError> {
    let id: ActId = raw.parse().map_err(|_| ServiceError::ActNotFound)?;
    let (owner, sealed) = acta.owner(&id).await?;
    if !caller.sees_act(&owner, sealed) {
        return Err(ServiceError::ActNotFound);
    }
    Ok((id, owner))
}

/// The scope a handler was given by the gate (every non-public route has one).
pub fn scope_of(ext: Option<axum::Extension<Scope>>) -> Result<Scope, ApiError> {
    ext.map(|axum::Extension(s)| s).ok_or_else(|| {
        ServiceError::Internal("no scope: the route is not behind the access gate".into()).into()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> Rules {
        Rules::new(super::super::routes::routes().into_iter().map(|r| (r.method, r.path, r.access)))
    }

    #[test]
    fn a_route_nobody_declared_is_refused_not_served() {
        let e = rules().lookup(&Method::GET, "/api/v1/secret-backdoor").unwrap_err();
        assert!(matches!(e, ApiError::Service(ServiceError::Internal(_))), "{e:?}");
    }

    #[test]
    fn a_declared_path_with_another_method_is_405_and_head_follows_get() {
        let r = rules();
        assert!(matches!(r.lookup(&Method::DELETE, "/api/v1/acts/{id}"), Err(ApiError::MethodNotAllowed)));
        assert_eq!(r.lookup(&Method::HEAD, "/health").unwrap(), Access::Public);
        assert_eq!(r.lookup(&Method::GET, "/api/v1/acts/{id}").unwrap(), Access::Act(Permission::ReadAct));
    }

    #[test]
    fn only_routes_that_need_no_token_are_public() {
        let public: Vec<_> = super::super::routes::routes()
            .into_iter()
            .filter(|r| r.access == Access::Public)
            .map(|r| r.path)
            .collect();
        // Adding a public route is a decision: add it here too, and to docs/api.md.
        let expected = [
            "/health",
            "/api/v1/openapi.json",
            "/api/v1/verify",
            "/api/v1/log/checkpoint",
            "/api/v1/log/key",
            "/api/v1/log/tile/{*path}",
        ];
        assert_eq!(public, expected);
    }
}
