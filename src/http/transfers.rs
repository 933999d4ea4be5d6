//! `/api/v1/transfers…`: SEDA transfers to electronic archiving. Handlers
//! are thin: the work is in [`crate::service::archive`].

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::access::Audited;
use super::error::{ApiError, Problem};
use super::input::{JsonBody, RawBody};
use crate::catalog::FieldError;
use crate::service::ServiceError;
use crate::service::archive::{ArchiveError, TransferId, TransferSpec, TransferView};

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
    Path(id): Path<String>,
    RawBody(body): RawBody,
) -> Result<Response, TransferError> {
    let id = transfer_id(&id)?;
    let transfer = acta.ingest_reply(&id, &body).await?;
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
