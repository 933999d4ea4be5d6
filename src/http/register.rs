//! The register's public face and the seal's: `POST /api/v1/verify`, the
//! log's checkpoint and tiles under `/api/v1/log/…`, an act's inclusion
//! proof, and withdrawals.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::Deserialize;

use super::AppState;
use super::access::Audited;
use super::error::ApiError;
use super::input::{JsonBody, RawBody};
use crate::domain::{ActId, Sha256Digest};
use crate::service::{Proof, ServiceError, Verdict};
use crate::tlog::WithdrawReason;

/// Upper bound of one page of a PDF acta produces. Measured on sealed
/// procès-verbaux (the densest long documents): 188 489 bytes for 7 pages,
/// 442 057 for 23, i.e. ~15.5 KiB a page; half as much again for margin.
const PDF_BYTES_PER_PAGE: usize = 24 << 10;
/// Upper bound of what a PDF carries whatever its length (~75 KiB measured:
/// font subsets, the seal's certificate chain and timestamp, the register's
/// annotations), with room for a collectivité's logo.
const PDF_FIXED_BYTES: usize = 2 << 20;

/// The body limit of the routes taking a PDF acta may have produced: the
/// largest PDF `max_pages` allows, so that acta can always verify its own
/// acts (500 pages by default: 13.7 MiB), and never less than `max_body_bytes`.
/// Memory stays bounded by the body budget (`http.body_budget_bytes`), not
/// by this limit.
pub fn pdf_body_limit(max_body_bytes: usize, max_pages: usize) -> usize {
    max_pages.saturating_mul(PDF_BYTES_PER_PAGE).saturating_add(PDF_FIXED_BYTES).max(max_body_bytes)
}

/// `POST /api/v1/verify`: a PDF (`Content-Type: application/pdf`), or JSON
/// `{"sha256": "<hex>"}`. Always 200 with the verdict when the input is
/// readable: "not genuine" is an answer, not an error. A PDF beyond the
/// reader's bounds is 422 `pdf_too_complex`; a verification over its time
/// budget 503 `verification_timeout`.
#[utoipa::path(post, path = "/api/v1/verify", tag = "public",
    request_body(content = Object, description = "a PDF (`application/pdf`) or `{\"sha256\"}`"),
    responses((status = 200, description = "the verdict", body = Object), (status = 422, body = super::error::Problem),
              (status = 503, body = super::error::Problem)))]
pub async fn verify(
    State(acta): State<AppState>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> Result<Json<Verdict>, ApiError> {
    let is_pdf = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/pdf"))
        || body.starts_with(b"%PDF-");
    let verdict = if is_pdf {
        acta.verify_pdf(body).await?
    } else {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct ByHash {
            sha256: String,
        }
        let by_hash: ByHash = serde_json::from_slice(&body).map_err(|_| bad_verify_input())?;
        let digest: Sha256Digest =
            by_hash.sha256.to_ascii_lowercase().parse().map_err(|_| bad_verify_input())?;
        acta.verify_hash(digest).await?
    };
    Ok(Json(verdict))
}

fn bad_verify_input() -> ApiError {
    ApiError::Service(ServiceError::Invalid(vec![crate::catalog::FieldError {
        path: "".into(),
        message:
            "envoyez un PDF (Content-Type: application/pdf) ou {\"sha256\": \"<64 chiffres hexadécimaux>\"}"
                .into(),
    }]))
}

/// `GET /api/v1/acts/{id}/proof`: the act's inclusion proof in the register log.
#[utoipa::path(get, path = "/api/v1/acts/{id}/proof", tag = "acts", params(("id" = String, Path)),
    responses((status = 200, description = "the inclusion proof", body = Object), (status = 404, body = super::error::Problem)))]
pub async fn proof(State(acta): State<AppState>, Path(id): Path<String>) -> Result<Json<Proof>, ApiError> {
    let id: ActId = id.parse().map_err(|_| ApiError::Service(ServiceError::ActNotFound))?;
    Ok(Json(acta.proof(&id).await?))
}

/// Body of `POST /api/v1/acts/{id}/withdraw`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WithdrawBody {
    /// `annulment`, `withdrawal`, `redaction`, `publication-ended` or `error`.
    pub motif: String,
    /// The sealed act that replaces it, if any.
    #[serde(default)]
    pub remplacement: Option<String>,
}

