//! « Contrôle du fichier » (`/campagnes/controle/{upload}`): the check
//! report of a file sent in « Nouvelle campagne » ([`super::campaigns`]),
//! with the lines excluded: the problems by line and column (and as CSV or
//! XLSX), the change table, sample PDFs of single rows, and the recording of
//! the campaign once every row is valid or excluded. The report of one set
//! of exclusions is checked once and kept with the upload
//! ([`crate::campaign::upload::KeptCheck`]); recording checks the file again,
//! as what it records is what will be made. An upload is only ever seen by
//! the account that sent it.

use std::collections::BTreeSet;
use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Form as Posted};

use super::campaign_view::{ChangeRow, SampleLink, who};
use super::campaigns::{NEW, PATH, SHOWN, siren_of};
use crate::auth::Caller;
use crate::campaign::upload::{KeptCheck, Upload, UploadId};
use crate::campaign::{CampaignError, Checked, Mapping, Source, check, record, report, sample};
use crate::domain::Siren;
use crate::web::Web;
use crate::web::gate::Visit;
use crate::web::page::{Layout, error_page, internal_error, render, see_other};

/// The report as XLSX.
pub const XLSX: &str = "/campagnes/controle/{upload}/rapport.xlsx";

/// An excluded line of the report form.
pub struct LineChoice {
    line: usize,
    excluded: bool,
}

/// One problem, as the report page shows it.
pub struct ProblemRow {
    anchor: String,
    line: usize,
    column: String,
    field: String,
    message: String,
}

#[derive(Template)]
#[template(path = "campaign_check.html")]
struct ReportPage {
    layout: Layout,
    upload: String,
    source: String,
    template: String,
    lines: usize,
    valid: usize,
    invalid: usize,
    excluded: Vec<usize>,
    seconds: String,
    ready: bool,
    problems: Vec<ProblemRow>,
    more_problems: usize,
    summary: Vec<ProblemRow>,
    choices: Vec<LineChoice>,
    exclusions_query: String,
    changes: Vec<ChangeRow>,
    more_changes: usize,
    samples: Vec<SampleLink>,
}

/// The lines to exclude, from a query or a form (`exclure=3&exclure=5`).
fn exclusions(pairs: &[(String, String)]) -> BTreeSet<usize> {
    pairs.iter().filter(|(k, _)| k == "exclure").filter_map(|(_, v)| v.trim().parse().ok()).collect()
}

fn query_of(excluded: &BTreeSet<usize>) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for l in excluded {
        s.append_pair("exclure", &l.to_string());
    }
    s.finish()
}

/// What a kept upload holds.
type Kept = (Upload, Source, Option<Mapping>, Caller);

fn gone(visit: &Visit) -> Response {
    error_page(
        visit,
        StatusCode::NOT_FOUND,
        "Fichier introuvable",
        "Ce fichier de campagne n'existe pas, ou il a été envoyé par un autre compte, ou il a été supprimé après la campagne ou son délai de conservation. Envoyez-le à nouveau.",
    )
}

/// The visitor's upload `id` (not its bytes) and who is asking.
async fn owned(web: &Web, visit: &Visit, id: &str) -> Result<(Upload, Caller), Response> {
    let (Some(caller), Some(account)) = (visit.caller.clone(), visit.account.as_ref()) else {
        return Err(see_other("/connexion"));
    };
    let Ok(id) = id.parse::<UploadId>() else { return Err(gone(visit)) };
    match web.acta.campaign_uploads().upload(&id, account.login.as_ref()).await {
        Ok(up) => Ok((up, caller)),
        Err(CampaignError::NotFound) => Err(gone(visit)),
        Err(e) => Err(internal_error(visit, &e)),
    }
}

/// The upload `id` of the visitor, read with its template's mapping.
async fn kept(web: &Web, visit: &Visit, id: &str) -> Result<Kept, Response> {
    let (up, caller) = owned(web, visit, id).await?;
    let (up, bytes) = match web.acta.campaign_uploads().load(&up.id, &up.owner).await {
        Ok(x) => x,
        Err(CampaignError::NotFound) => return Err(gone(visit)),
        Err(e) => return Err(internal_error(visit, &e)),
    };
    let source = Source::read(&up.name, &bytes).map_err(|e| internal_error(visit, &e))?;
    let mapping = match (&source, &up.template) {
        (Source::Table(_), Some(t)) => {
            Mapping::load(web.acta.store(), t).await.map_err(|e| internal_error(visit, &e))?
        }
        _ => None,
    };
    Ok((up, source, mapping, caller))
}

