//! `/api/v1/transfers…`: SEDA transfers to electronic archiving. Handlers
//! are thin: the work is in [`crate::service::archive`].

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};

use super::access::{Audited, Gate};
use super::error::{ApiError, Problem};
use super::input::{JsonBody, RawBody};
use super::{AppState, REQUEST_ID};
use crate::auth::{AuditEntry, Caller};
use crate::catalog::FieldError;
use crate::service::ServiceError;
use crate::service::archive::{
    ArchiveError, ListQuery, MAX_PAGE, Quarantined, TransferId, TransferList, TransferSpec, TransferView,
    Uploader,
};

/// `POST /api/v1/transfers`: select sealed acts, write and store the SIP,
/// record the transfer; 201 with it.
#[utoipa::path(post, path = "/api/v1/transfers", tag = "transfers",
    request_body(content = TransferSpec, description = "the selection: `acts`, or `seance`, or `from`/`to`/`kinds`"),
    responses((status = 201, description = "the transfer", body = TransferView),
              (status = 400, body = Problem), (status = 404, body = Problem),
              (status = 422, body = Problem)))]
pub async fn create(
    State(acta): State<AppState>,
    JsonBody(body): JsonBody,
) -> Result<Response, TransferError> {
    // An empty list must not fall through to the selection by dates, which,
    // without dates or kinds, is every sealed act of the collectivité.
    if body.get("acts").and_then(|a| a.as_array()).is_some_and(|a| a.is_empty()) {
        return Err(
            ArchiveError::field("/acts", "la liste des actes est vide : nommez au moins un acte").into()
        );
    }
    let spec: TransferSpec = serde_json::from_value(body).map_err(|e| {
        ArchiveError::Invalid(vec![FieldError {
            path: String::new(),
            message: format!("corps invalide : {e}"),
        }])
    })?;
    let transfer = acta.create_transfer(spec, None, None).await?;
    let location = HeaderValue::from_str(&transfer.links.this).expect("ids are header-safe");
    let audited = Audited {
        action: Some("transfer.create"),
        collectivite: Some(transfer.collectivite.clone()),
        target: Some(transfer.id.to_string()),
        ..Audited::default()
    };
    let mut resp = (StatusCode::CREATED, [(header::LOCATION, location)], Json(transfer)).into_response();
    resp.extensions_mut().insert(audited);
    Ok(resp)
}

/// Rows of a page of `GET /api/v1/transfers` when `limit` is not given.
const DEFAULT_PAGE: usize = 50;

/// `GET /api/v1/transfers?collectivite=&before=&limit=`: the transfers of
/// the caller's scope, newest first, one page at a time (from the summary
/// index: no transfer record is read).
#[utoipa::path(get, path = "/api/v1/transfers", tag = "transfers",
    params(("collectivite" = Option<String>, Query, description = "one collectivité (SIREN)"),
           ("before" = Option<String>, Query, description = "the previous page's `next`"),
           ("limit" = Option<usize>, Query, description = "rows, 1 to 200 (50)")),
    responses((status = 200, description = "`{transfers, next}`", body = TransferList),
              (status = 400, body = Problem)))]
pub async fn list(
    State(acta): State<AppState>,
    Extension(caller): Extension<Caller>,
    Query(params): Query<Vec<(String, String)>>,
) -> Result<Json<TransferList>, Response> {
    let query = list_query(&params).map_err(IntoResponse::into_response)?;
    let list = acta.list_transfers(caller.collectivites(), &query).await;
    Ok(Json(list.map_err(|e| TransferError(e).into_response())?))
}

