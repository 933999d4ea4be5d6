//! `/api/v1/campaigns/{id}/samples…`: a few rows of a recorded campaign
//! rendered as PROJET PDFs, to look at before launching it
//! ([`crate::campaign::sample`]). Same rules as the other campaign
//! endpoints: admin and gestionnaire, a campaign outside the caller's scope
//! answers as unknown.

use axum::Extension;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::AppState;
use super::campaigns::{problem, visible};
use super::error::Problem;
use crate::auth::Caller;
use crate::campaign::{record, sample};

/// The sample of a campaign.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Samples {
    /// The rows of the sample: the first, the last and some between.
    exemples: Vec<SampleLink>,
}

/// One sample row and where its PDF is.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SampleLink {
    #[serde(flatten)]
    sample: sample::Sample,
    /// `GET` it for the PROJET PDF.
    pdf: String,
}

/// `GET /api/v1/campaigns/{id}/samples`: the rows of the sample.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}/samples", tag = "campaigns", params(("id" = String, Path)),
    responses((status = 200, body = Samples), (status = 404, body = Problem)))]
pub async fn list(
    State(acta): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Response, Response> {
    let (id, _) = visible(&acta, &caller, &id).await?;
    let rows = record::rows(acta.store(), &id).await.map_err(problem)?;
    let exemples = sample::of(&rows)
        .into_iter()
        .map(|s| SampleLink { pdf: format!("/api/v1/campaigns/{id}/samples/{}", s.ligne), sample: s })
        .collect();
    Ok(Json(Samples { exemples }).into_response())
}

/// `GET /api/v1/campaigns/{id}/samples/{line}`: the row of line `line`
/// (any row of the campaign) rendered as a PROJET PDF: no number, nothing
/// stored.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}/samples/{line}", tag = "campaigns",
    params(("id" = String, Path), ("line" = usize, Path, description = "line of the row in the source file")),
    responses((status = 200, content_type = "application/pdf", description = "the PROJET PDF"),
              (status = 404, body = Problem)))]
pub async fn pdf(
    State(acta): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((id, line)): Path<(String, String)>,
) -> Result<Response, Response> {
    let (id, _) = visible(&acta, &caller, &id).await?;
    let rows = record::rows(acta.store(), &id).await.map_err(problem)?;
    let row = line.parse::<usize>().ok().and_then(|l| sample::row_at(&rows, l).ok()).ok_or_else(|| {
        Problem::new(
            axum::http::StatusCode::NOT_FOUND,
            "campaign_row_not_found",
            "Ligne introuvable",
            format!("la campagne n’a pas de ligne {line} à faire"),
        )
        .into_response()
    })?;
    let pdf = sample::render(&acta, row.body.clone()).await.map_err(problem)?;
    let disposition = format!("inline; filename=\"campagne-{id}-ligne-{}.pdf\"", row.line);
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("application/pdf")),
            (header::CONTENT_DISPOSITION, HeaderValue::from_str(&disposition).expect("ascii")),
        ],
        pdf,
    )
        .into_response())
}
