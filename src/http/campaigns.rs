//! `/api/v1/campaigns…`: check a spreadsheet and record the campaign, run
//! it in the background, follow it, cancel it, download each collectivité's
//! delivery; the column mappings saved per template. Admin and gestionnaire
//! only; a campaign is visible to a caller who acts for every collectivité
//! it concerns, else it answers as unknown (404 `campaign_not_found`).

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::Extension;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::AppState;
use super::error::{ApiError, Problem};
use super::input::Params;
use crate::auth::{Caller, Principal};
use crate::campaign::{self, CampaignError, CampaignId, CheckReport, Mapping, Source, check, record, run};
use crate::domain::{Siren, TemplateId};

type Answer = Result<Response, Response>;

/// Query of `POST /api/v1/campaigns`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct CheckQuery {
    /// Template whose saved column mapping reads a spreadsheet.
    template: Option<String>,
    /// Name of the source file (its extension tells the format when the
    /// content type does not).
    name: Option<String>,
    /// Lines to leave out, comma-separated.
    exclude: Option<String>,
    /// Check only, record nothing.
    #[serde(default)]
    dry_run: bool,
}

/// The answer of `POST /api/v1/campaigns`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Created {
    /// The campaign, once recorded (`null` for a dry run).
    campagne: Option<campaign::Campaign>,
    /// The check report.
    rapport: CheckReport,
}

/// A refused campaign: a problem with the check report.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Refused {
    #[serde(flatten)]
    problem: Problem,
    /// The check report, every problem by line and column.
    rapport: CheckReport,
}

pub(super) fn problem(e: CampaignError) -> Response {
    use StatusCode as S;
    match e {
        CampaignError::Service(s) => ApiError::Service(s).into_response(),
        CampaignError::Store(s) => ApiError::Service(s.into()).into_response(),
        CampaignError::UnknownTemplate(t) => {
            ApiError::Service(crate::service::ServiceError::UnknownTemplate(t)).into_response()
        }
        CampaignError::NotFound => Problem::new(
            S::NOT_FOUND,
            "campaign_not_found",
            "Campagne introuvable",
            "aucune campagne ne porte cet identifiant".into(),
        )
        .into_response(),
        CampaignError::NoMapping(t) => Problem::new(
            S::NOT_FOUND,
            "mapping_not_found",
            "Correspondance de colonnes introuvable",
            format!("aucune correspondance de colonnes n’est enregistrée pour le modèle « {t} »"),
        )
        .into_response(),
        e @ (CampaignError::Source(_) | CampaignError::Mapping(_)) => Problem::new(
            S::UNPROCESSABLE_ENTITY,
            "campaign_source_invalid",
            "Fichier de campagne inutilisable",
            e.to_string(),
        )
        .into_response(),
        CampaignError::Running => Problem::new(
            S::CONFLICT,
            "campaign_running",
            "Campagne en cours",
            "la campagne est déjà en cours d’exécution".into(),
        )
        .into_response(),
        other => {
            tracing::error!(error = %other, "campaign operation failed");
            ApiError::Service(crate::service::ServiceError::Internal(other.to_string())).into_response()
        }
    }
}

fn who(caller: &Caller) -> String {
    match &caller.principal {
        Principal::Token(id) => format!("token {id}"),
        Principal::User(login) => format!("user {login}"),
    }
}

/// The campaign `id`, if the caller acts for every collectivité of it.
pub(super) async fn visible(
    acta: &AppState,
    caller: &Caller,
    id: &str,
) -> Result<(CampaignId, campaign::Campaign), Response> {
    let id: CampaignId = id.parse().map_err(problem)?;
    let c = record::load(acta.store(), &id).await.map_err(problem)?;
    if !c.collectivites.iter().all(|s| caller.acts_for(s)) {
        return Err(problem(CampaignError::NotFound));
    }
    Ok((id, c))
}

/// `POST /api/v1/campaigns`: check every row of the file in the body (CSV,
/// XLSX or JSON Lines); 201 with the recorded campaign when every row is
/// valid or excluded, else 422 `campaign_rows_invalid` with the report (as
/// CSV with `Accept: text/csv`, as XLSX with `Accept:` the XLSX type). Nothing is made here.
#[utoipa::path(post, path = "/api/v1/campaigns", tag = "campaigns", params(CheckQuery),
    request_body(content = String, description = "the file: text/csv, XLSX or application/x-ndjson"),
    responses((status = 201, body = Created), (status = 200, description = "dry run", body = Created),
              (status = 404, body = Problem), (status = 422, body = Refused)))]
