//! A campaign's page (`/campagnes/{id}`): before launch, its acts, the
//! change table and sample PDFs, and « Lancer » (a confirmation naming the
//! number of acts and the registers they take numbers in); while it runs,
//! the progress (refreshed every few seconds without JavaScript) and
//! « Annuler » (confirmed); afterwards, each collectivité's ZIP and the
//! rows that failed, with « Relancer » for the rows left.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use askama::Template;
use axum::Extension;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::campaign_view::{ChangeRow, SampleLink, campaign_state};
use super::campaigns::{PATH, change_rows, name_of, siren_of};
use crate::auth::{Caller, Permission};
use crate::campaign::{
    Campaign, CampaignError, CampaignId, Mapping, export, launch, record, run, sample, status,
};
use crate::domain::Siren;
use crate::web::Web;
use crate::web::gate::Visit;
use crate::web::page::{Layout, error_page, internal_error, not_found, render, see_other};

/// Seconds between two refreshes of the progress page.
const REFRESH_SECONDS: u32 = 2;

/// The campaign `id`, when the visitor acts for every collectivité of it.
async fn visible(web: &Web, visit: &Visit, id: &str) -> Result<(Caller, Campaign), Response> {
    let Some(caller) = visit.caller.clone() else { return Err(see_other("/connexion")) };
    let unknown = || {
        error_page(
            visit,
            StatusCode::NOT_FOUND,
            "Campagne introuvable",
            "Cette campagne n'existe pas, ou votre compte ne permet pas de la consulter.",
        )
    };
    let Ok(id) = id.parse::<CampaignId>() else { return Err(unknown()) };
    match record::load(web.acta.store(), &id).await {
        Ok(c) if c.collectivites.iter().all(|s| caller.acts_for(s)) => Ok((caller, c)),
        Ok(_) | Err(CampaignError::NotFound) => Err(unknown()),
        Err(e) => Err(internal_error(visit, &e)),
    }
}

/// Live counts while the campaign runs.
pub struct Live {
    total: usize,
    done: usize,
    failed: usize,
    remaining: usize,
    cancelling: bool,
}

/// A collectivité's delivery.
pub struct DeliveryRow {
    name: String,
    href: String,
    acts: usize,
    missing: usize,
}

/// A row that failed.
pub struct FailureRow {
    line: usize,
    message: String,
}

#[derive(Template)]
#[template(path = "campaign.html")]
struct CampaignPage {
    layout: Layout,
    id: String,
    source: String,
    template: String,
    created: String,
    state: &'static str,
    rows: usize,
    made: usize,
    failed_count: usize,
    to_make: usize,
    collectivites: usize,
    live: Option<Live>,
    refresh: u32,
    notice: Option<&'static str>,
    may_run: bool,
    started: bool,
    samples: Vec<SampleLink>,
    changes: Vec<ChangeRow>,
    deliveries: Vec<DeliveryRow>,
    failures: Vec<FailureRow>,
}

fn template_of(web: &Web, c: &Campaign) -> String {
    c.template.as_ref().map_or_else(
        || "Plusieurs modèles".to_owned(),
        |t| super::wording::template_label(&web.acta, t.as_str()),
    )
}

