//! `/api/v1/acts…` and `/api/v1/templates`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::Value;

use super::AppState;
use super::error::ApiError;
use super::range;
use crate::domain::ActId;
use crate::service::{ActView, PdfBody, ServiceError};
use crate::store::StoreError;

/// `POST /api/v1/acts`: validate and store a draft; 201 with the act.
pub async fn create(
    State(acta): State<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = json_body(body)?;
    let act = acta.create_draft(&body).await?;
    let location = HeaderValue::from_str(&act.links.this).expect("ids are header-safe");
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], Json(act)).into_response())
}

/// `GET /api/v1/acts/{id}`.
pub async fn get(State(acta): State<AppState>, Path(id): Path<String>) -> Result<Json<ActView>, ApiError> {
    Ok(Json(acta.get(&act_id(&id)?).await?))
}

/// `POST /api/v1/acts/{id}/seal`: number, render, hash, store; idempotent.
pub async fn seal(State(acta): State<AppState>, Path(id): Path<String>) -> Result<Json<ActView>, ApiError> {
    Ok(Json(acta.seal(&act_id(&id)?).await?))
}

/// `GET /api/v1/acts/{id}/pdf`: the sealed PDF, streamed, with HTTP range
/// support (`Range: bytes=…`); or a "PROJET" rendering of a draft.
pub async fn pdf(
    State(acta): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let range = headers.get(header::RANGE).and_then(|v| v.to_str().ok()).and_then(range::parse);
    let ranged = range.is_some();
    let pdf = match acta.pdf(&act_id(&id)?, range).await {
        Err(ServiceError::Store(StoreError::RangeNotSatisfiable { size })) => {
            return Ok(range::not_satisfiable(size));
        }
        other => other?,
    };
    let mut response = match pdf.body {
        PdfBody::Sealed(read) if ranged => range::partial(read),
        PdfBody::Sealed(read) => range::full(read),
        PdfBody::Draft(bytes) => {
            // A draft's rendering changes with its template: never cached.
            ([(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))], bytes).into_response()
        }
    };
    let disposition = format!("inline; filename=\"{}\"", pdf.filename);
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/pdf"));
    h.insert(header::CONTENT_DISPOSITION, HeaderValue::from_str(&disposition).expect("ASCII file name"));
    Ok(response)
}

/// One template, as listed by `GET /api/v1/templates`.
#[derive(Debug, Serialize)]
pub struct TemplateInfo {
    id: String,
    description: String,
    title: String,
    series: String,
}

/// `GET /api/v1/templates`.
pub async fn templates(State(acta): State<AppState>) -> Json<Vec<TemplateInfo>> {
    Json(
        acta.catalog()
            .iter()
            .map(|t| TemplateInfo {
                id: t.id.to_string(),
                description: t.description.clone(),
                title: t.title.clone(),
                series: t.series.to_string(),
            })
            .collect(),
    )
}

/// An id that does not parse is answered like an unknown one, so that ids
/// cannot be probed and path tricks never reach the store.
fn act_id(raw: &str) -> Result<ActId, ApiError> {
    raw.parse().map_err(|_| ServiceError::ActNotFound.into())
}

fn json_body(body: Result<Bytes, BytesRejection>) -> Result<Value, ApiError> {
    let bytes = body.map_err(|r| match r.status() {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge,
        _ => ApiError::MalformedJson(r.body_text()),
    })?;
    serde_json::from_slice(&bytes).map_err(|e| ApiError::MalformedJson(e.to_string()))
}