pub async fn create(
    State(acta): State<AppState>,
    Extension(caller): Extension<Caller>,
    Params(q): Params<CheckQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let name = q.name.as_deref().and_then(campaign::source::file_name).unwrap_or_else(|| {
        match content_type {
            t if t.contains("spreadsheetml") => "campagne.xlsx",
            t if t.contains("ndjson") || t.contains("jsonl") => "campagne.jsonl",
            _ => "campagne.csv",
        }
        .to_owned()
    });
    let exclude: BTreeSet<usize> = match q.exclude.as_deref().filter(|s| !s.trim().is_empty()) {
        None => BTreeSet::new(),
        Some(s) => s.split(',').map(|n| n.trim().parse()).collect::<Result<_, _>>().map_err(|_| {
            ApiError::InvalidParameter("exclude : numéros de ligne séparés par des virgules attendus".into())
                .into_response()
        })?,
    };
    let source = Source::read(&name, &body).map_err(problem)?;
    let mapping = match (&source, &q.template) {
        (Source::Table(_), Some(t)) => {
            let t: TemplateId = t.parse().map_err(|_| {
                ApiError::InvalidParameter("template : identifiant de modèle invalide".into()).into_response()
            })?;
            Some(
                Mapping::load(acta.store(), &t)
                    .await
                    .map_err(problem)?
                    .ok_or(CampaignError::NoMapping(t))
                    .map_err(problem)?,
            )
        }
        (Source::Table(_), None) => {
            return Err(ApiError::InvalidParameter(
                "template : le modèle dont la correspondance de colonnes lit ce tableur est requis".into(),
            )
            .into_response());
        }
        _ => None,
    };
    let checker = Arc::clone(&acta);
    let scope = caller.clone();
    let checked = tokio::task::spawn_blocking(move || {
        let in_scope = |s: &Siren| scope.acts_for(s);
        let options = check::Options { mapping: mapping.as_ref(), exclude: &exclude, in_scope: &in_scope };
        check::check(&checker, &source, &options)
    })
    .await
    .map_err(|e| problem(CampaignError::Corrupt(format!("check task: {e}"))))?
    .map_err(problem)?;
    if !checked.report.pret {
        let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or_default();
        if accept.contains("spreadsheetml") {
            let xlsx = campaign::report::xlsx(&checked.report).map_err(problem)?;
            return Err((
                StatusCode::UNPROCESSABLE_ENTITY,
                [(header::CONTENT_TYPE, campaign::report::XLSX_TYPE)],
                xlsx,
            )
                .into_response());
        }
        if accept.contains("text/csv") {
            let csv = check::errors_csv(&checked.report);
            return Err((
                StatusCode::UNPROCESSABLE_ENTITY,
                [(header::CONTENT_TYPE, "text/csv; charset=utf-8")],
                csv,
            )
                .into_response());
        }
        let n = checked.report.invalides;
        let problem = Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "campaign_rows_invalid",
            "Lignes à corriger",
            if checked.report.valides == 0 && n == 0 {
                "le fichier ne contient aucune ligne à faire ; aucun acte n’a été fait".into()
            } else {
                format!("{n} ligne(s) à corriger ou à exclure ; aucun acte n’a été fait")
            },
        );
        let mut resp = (StatusCode::UNPROCESSABLE_ENTITY, Json(Refused { problem, rapport: checked.report }))
            .into_response();
        resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        return Err(resp);
    }
    if q.dry_run {
        return Ok(Json(Created { campagne: None, rapport: checked.report }).into_response());
    }
    let c = record::create(acta.store(), &checked, &name, &who(&caller)).await.map_err(problem)?;
    let location =
        HeaderValue::from_str(&format!("/api/v1/campaigns/{}", c.id)).expect("ids are header-safe");
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(Created { campagne: Some(c), rapport: checked.report }),
    )
        .into_response())
}

/// `GET /api/v1/campaigns/{id}`: every row made (with its number), to make
/// or failed, the runs, and the live progress while it runs.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}", tag = "campaigns", params(("id" = String, Path)),
    responses((status = 200, body = campaign::status::Status), (status = 404, body = Problem)))]
