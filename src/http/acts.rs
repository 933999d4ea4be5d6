//! `/api/v1/acts…` and `/api/v1/templates`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::Value;

use super::AppState;
use super::error::ApiError;
use crate::domain::ActId;
use crate::service::{ActView, ServiceError};

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

/// `GET /api/v1/acts/{id}/pdf`: the sealed PDF, or a "PROJET" rendering of a draft.
pub async fn pdf(State(acta): State<AppState>, Path(id): Path<String>) -> Result<Response, ApiError> {
    let pdf = acta.pdf(&act_id(&id)?).await?;
    let disposition = format!("inline; filename=\"{}\"", pdf.filename);
    let headers = [
        (header::CONTENT_TYPE, HeaderValue::from_static("application/pdf")),
        (header::CONTENT_DISPOSITION, HeaderValue::from_str(&disposition).expect("ASCII file name")),
        // A draft's rendering changes with its template; a sealed PDF never does.
        (
            header::CACHE_CONTROL,
            HeaderValue::from_static(if pdf.sealed {
                "private, max-age=31536000, immutable"
            } else {
                "no-store"
            }),
        ),
    ];
    Ok((headers, pdf.bytes).into_response())
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