/// The list's parameters, each checked (400 `invalid_parameter` naming it).
fn list_query(params: &[(String, String)]) -> Result<ListQuery, ApiError> {
    let bad = ApiError::InvalidParameter;
    let mut q = ListQuery { collectivite: None, before: None, limit: DEFAULT_PAGE };
    for (k, v) in super::input::once(params)? {
        match k.as_str() {
            "collectivite" => {
                q.collectivite =
                    Some(v.parse().map_err(|e| bad(format!("le paramètre « collectivite » : {e}")))?);
            }
            "before" => {
                q.before = Some(v.parse().map_err(|_| {
                    bad(format!("le paramètre « before » attend l'identifiant d'un transfert (reçu « {v} »)"))
                })?);
            }
            "limit" => {
                q.limit = v.parse().ok().filter(|n| (1..=MAX_PAGE).contains(n)).ok_or_else(|| {
                    bad(format!("le paramètre « limit » attend un nombre de 1 à {MAX_PAGE} (reçu « {v} »)"))
                })?;
            }
            other => return Err(bad(format!("paramètre inconnu « {other} »"))),
        }
    }
    Ok(q)
}

/// `GET /api/v1/transfers/{id}`: the transfer and its status.
#[utoipa::path(get, path = "/api/v1/transfers/{id}", tag = "transfers", params(("id" = String, Path)),
    responses((status = 200, description = "the transfer", body = TransferView), (status = 404, body = Problem)))]
pub async fn get(
    State(acta): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<TransferView>, TransferError> {
    Ok(Json(acta.transfer(&transfer_id(&id)?).await?))
}

/// `GET /api/v1/transfers/{id}/sip`: the SIP (zip), streamed.
#[utoipa::path(get, path = "/api/v1/transfers/{id}/sip", tag = "transfers", params(("id" = String, Path)),
    responses((status = 200, content_type = "application/zip", description = "the SIP"),
              (status = 404, body = Problem)))]
pub async fn sip(State(acta): State<AppState>, Path(id): Path<String>) -> Result<Response, TransferError> {
    let id = transfer_id(&id)?;
    let mut resp = super::range::full(acta.transfer_sip(&id).await?);
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/zip"));
    let disposition = format!("attachment; filename=\"sip-{id}.zip\"");
    h.insert(header::CONTENT_DISPOSITION, HeaderValue::from_str(&disposition).expect("ASCII file name"));
    Ok(resp)
}