pub async fn get(
    State(acta): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Answer {
    let (id, _) = visible(&acta, &caller, &id).await?;
    Ok(Json(campaign::status::status(&acta, &id).await.map_err(problem)?).into_response())
}

/// `POST /api/v1/campaigns/{id}/run`: make every act not made yet, in the
/// background; 202 at once (resumable: run it again after a stop).
#[utoipa::path(post, path = "/api/v1/campaigns/{id}/run", tag = "campaigns", params(("id" = String, Path)),
    responses((status = 202, description = "started"), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn start(
    State(acta): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Answer {
    let (id, _) = visible(&acta, &caller, &id).await?;
    crate::campaign::launch::launch(&acta, id).map_err(problem)?;
    let location = HeaderValue::from_str(&format!("/api/v1/campaigns/{id}")).expect("ids are header-safe");
    Ok((StatusCode::ACCEPTED, [(header::LOCATION, location)]).into_response())
}

/// `POST /api/v1/campaigns/{id}/cancel`: stop the run (acts in progress
/// finish, no new one starts); 202, or 409 `campaign_not_running`.
#[utoipa::path(post, path = "/api/v1/campaigns/{id}/cancel", tag = "campaigns", params(("id" = String, Path)),
    responses((status = 202, description = "cancelling"), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn cancel(
    State(acta): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Answer {
    let (id, _) = visible(&acta, &caller, &id).await?;
    match run::running(&id) {
        Some(p) => {
            p.cancel();
            Ok(StatusCode::ACCEPTED.into_response())
        }
        None => Err(Problem::new(
            StatusCode::CONFLICT,
            "campaign_not_running",
            "Campagne à l’arrêt",
            "la campagne n’est pas en cours d’exécution".into(),
        )
        .into_response()),
    }
}

/// Query of the export.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ExportQuery {
    /// The collectivité whose delivery is wanted (SIREN).
    collectivite: String,
}

/// `GET /api/v1/campaigns/{id}/export?collectivite=…`: the collectivité's
/// delivery, a ZIP of its sealed PDFs and its bordereau.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}/export", tag = "campaigns",
    params(("id" = String, Path), ExportQuery),
    responses((status = 200, content_type = "application/zip", description = "the ZIP"),
              (status = 404, body = Problem)))]
pub async fn export(
    State(acta): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    Params(q): Params<ExportQuery>,
) -> Answer {
    let (id, c) = visible(&acta, &caller, &id).await?;
    let siren: Siren = q.collectivite.parse().map_err(|_| {
        ApiError::InvalidParameter("collectivite : SIREN de 9 chiffres attendu".into()).into_response()
    })?;
    if !c.collectivites.contains(&siren) {
        return Err(
            ApiError::Service(crate::service::ServiceError::UnknownCollectivite(siren)).into_response()
        );
    }
    let mut delivery = None;
    campaign::export::export(&acta, &id, Some(&siren), |d| {
        delivery = Some(d);
        Ok(())
    })
    .await
    .map_err(problem)?;
    let d = delivery.ok_or_else(|| problem(CampaignError::NotFound))?;
    let disposition = format!("attachment; filename=\"campagne-{id}-{siren}.zip\"");
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("application/zip")),
            (header::CONTENT_DISPOSITION, HeaderValue::from_str(&disposition).expect("ascii")),
        ],
        d.zip,
    )
        .into_response())
}

/// `GET /api/v1/campaigns/mappings/{template}`: the template's current mapping.
#[utoipa::path(get, path = "/api/v1/campaigns/mappings/{template}", tag = "campaigns",
    params(("template" = String, Path)), responses((status = 200, body = Mapping), (status = 404, body = Problem)))]
pub async fn get_mapping(State(acta): State<AppState>, Path(template): Path<String>) -> Answer {
    let t: TemplateId = template.parse().map_err(|_| {
        problem(CampaignError::NoMapping(template.parse().unwrap_or_else(|_| "x".parse().expect("valid"))))
    })?;
    let m = Mapping::load(acta.store(), &t)
        .await
        .map_err(problem)?
        .ok_or(CampaignError::NoMapping(t))
        .map_err(problem)?;
    Ok(Json(m).into_response())
}

/// `PUT /api/v1/campaigns/mappings/{template}`: save a new version of the
/// template's mapping (checked against its schema).
#[utoipa::path(put, path = "/api/v1/campaigns/mappings/{template}", tag = "campaigns",
    params(("template" = String, Path)), request_body = Mapping,
    responses((status = 200, body = Mapping), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn put_mapping(State(acta): State<AppState>, Path(template): Path<String>, body: Bytes) -> Answer {
    let m = Mapping::parse(&body).map_err(problem)?;
    if m.template.as_str() != template {
        return Err(problem(CampaignError::Mapping(format!(
            "la correspondance est celle du modèle « {} », pas de « {template} »",
            m.template
        ))));
    }
    let t = acta
        .catalog()
        .get(&m.template)
        .ok_or_else(|| problem(CampaignError::UnknownTemplate(m.template.clone())))?;
    let headers = m.columns.keys().chain([&m.collectivite]).cloned().collect();
    m.bind(t, &campaign::source::Table { headers, rows: Vec::new() }).map_err(problem)?;
    m.save(acta.store()).await.map_err(problem)?;
    Ok(Json(m).into_response())
}
