//! `/api/v1/quarantine…`: archive replies refused because they name no
//! transfer within reach, kept for the archivist (see
//! [`crate::service::archive`], `quarantine.rs`). Every route is limited to
//! the caller's scope: a reply posted to a transfer of another collectivité
//! is answered `404 quarantine_not_found`, like an unknown one.

use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::Serialize;

use super::AppState;
use super::access::Audited;
use super::error::Problem;
use super::input::JsonBody;
use super::transfers::TransferError;
use crate::auth::Caller;
use crate::catalog::FieldError;
use crate::service::archive::{ArchiveError, QuarantineId, QuarantinedReply, Uploader};

/// The replies waiting in quarantine.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct QuarantineList {
    /// Those the caller sees, newest first.
    pub replies: Vec<QuarantinedReply>,
    /// How many wait in all (every collectivité).
    pub waiting: usize,
    /// How many may wait at most (`max_quarantined`).
    pub max: usize,
}

/// `GET /api/v1/quarantine`: the replies waiting in quarantine, in scope.
#[utoipa::path(get, path = "/api/v1/quarantine", tag = "transfers",
    responses((status = 200, description = "the replies waiting", body = QuarantineList)))]
pub async fn list(
    State(acta): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<QuarantineList>, TransferError> {
    let (replies, waiting) = acta.quarantined_replies(caller.collectivites()).await?;
    Ok(Json(QuarantineList { replies, waiting, max: acta.archive_config().max_quarantined() }))
}

/// `GET /api/v1/quarantine/{id}`: one reply in quarantine (acknowledged or not).
#[utoipa::path(get, path = "/api/v1/quarantine/{id}", tag = "transfers", params(("id" = String, Path)),
    responses((status = 200, description = "the reply", body = QuarantinedReply), (status = 404, body = Problem)))]
pub async fn get(
    State(acta): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Json<QuarantinedReply>, TransferError> {
    Ok(Json(acta.quarantined_reply(quarantine_id(&id)?, caller.collectivites()).await?))
}

/// `GET /api/v1/quarantine/{id}/xml`: the reply as received.
#[utoipa::path(get, path = "/api/v1/quarantine/{id}/xml", tag = "transfers", params(("id" = String, Path)),
    responses((status = 200, content_type = "application/xml", description = "the XML"),
              (status = 404, body = Problem)))]
pub async fn xml(
    State(acta): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Response, TransferError> {
    let id = quarantine_id(&id)?;
    let bytes = acta.quarantined_xml(id, caller.collectivites()).await?;
    Ok(xml_download(id, bytes))
}

/// The XML of reply `id` as an attachment.
pub fn xml_download(id: QuarantineId, bytes: bytes::Bytes) -> Response {
    let disposition = format!("attachment; filename=\"quarantaine-{id}.xml\"");
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("application/xml")),
            (header::CONTENT_DISPOSITION, HeaderValue::from_str(&disposition).expect("ASCII file name")),
        ],
        bytes,
    )
        .into_response()
}

/// `POST /api/v1/quarantine/{id}/acknowledge` `{"note"}`: the reply was dealt
/// with; it leaves the list (it is kept: the store never deletes).
#[utoipa::path(post, path = "/api/v1/quarantine/{id}/acknowledge", tag = "transfers",
    params(("id" = String, Path)),
    request_body(content = Object, description = "`{\"note\": \"…\"}` (optional, 500 characters at most)"),
    responses((status = 200, description = "the reply, acknowledged", body = QuarantinedReply),
              (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn acknowledge(
    State(acta): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Response, TransferError> {
    let id = quarantine_id(&id)?;
    let note = match body.get("note") {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(s)) => Some(s.clone()),
        Some(_) => return Err(ArchiveError::field("/note", "doit être un texte").into()),
    };
    if let Some(other) = body.as_object().and_then(|o| o.keys().find(|k| *k != "note")) {
        return Err(ArchiveError::Invalid(vec![FieldError {
            path: format!("/{other}"),
            message: "champ inconnu".into(),
        }])
        .into());
    }
    let by = Uploader::of(&caller);
    let reply = acta.acknowledge_quarantined(id, caller.collectivites(), &by, note.as_deref()).await?;
    let audited = Audited {
        action: Some("quarantine.acknowledge"),
        collectivite: reply.collectivite.clone(),
        target: Some(format!("quarantaine {id}")),
        ..Audited::default()
    };
    let mut resp = Json(reply).into_response();
    resp.extensions_mut().insert(audited);
    Ok(resp)
}

/// An id that does not parse is answered like an unknown one.
fn quarantine_id(raw: &str) -> Result<QuarantineId, TransferError> {
    raw.parse().map_err(|_| TransferError(ArchiveError::QuarantineNotFound))
}