/// `POST /api/v1/acts/{id}/withdraw`: append a tombstone to the register log.
#[utoipa::path(post, path = "/api/v1/acts/{id}/withdraw", tag = "acts", params(("id" = String, Path)),
    request_body(content = Object, description = "`{\"motif\", \"remplacement\"}`"),
    responses((status = 200, description = "the withdrawal", body = Object), (status = 404, body = super::error::Problem),
              (status = 409, body = super::error::Problem), (status = 422, body = super::error::Problem)))]
pub async fn withdraw(
    State(acta): State<AppState>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let id: ActId = id.parse().map_err(|_| ApiError::Service(ServiceError::ActNotFound))?;
    let field = |path: &str, message: String| {
        ApiError::Service(ServiceError::Invalid(vec![crate::catalog::FieldError {
            path: path.into(),
            message,
        }]))
    };
    let body: WithdrawBody = serde_json::from_value(body)
        .map_err(|e| field("", format!("attendu {{\"motif\": …, \"remplacement\": …}} ({e})")))?;
    let reason: WithdrawReason = body.motif.parse().map_err(|_| {
        field("/motif", "motif inconnu : annulment, withdrawal, redaction, publication-ended ou error".into())
    })?;
    let replacement = match body.remplacement {
        None => None,
        Some(r) => Some(
            r.parse::<ActId>().map_err(|_| field("/remplacement", "identifiant d'acte invalide".into()))?,
        ),
    };
    let withdrawal = acta.withdraw(&id, reason, replacement).await?;
    let audited = Audited { action: Some("act.withdraw"), act: Some(id), ..Audited::default() };
    Ok((Extension(audited), Json(withdrawal)).into_response())
}

/// `GET /api/v1/log/checkpoint`: the latest signed checkpoint (signed note).
#[utoipa::path(get, path = "/api/v1/log/checkpoint", tag = "public",
    responses((status = 200, content_type = "text/plain", description = "the latest signed checkpoint")))]
pub async fn checkpoint(State(acta): State<AppState>) -> Result<Response, ApiError> {
    log_object(&acta, "checkpoint").await
}

/// `GET /api/v1/log/key`: the log's verifier key (signed-note vkey).
#[utoipa::path(get, path = "/api/v1/log/key", tag = "public",
    responses((status = 200, content_type = "text/plain", description = "the log's verifier key")))]
pub async fn key(State(acta): State<AppState>) -> Response {
    let headers = [(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"))];
    (headers, format!("{}\n", acta.log_verifier_key())).into_response()
}

/// `GET /api/v1/log/tile/{*path}`: a tile or entry bundle (C2SP tlog-tiles).
#[utoipa::path(get, path = "/api/v1/log/tile/{*path}", tag = "public", params(("path" = String, Path)),
    responses((status = 200, content_type = "application/octet-stream", description = "a tile"),
              (status = 404, body = super::error::Problem)))]
pub async fn tile(State(acta): State<AppState>, Path(path): Path<String>) -> Result<Response, ApiError> {
    log_object(&acta, &format!("tile/{path}")).await
}

async fn log_object(acta: &AppState, path: &str) -> Result<Response, ApiError> {
    let Some(bytes) = acta.log_object(path).await? else {
        return Ok(super::error::not_found().await.into_response());
    };
    let (content_type, cache) = if path == "checkpoint" {
        ("text/plain; charset=utf-8", "no-cache")
    } else if path.contains(".p/") {
        ("application/octet-stream", "max-age=60")
    } else {
        // Full tiles never change.
        ("application/octet-stream", "public, max-age=31536000, immutable")
    };
    let headers = [
        (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
        (header::CACHE_CONTROL, HeaderValue::from_static(cache)),
    ];
    Ok((headers, bytes).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pdf_limit_holds_the_longest_act_the_render_limits_allow_with_margin() {
        // Measured: a sealed procès-verbal is ~15 848 bytes a page plus ~77 KB.
        let measured = |pages: usize| pages * 15_848 + 77_500;
        for pages in [1, 100, 500, 2_000] {
            assert!(pdf_body_limit(2 << 20, pages) >= measured(pages) * 3 / 2, "{pages} pages");
        }
        assert_eq!(pdf_body_limit(64 << 20, 10), 64 << 20, "never below max_body_bytes");
        assert_eq!(pdf_body_limit(2 << 20, usize::MAX), usize::MAX, "saturates, never wraps");
    }
}