/// The upload `id` of the visitor, checked with `excluded` left out.
async fn checked(
    web: &Web,
    visit: &Visit,
    id: &str,
    excluded: &BTreeSet<usize>,
) -> Result<(Upload, Checked), Response> {
    let (up, source, mapping, caller) = kept(web, visit, id).await?;
    let (acta, exclude) = (Arc::clone(&web.acta), excluded.clone());
    let result = tokio::task::spawn_blocking(move || {
        let in_scope = |s: &Siren| caller.acts_for(s);
        let options = check::Options { mapping: mapping.as_ref(), exclude: &exclude, in_scope: &in_scope };
        check::check(&acta, &source, &options)
    })
    .await;
    match result {
        Ok(Ok(c)) => Ok((up, c)),
        Ok(Err(e @ (CampaignError::Mapping(_) | CampaignError::Source(_)))) => Err(error_page(
            visit,
            StatusCode::UNPROCESSABLE_ENTITY,
            "Fichier de campagne inutilisable",
            &super::setup::capitalise(&e.to_string()),
        )),
        Ok(Err(e)) => Err(internal_error(visit, &e)),
        Err(e) => Err(internal_error(visit, &e)),
    }
}

/// What a view of the report needs: the check kept with the upload for
/// these exclusions, this mapping and this caller, else a check (then kept).
async fn report_of(
    web: &Web,
    visit: &Visit,
    id: &str,
    excluded: &BTreeSet<usize>,
) -> Result<(Upload, KeptCheck), Response> {
    let (up, caller) = owned(web, visit, id).await?;
    let mapping = match &up.template {
        Some(t) => Mapping::load(web.acta.store(), t).await.map_err(|e| internal_error(visit, &e))?,
        None => None,
    };
    let uploads = web.acta.campaign_uploads();
    let key = uploads.check_key(&[
        serde_json::to_string(&mapping).unwrap_or_default().as_bytes(),
        query_of(excluded).as_bytes(),
        format!("{caller:?}").as_bytes(),
    ]);
    if let Some(kept) = uploads.kept_check(&up.id, &key).await {
        return Ok((up, kept));
    }
    let (up, c) = checked(web, visit, id, excluded).await?;
    let samples =
        sample::pick(c.rows.len()).into_iter().map(|i| (c.rows[i].line, c.rows[i].body.clone())).collect();
    let kept = KeptCheck { report: c.report, samples };
    uploads.keep_check(&up.id, &key, &kept).await;
    Ok((up, kept))
}

fn report_page(
    web: &Web,
    visit: &Visit,
    up: &Upload,
    checked: &KeptCheck,
    excluded: &BTreeSet<usize>,
) -> ReportPage {
    let r = &checked.report;
    let acta = &web.acta;
    let problems: Vec<ProblemRow> = r
        .erreurs
        .iter()
        .enumerate()
        .map(|(i, e)| ProblemRow {
            anchor: format!("probleme-{}", i + 1),
            line: e.ligne,
            column: e.colonne.clone().unwrap_or_default(),
            field: e.champ.clone(),
            message: e.message.clone(),
        })
        .collect();
    let summary = problems
        .iter()
        .take(10)
        .map(|p| ProblemRow {
            anchor: p.anchor.clone(),
            line: p.line,
            column: p.column.clone(),
            field: p.field.clone(),
            message: p.message.clone(),
        })
        .collect();
    let bad: BTreeSet<usize> = r.erreurs.iter().map(|e| e.ligne).collect();
    let choices = bad
        .iter()
        .chain(excluded.iter())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .map(|&line| LineChoice { line, excluded: excluded.contains(&line) })
        .collect();
    let changes: Vec<ChangeRow> = r.changements.iter().take(SHOWN).map(|c| ChangeRow::of(acta, c)).collect();
    let query = query_of(excluded);
    let samples = checked
        .samples
        .iter()
        .map(|(line, body)| {
            SampleLink::new(acta, format!("{PATH}/controle/{}/exemple/{line}", up.id), *line, body)
        })
        .collect();
    let mut layout = Layout::new(visit, format!("Contrôle du fichier « {} »", up.name), NEW);
    layout.has_errors = !r.pret;
    ReportPage {
        layout,
        upload: up.id.to_string(),
        source: up.name.clone(),
        template: up.template.as_ref().map_or_else(
            || "Modèle de chaque ligne".to_owned(),
            |t| super::wording::template_label(acta, t.as_str()),
        ),
        lines: r.lignes,
        valid: r.valides,
        invalid: r.invalides,
        excluded: r.exclues.clone(),
        seconds: format!("{:.1}", r.duree_ms as f64 / 1000.0).replace('.', ","),
        ready: r.pret,
        more_problems: problems.len().saturating_sub(SHOWN),
        problems: problems.into_iter().take(SHOWN).collect(),
        summary,
        choices,
        exclusions_query: if query.is_empty() { String::new() } else { format!("?{query}") },
        more_changes: r.changements.len().saturating_sub(SHOWN),
        changes,
        samples,
    }
}