/// `POST /api/v1/transfers/{id}/reply`: ingest the archive's Acknowledgement
/// or ArchiveTransferReply (XML body, Vitam or As@lae style).
#[utoipa::path(post, path = "/api/v1/transfers/{id}/reply", tag = "transfers", params(("id" = String, Path)),
    request_body(content = String, content_type = "application/xml", description = "the SEDA reply"),
    responses((status = 200, description = "the transfer, updated", body = TransferView),
              (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn reply(
    State(acta): State<AppState>,
    Extension(gate): Extension<Arc<Gate>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> Result<Response, TransferError> {
    let id = transfer_id(&id)?;
    let by = Uploader::of(&caller);
    let transfer = match acta.ingest_or_quarantine(&id, &body, &by, caller.collectivites()).await {
        Err(e @ ArchiveError::Quarantined { kept: Quarantined::Kept(q), .. }) => {
            // Refused (422), so the gate writes no entry: this one says who
            // left what in quarantine.
            let entry = AuditEntry {
                token_id: caller.token_id().cloned(),
                user: caller.user().map(ToString::to_string),
                collectivite: acta.transfer_owner(&id).await.ok(),
                target: Some(format!("quarantaine {q} (transfert {id})")),
                request_id: headers.get(REQUEST_ID).and_then(|v| v.to_str().ok()).map(str::to_owned),
                ..AuditEntry::new("api", caller.role, "transfer.reply.quarantine")
            };
            if let Err(err) = gate.audit().record(&entry).await {
                tracing::error!(error = %err, "audit entry could not be written");
            }
            return Err(e.into());
        }
        other => other?,
    };
    let audited = Audited { action: Some("transfer.reply"), ..Audited::default() };
    let mut resp = Json(transfer).into_response();
    resp.extensions_mut().insert(audited);
    Ok(resp)
}

/// An id that does not parse is answered like an unknown one.
fn transfer_id(raw: &str) -> Result<TransferId, TransferError> {
    raw.parse().map_err(|_| TransferError(ServiceError::TransferNotFound.into()))
}

/// A transfer failure, as `application/problem+json`.
#[derive(Debug)]
pub struct TransferError(pub ArchiveError);

impl From<ArchiveError> for TransferError {
    fn from(e: ArchiveError) -> Self {
        Self(e)
    }
}

impl IntoResponse for TransferError {
    fn into_response(self) -> Response {
        use StatusCode as S;
        let unprocessable =
            |code, title, detail: String| Problem::new(S::UNPROCESSABLE_ENTITY, code, title, detail);
        match self.0 {
            ArchiveError::Quarantined { refusal, kept } => {
                let (code, title) = match *refusal {
                    ArchiveError::ReplyUnidentified { .. } => {
                        ("reply_unidentified", "Réponse sans transfert")
                    }
                    _ => ("reply_not_for_transfer", "Réponse d'un autre transfert"),
                };
                quarantined(unprocessable(code, title, format!("{refusal} ; {kept}")), kept)
            }
            ArchiveError::QuarantineNotFound => Problem::new(
                S::NOT_FOUND,
                "quarantine_not_found",
                "Réponse en quarantaine introuvable",
                ArchiveError::QuarantineNotFound.to_string(),
            )
            .into_response(),
            e @ ArchiveError::QuarantineAcknowledged(_) => {
                Problem::new(S::CONFLICT, "quarantine_acknowledged", "Réponse déjà traitée", e.to_string())
                    .into_response()
            }
            ArchiveError::Service(e) => ApiError::Service(e).into_response(),
            ArchiveError::Invalid(errors) => ApiError::Service(ServiceError::Invalid(errors)).into_response(),
            ArchiveError::EmptySelection => unprocessable(
                "selection_empty",
                "Sélection vide",
                "aucun acte scellé ne correspond à la sélection".into(),
            )
            .into_response(),
            e @ ArchiveError::Refused(_) => {
                unprocessable("selection_refused", "Sélection refusée", e.to_string()).into_response()
            }
            e @ ArchiveError::BadReply(_) => {
                unprocessable("reply_invalid", "Réponse d'archivage illisible", e.to_string()).into_response()
            }
            e @ ArchiveError::ReplyMismatch { .. } => {
                unprocessable("reply_not_for_transfer", "Réponse d'un autre transfert", e.to_string())
                    .into_response()
            }
            e @ ArchiveError::ReplyUnidentified { .. } => {
                unprocessable("reply_unidentified", "Réponse sans transfert", e.to_string()).into_response()
            }
            e @ ArchiveError::TooManyAcknowledgements { .. } => Problem::new(
                S::CONFLICT,
                "acknowledgements_exhausted",
                "Trop d'accusés de réception",
                e.to_string(),
            )
            .into_response(),
            e @ ArchiveError::Settled(_) => {
                Problem::new(S::CONFLICT, "transfer_settled", "Transfert déjà clos", e.to_string())
                    .into_response()
            }
            ArchiveError::Sip(e) => ApiError::Service(ServiceError::Internal(e.to_string())).into_response(),
        }
    }
}

/// The refusal's `problem`, completed with what became of the reply:
/// `quarantine` `{id, href}` when kept, `quarantine_refused` (a stable code)
/// when not; its detail says it in French.
fn quarantined(problem: Problem, kept: Quarantined) -> Response {
    let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
    let mut body = serde_json::to_value(&problem).expect("problems serialise");
    match kept {
        Quarantined::Kept(q) => {
            body["quarantine"] =
                serde_json::json!({"id": q.to_string(), "href": format!("/api/v1/quarantine/{q}")});
        }
        Quarantined::Refused(why) => body["quarantine_refused"] = why.code().into(),
    }
    let mut resp = (status, Json(body)).into_response();
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(super::error::PROBLEM_JSON));
    resp
}