/// `GET /campagnes/{id}`.
pub async fn show(
    State(web): State<Arc<Web>>,
    Extension(visit): Extension<Visit>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let (caller, c) = match visible(&web, &visit, &id).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let notice = match raw.as_deref().unwrap_or_default() {
        "enregistree=1" => Some("Campagne enregistrée : regardez les exemples, puis lancez-la."),
        "lancee=1" => Some("Campagne lancée."),
        "annulee=1" => {
            Some("Annulation demandée : les actes en cours se terminent, aucun autre n'est commencé.")
        }
        _ => None,
    };
    let mut page = CampaignPage {
        layout: Layout::new(&visit, format!("Campagne « {} »", c.source), PATH),
        id: c.id.to_string(),
        source: c.source.clone(),
        template: template_of(&web, &c),
        created: super::wording::moment_label(c.created_at),
        state: "",
        rows: c.rows,
        made: 0,
        failed_count: 0,
        to_make: c.rows,
        collectivites: c.collectivites.len(),
        live: None,
        refresh: 0,
        notice,
        may_run: caller.allows(Permission::RunCampaign),
        started: false,
        samples: Vec::new(),
        changes: Vec::new(),
        deliveries: Vec::new(),
        failures: Vec::new(),
    };
    // While it runs: the live counts only (cheap enough to refresh often).
    if let Some(p) = run::running(&c.id) {
        let (total, done, failed) = (
            p.total.load(Ordering::Relaxed),
            p.done.load(Ordering::Relaxed),
            p.failed.load(Ordering::Relaxed),
        );
        let total = if total == 0 { c.rows } else { total };
        page.state = "En cours";
        page.started = true;
        page.refresh = REFRESH_SECONDS;
        page.live = Some(Live {
            total,
            done,
            failed,
            remaining: total.saturating_sub(done + failed),
            cancelling: p.cancelled(),
        });
        return render(StatusCode::OK, &page);
    }
    let acta = &web.acta;
    let (st, rows) = match tokio::try_join!(status::status(acta, &c.id), record::rows(acta.store(), &c.id)) {
        Ok(x) => x,
        Err(e) => return internal_error(&visit, &e),
    };
    page.state = campaign_state(&c, &st.runs).0;
    page.started = !st.runs.is_empty();
    page.made = st.faites;
    page.to_make = st.a_faire;
    page.failed_count = st.en_echec;
    page.failures = st
        .rows
        .iter()
        .filter_map(|r| r.message.as_ref().map(|m| FailureRow { line: r.ligne, message: m.clone() }))
        .collect();
    if !page.started {
        page.samples = sample::pick(rows.len())
            .into_iter()
            .map(|i| {
                let r = &rows[i];
                SampleLink::new(acta, format!("{PATH}/{}/exemples/{}", c.id, r.line), r.line, &r.body)
            })
            .collect();
        let overrides = match &c.template {
            Some(t) => {
                Mapping::load(acta.store(), t).await.ok().flatten().map(|m| m.changes).unwrap_or_default()
            }
            None => BTreeMap::new(),
        };
        page.changes = change_rows(&web, &rows, &overrides);
    }
    if st.faites > 0 {
        page.deliveries = deliveries(&web, &c, &st, &rows);
    }
    render(StatusCode::OK, &page)
}

/// Each collectivité's ZIP with acts made in it.
fn deliveries(web: &Web, c: &Campaign, st: &status::Status, rows: &[record::Row]) -> Vec<DeliveryRow> {
    let made: HashMap<usize, bool> = st.rows.iter().map(|r| (r.ligne, r.numero.is_some())).collect();
    let mut by: BTreeMap<Siren, (usize, usize)> = BTreeMap::new();
    for r in rows {
        if let Some(s) = siren_of(&r.body) {
            let e = by.entry(s).or_default();
            if made.get(&r.line).copied().unwrap_or(false) { e.0 += 1 } else { e.1 += 1 }
        }
    }
    by.into_iter()
        .filter(|(_, (acts, _))| *acts > 0)
        .map(|(s, (acts, missing))| DeliveryRow {
            name: name_of(web, &s),
            href: format!("{PATH}/{}/livraison/{s}", c.id),
            acts,
            missing,
        })
        .collect()
}

/// `GET /campagnes/{id}/exemples/{ligne}`: a row rendered as a PROJET PDF.
pub async fn sample_pdf(
    State(web): State<Arc<Web>>,
    Extension(visit): Extension<Visit>,
    Path((id, line)): Path<(String, String)>,
) -> Response {
    let (_, c) = match visible(&web, &visit, &id).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Ok(line) = line.parse::<usize>() else { return not_found(&visit) };
    let rows = match record::rows(web.acta.store(), &c.id).await {
        Ok(r) => r,
        Err(e) => return internal_error(&visit, &e),
    };
    match sample::row_at(&rows, line) {
        Ok(row) => super::campaign_view::sample_pdf(&web, &visit, line, row.body.clone()).await,
        Err(_) => not_found(&visit),
    }
}

/// A register the campaign takes numbers in.
pub struct RegisterRow {
    collectivite: String,
    series: String,
    acts: usize,
}

#[derive(Template)]
#[template(path = "campaign_confirm.html")]
struct ConfirmPage {
    layout: Layout,
    id: String,
    source: String,
    cancel: bool,
    to_make: usize,
    year: i32,
    registers: Vec<RegisterRow>,
}