fn pairs_of(raw: Option<String>) -> Vec<(String, String)> {
    form_urlencoded::parse(raw.unwrap_or_default().as_bytes()).into_owned().collect()
}

/// `GET /campagnes/controle/{upload}?exclure=…`: the check report.
pub async fn report(
    State(web): State<Arc<Web>>,
    Extension(visit): Extension<Visit>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let excluded = exclusions(&pairs_of(raw));
    match report_of(&web, &visit, &id, &excluded).await {
        Ok((up, c)) => {
            let status = if c.report.pret { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
            render(status, &report_page(&web, &visit, &up, &c, &excluded))
        }
        Err(r) => r,
    }
}

/// `GET /campagnes/controle/{upload}/rapport.csv?exclure=…`: the problems
/// as CSV for a spreadsheet.
pub async fn report_csv(
    State(web): State<Arc<Web>>,
    Extension(visit): Extension<Visit>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    report_file(&web, &visit, &id, raw, false).await
}

/// `GET /campagnes/controle/{upload}/rapport.xlsx?exclure=…`: the problems
/// as an XLSX workbook.
pub async fn report_xlsx(
    State(web): State<Arc<Web>>,
    Extension(visit): Extension<Visit>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    report_file(&web, &visit, &id, raw, true).await
}

async fn report_file(web: &Web, visit: &Visit, id: &str, raw: Option<String>, xlsx: bool) -> Response {
    let excluded = exclusions(&pairs_of(raw));
    let (up, c) = match report_of(web, visit, id, &excluded).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let (bytes, content_type, ext) = if xlsx {
        match report::xlsx(&c.report) {
            Ok(b) => (b, report::XLSX_TYPE, "xlsx"),
            Err(e) => return internal_error(visit, &e),
        }
    } else {
        (report::csv(&c.report), "text/csv; charset=utf-8", "csv")
    };
    let stem = up.name.rsplit_once('.').map_or(up.name.as_str(), |(s, _)| s);
    let ascii: String =
        stem.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).collect();
    let disposition = format!("attachment; filename=\"controle-{ascii}.{ext}\"");
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&disposition)
                    .unwrap_or_else(|_| HeaderValue::from_static("attachment")),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        bytes,
    )
        .into_response()
}

/// `GET /campagnes/controle/{upload}/exemple/{ligne}`: one row of the file
/// rendered as a PROJET PDF, before the campaign is recorded (that row
/// only is read and validated, not the whole file).
pub async fn upload_sample(
    State(web): State<Arc<Web>>,
    Extension(visit): Extension<Visit>,
    Path((id, line)): Path<(String, String)>,
) -> Response {
    let Ok(line) = line.parse::<usize>() else { return crate::web::page::not_found(&visit) };
    let (_, source, mapping, caller) = match kept(&web, &visit, &id).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    match sample::body_of_line(&web.acta, &source, mapping.as_ref(), line) {
        // A row of a collectivité outside the scope is never rendered.
        Ok(Some(body)) if siren_of(&body).is_some_and(|s| caller.acts_for(&s)) => {
            super::campaign_view::sample_pdf(&web, &visit, line, body).await
        }
        Ok(_) => crate::web::page::not_found(&visit),
        Err(e) => internal_error(&visit, &e),
    }
}

/// `POST /campagnes/controle/{upload}` (`exclure`…): record the campaign
/// when every row is valid or excluded; the report again otherwise.
pub async fn record_campaign(
    State(web): State<Arc<Web>>,
    Extension(visit): Extension<Visit>,
    Path(id): Path<String>,
    Posted(pairs): Posted<Vec<(String, String)>>,
) -> Response {
    let excluded = exclusions(&pairs);
    let (up, c) = match checked(&web, &visit, &id, &excluded).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    if !c.report.pret {
        let samples = sample::pick(c.rows.len())
            .into_iter()
            .map(|i| (c.rows[i].line, c.rows[i].body.clone()))
            .collect();
        let kept = KeptCheck { report: c.report, samples };
        return render(StatusCode::UNPROCESSABLE_ENTITY, &report_page(&web, &visit, &up, &kept, &excluded));
    }
    match record::create(web.acta.store(), &c, &up.name, &who(&visit)).await {
        Ok(created) => {
            if let Err(e) = web.acta.campaign_uploads().link(&up.id, &created.id).await {
                tracing::warn!(upload = %up.id, error = %e, "campaign upload not linked to its campaign");
            }
            web.record(
                &visit,
                None,
                "campaign.create",
                Some(format!("{} ({} actes)", created.id, created.rows)),
            )
            .await;
            see_other(&format!("{PATH}/{}?enregistree=1", created.id))
        }
        Err(e) => internal_error(&visit, &e),
    }
}
