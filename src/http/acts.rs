//! `/api/v1/acts…` and `/api/v1/templates`.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::Serialize;

use super::AppState;
use super::access::{Audited, scope_of};
use super::conditional;
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
    headers: HeaderMap,
    scope: Option<Extension<Scope>>,
) -> Result<Response, ApiError> {
    let personal_data = scope_of(scope)?.personal_data();
    let view = acta.get_as(&act_id(&id)?, personal_data).await?;
    let Some(sha256) = view.sha256.clone() else {
        let mut r = Json(view).into_response();
        r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(conditional::DRAFT));
        return Ok(r);
    };
    // Sealed: tagged by what this caller is shown (withdrawals, archives and
    // the caller's role change it).
    let json = serde_json::to_vec(&view).map_err(|e| ServiceError::Internal(format!("act view: {e}")))?;
    let tag = conditional::view_tag(&sha256, &json);
    if conditional::none_match(&headers, &tag) {
        return Ok(conditional::not_modified(&tag, conditional::SEALED_VIEW));
    }
    let mut r =
        ([(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], json).into_response();
    conditional::tag_response(&mut r, &tag, conditional::SEALED_VIEW);
    Ok(r)
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
    let id = act_id(&id)?;
    // A caller holding the sealed PDF already: 304, without reading it.
    if headers.contains_key(header::IF_NONE_MATCH)
        && let Some(facts) = acta.sealed_facts(&id).await?
    {
        let tag = conditional::pdf_tag(&facts.sha256);
        if conditional::none_match(&headers, &tag) {
            return Ok(conditional::not_modified(&tag, conditional::SEALED_PDF));
        }
    }
    let range = headers.get(header::RANGE).and_then(|v| v.to_str().ok()).and_then(range::parse);
    let ranged = range.is_some();
    let pdf = match acta.pdf(&id, range).await {
        Err(ServiceError::Store(StoreError::RangeNotSatisfiable { size })) => {
            return Ok(range::not_satisfiable(size));
        }
        other => other?,
    };
    let mut response = match pdf.body {
        PdfBody::Sealed(read) if ranged => range::partial(read),
        PdfBody::Sealed(read) => range::full(read),
        PdfBody::Memory(bytes) => range::whole(bytes),
        PdfBody::Draft(bytes) => {
            // A draft's rendering changes with its template: never cached.
            ([(header::CACHE_CONTROL, HeaderValue::from_static(conditional::DRAFT))], bytes).into_response()
        }
    };
    if let Some(sha256) = &pdf.sha256 {
        conditional::tag_response(&mut response, &conditional::pdf_tag(sha256), conditional::SEALED_PDF);
    }
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
