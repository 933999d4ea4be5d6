//! `/api/v1/tokens…` and `/api/v1/audit`: what administrators do over HTTP
//! (the same as `acta tokens …` on the command line).

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::Serialize;
use time::OffsetDateTime;

use super::AppState;
use super::access::{Audited, Gate};
use super::error::ApiError;
use super::input::JsonBody;
use crate::auth::{AuditEntry, AuditQuery, AuthError, Caller, TokenId, TokenInfo, TokenRequest};

/// A new token: shown once.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct NewToken {
    /// The token itself (`acta_<id>_<secret>`): the only time it is shown.
    pub token: String,
    /// Its description.
    pub info: TokenInfo,
}

/// Entries of the audit trail.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AuditPage {
    /// Matching entries, oldest first.
    pub entries: Vec<AuditEntry>,
    /// Whether more entries matched than were returned (narrow the dates).
    pub truncated: bool,
}

/// `GET /api/v1/audit?collectivite=&from=&to=`: the audit trail.
#[utoipa::path(get, path = "/api/v1/audit", tag = "admin",
    params(("collectivite" = Option<String>, Query, description = "SIREN"),
           ("from" = Option<String>, Query, description = "YYYY-MM-DD, inclusive"),
           ("to" = Option<String>, Query, description = "YYYY-MM-DD, inclusive")),
    responses((status = 200, body = AuditPage), (status = 400, body = super::error::Problem)))]
pub async fn audit(
    Extension(gate): Extension<Arc<Gate>>,
    Extension(caller): Extension<Caller>,
    Query(params): Query<Vec<(String, String)>>,
) -> Result<Json<AuditPage>, ApiError> {
    let q = audit_query(&params)?;
    let (entries, truncated) = gate.audit().query(&q, caller.collectivites()).await?;
    Ok(Json(AuditPage { entries, truncated }))
}

fn audit_query(params: &[(String, String)]) -> Result<AuditQuery, ApiError> {
    let bad = |what: String| ApiError::InvalidParameter(what);
    let mut q = AuditQuery::default();
    for (k, v) in super::input::once(params)? {
        match k.as_str() {
            "collectivite" => {
                q.collectivite = Some(v.parse().map_err(|e| bad(format!("« collectivite » : {e}")))?);
            }
            "from" => q.from = Some(day(k, v)?),
            "to" => q.to = Some(day(k, v)?),
            other => return Err(bad(format!("paramètre inconnu « {other} »"))),
        }
    }
    if let (Some(from), Some(to)) = (q.from, q.to)
        && from > to
    {
        return Err(bad(format!("le paramètre « to » ({to}) précède « from » ({from})")));
    }
    Ok(q)
}

/// A day parameter: exactly `AAAA-MM-JJ` (four-digit year, no sign), a real
/// calendar day.
fn day(name: &str, value: &str) -> Result<time::Date, ApiError> {
    let shape = value.len() == 10
        && value
            .bytes()
            .enumerate()
            .all(|(i, b)| if i == 4 || i == 7 { b == b'-' } else { b.is_ascii_digit() });
    let refused = || {
        ApiError::InvalidParameter(format!(
            "le paramètre « {name} » attend un jour existant au format AAAA-MM-JJ (reçu « {value} »)"
        ))
    };
    if !shape {
        return Err(refused());
    }
    time::Date::parse(value, time::macros::format_description!("[year]-[month]-[day]")).map_err(|_| refused())
}

/// `GET /api/v1/tokens`: every token, revoked ones included, without secrets.
#[utoipa::path(get, path = "/api/v1/tokens", tag = "admin",
    responses((status = 200, body = Vec<TokenInfo>)))]
pub async fn list_tokens(Extension(gate): Extension<Arc<Gate>>) -> Result<Json<Vec<TokenInfo>>, ApiError> {
    Ok(Json(gate.tokens().list().await?))
}

/// `POST /api/v1/tokens`: create a token; 201 with the token, shown once.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "admin", request_body = TokenRequest,
    responses((status = 201, body = NewToken), (status = 422, body = super::error::Problem)))]
pub async fn create_token(
    State(acta): State<AppState>,
    Extension(gate): Extension<Arc<Gate>>,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let req: TokenRequest = serde_json::from_value(body)
        .map_err(|e| AuthError::InvalidRequest(format!("demande illisible : {e}")))?;
    let served = |s: &_| acta.collectivites().get(s).is_some();
    let (record, token) = gate.tokens().create(&req, served, OffsetDateTime::now_utc()).await?;
    let info = TokenInfo {
        id: record.id.clone(),
        role: record.role,
        collectivites: record.collectivites,
        created_at: record.created_at,
        expires_at: record.expires_at,
        revoked_at: None,
    };
    let audited =
        Audited { action: Some("token.create"), target: Some(record.id.to_string()), ..Audited::default() };
    let mut resp = (StatusCode::CREATED, Json(NewToken { token: token.expose(), info })).into_response();
    resp.extensions_mut().insert(audited);
    Ok(resp)
}

/// `POST /api/v1/tokens/{token}/revoke`: refuse the token from now on; 204.
#[utoipa::path(post, path = "/api/v1/tokens/{token}/revoke", tag = "admin",
    params(("token" = String, Path, description = "token id")),
    responses((status = 204), (status = 404, body = super::error::Problem)))]
pub async fn revoke_token(
    Extension(gate): Extension<Arc<Gate>>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id: TokenId = id.parse().map_err(|_| AuthError::UnknownToken(id.clone()))?;
    gate.tokens().revoke(&id, OffsetDateTime::now_utc()).await?;
    let audited =
        Audited { action: Some("token.revoke"), target: Some(id.to_string()), ..Audited::default() };
    let mut resp = StatusCode::NO_CONTENT.into_response();
    resp.extensions_mut().insert(audited);
    Ok(resp)
}