/// `GET /campagnes/{id}/lancer`: the confirmation, naming the acts to make
/// and the registers they take numbers in.
pub async fn launch_form(
    State(web): State<Arc<Web>>,
    Extension(visit): Extension<Visit>,
    Path(id): Path<String>,
) -> Response {
    let (_, c) = match visible(&web, &visit, &id).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    if run::running(&c.id).is_some() {
        return see_other(&format!("{PATH}/{}", c.id));
    }
    let acta = &web.acta;
    let (st, rows) = match tokio::try_join!(status::status(acta, &c.id), record::rows(acta.store(), &c.id)) {
        Ok(x) => x,
        Err(e) => return internal_error(&visit, &e),
    };
    if st.a_faire == 0 {
        return see_other(&format!("{PATH}/{}", c.id));
    }
    let left: HashMap<usize, bool> = st.rows.iter().map(|r| (r.ligne, r.numero.is_none())).collect();
    let mut registers: BTreeMap<(String, String), usize> = BTreeMap::new();
    for r in rows.iter().filter(|r| left.get(&r.line).copied().unwrap_or(true)) {
        let series = r
            .body
            .get("template")
            .and_then(|t| t.as_str())
            .and_then(|t| t.parse().ok())
            .and_then(|t| acta.catalog().get(&t).map(|t| t.series.to_string()))
            .unwrap_or_default();
        let name = siren_of(&r.body).map_or_else(String::new, |s| name_of(&web, &s));
        *registers.entry((name, series)).or_default() += 1;
    }
    let page = ConfirmPage {
        layout: Layout::new(&visit, format!("Lancer la campagne « {} »", c.source), PATH),
        id: c.id.to_string(),
        source: c.source.clone(),
        cancel: false,
        to_make: st.a_faire,
        year: crate::register::year_in_paris(time::OffsetDateTime::now_utc()),
        registers: registers
            .into_iter()
            .map(|((collectivite, series), acts)| RegisterRow {
                collectivite,
                series: super::wording::series_label(&series),
                acts,
            })
            .collect(),
    };
    render(StatusCode::OK, &page)
}

/// `POST /campagnes/{id}/lancer`: start the run in the background.
pub async fn launch(
    State(web): State<Arc<Web>>,
    Extension(visit): Extension<Visit>,
    Path(id): Path<String>,
) -> Response {
    let (_, c) = match visible(&web, &visit, &id).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    match launch::launch(&web.acta, c.id) {
        Ok(()) => {
            web.record(&visit, None, "campaign.run", Some(c.id.to_string())).await;
            see_other(&format!("{PATH}/{}?lancee=1", c.id))
        }
        // Already running (a second click): its progress.
        Err(CampaignError::Running) => see_other(&format!("{PATH}/{}", c.id)),
        Err(e) => internal_error(&visit, &e),
    }
}

/// `GET /campagnes/{id}/annuler`: the confirmation.
pub async fn cancel_form(
    State(web): State<Arc<Web>>,
    Extension(visit): Extension<Visit>,
    Path(id): Path<String>,
) -> Response {
    let (_, c) = match visible(&web, &visit, &id).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    if run::running(&c.id).is_none() {
        return see_other(&format!("{PATH}/{}", c.id));
    }
    let page = ConfirmPage {
        layout: Layout::new(&visit, format!("Annuler la campagne « {} »", c.source), PATH),
        id: c.id.to_string(),
        source: c.source.clone(),
        cancel: true,
        to_make: 0,
        year: 0,
        registers: Vec::new(),
    };
    render(StatusCode::OK, &page)
}

/// `POST /campagnes/{id}/annuler`: stop the run (acts in progress finish).
pub async fn cancel(
    State(web): State<Arc<Web>>,
    Extension(visit): Extension<Visit>,
    Path(id): Path<String>,
) -> Response {
    let (_, c) = match visible(&web, &visit, &id).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    match run::running(&c.id) {
        Some(p) => {
            p.cancel();
            web.record(&visit, None, "campaign.cancel", Some(c.id.to_string())).await;
            see_other(&format!("{PATH}/{}?annulee=1", c.id))
        }
        None => see_other(&format!("{PATH}/{}", c.id)),
    }
}

/// `GET /campagnes/{id}/livraison/{siren}`: the collectivité's ZIP (its
/// sealed PDFs and the bordereau).
pub async fn delivery(
    State(web): State<Arc<Web>>,
    Extension(visit): Extension<Visit>,
    Path((id, siren)): Path<(String, String)>,
) -> Response {
    let (_, c) = match visible(&web, &visit, &id).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Some(siren) = siren.parse::<Siren>().ok().filter(|s| c.collectivites.contains(s)) else {
        return not_found(&visit);
    };
    let mut zip = None;
    let done = export::export(&web.acta, &c.id, Some(&siren), |d| {
        zip = Some(d.zip);
        Ok(())
    })
    .await;
    match (done, zip) {
        (Ok(()), Some(zip)) => {
            let disposition = format!("attachment; filename=\"campagne-{}-{siren}.zip\"", c.id);
            (
                [
                    (header::CONTENT_TYPE, HeaderValue::from_static("application/zip")),
                    (header::CONTENT_DISPOSITION, HeaderValue::from_str(&disposition).expect("ascii")),
                    (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
                ],
                zip,
            )
                .into_response()
        }
        (Ok(()), None) => not_found(&visit),
        (Err(e), _) => internal_error(&visit, &e),
    }
}
