//! `/api/v1/acts…` and `/api/v1/templates`.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::Serialize;

use super::AppState;
use super::access::{Audited, scope_of};
use super::error::{ApiError, Problem};
use super::input::JsonBody;
use super::range;
use crate::domain::ActId;
use crate::search::Scope;
use crate::service::{ActView, PdfBody, ServiceError};
use crate::store::StoreError;

/// `POST /api/v1/acts`: validate and store a draft; 201 with the act.
#[utoipa::path(post, path = "/api/v1/acts", tag = "acts",
    request_body(content = Object, description = "`{\"template\", \"collectivite\", \"data\"}`"),
    responses((status = 201, description = "the draft", body = Object),
              (status = 400, body = Problem), (status = 404, body = Problem),
              (status = 413, body = Problem), (status = 422, body = Problem),
              (status = 429, body = Problem)))]
pub async fn create(State(acta): State<AppState>, JsonBody(body): JsonBody) -> Result<Response, ApiError> {
    let act = acta.create_draft(&body).await?;
    let location = HeaderValue::from_str(&act.links.this).expect("ids are header-safe");
    let audited = Audited { act: Some(act.id), ..Audited::default() };
    let mut resp = (StatusCode::CREATED, [(header::LOCATION, location)], Json(act)).into_response();
    resp.extensions_mut().insert(audited);
    Ok(resp)
}

/// `GET /api/v1/acts/{id}`.
#[utoipa::path(get, path = "/api/v1/acts/{id}", tag = "acts", params(("id" = String, Path)),
    responses((status = 200, description = "the act", body = Object), (status = 404, body = Problem)))]
pub async fn get(
    State(acta): State<AppState>,
    Path(id): Path<String>,
    scope: Option<Extension<Scope>>,
) -> Result<Json<ActView>, ApiError> {
    let personal_data = scope_of(scope)?.personal_data();
    Ok(Json(acta.get_as(&act_id(&id)?, personal_data).await?))
}

/// `POST /api/v1/acts/{id}/seal`: number, render, hash, store; idempotent.
#[utoipa::path(post, path = "/api/v1/acts/{id}/seal", tag = "acts", params(("id" = String, Path)),
    responses((status = 200, description = "the sealed act", body = Object), (status = 404, body = Problem),
              (status = 422, body = Problem), (status = 429, body = Problem)))]
pub async fn seal(State(acta): State<AppState>, Path(id): Path<String>) -> Result<Json<ActView>, ApiError> {
    Ok(Json(acta.seal(&act_id(&id)?).await?))
}

/// `GET /api/v1/acts/{id}/pdf`: the sealed PDF, streamed, with HTTP range
/// support (`Range: bytes=…`); or a "PROJET" rendering of a draft.
#[utoipa::path(get, path = "/api/v1/acts/{id}/pdf", tag = "acts", params(("id" = String, Path)),
    responses((status = 200, content_type = "application/pdf", description = "the PDF"),
              (status = 206, content_type = "application/pdf", description = "a byte range"),
              (status = 404, body = Problem), (status = 416, description = "range outside the file")))]
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
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TemplateInfo {
    id: String,
    description: String,
    title: String,
    series: String,
}

/// `GET /api/v1/templates`.
#[utoipa::path(get, path = "/api/v1/templates", tag = "acts", responses((status = 200, body = Vec<TemplateInfo>)))]
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
