//! « Campagnes » (admin, gestionnaire): the list, and a new campaign from a
//! spreadsheet: choose the template and send the file (kept as an upload,
//! [`crate::campaign::upload`]), read the check report by line and column
//! with its change table and sample PDFs, exclude rows or send a fixed file,
//! then record the campaign ([`super::campaign_check`]). Launching, progress
//! and delivery are on the campaign's own page ([`super::campaign`]).
//!
//! Handlers call the campaign engine as the API does (`check::check` off the
//! runtime, `record::create`); a campaign is visible to a visitor who acts
//! for every collectivité it concerns, else it is « introuvable », like an
//! unknown one.

use std::sync::Arc;

use askama::Template;
use axum::Extension;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::Value;

use super::campaign_view::{ChangeRow, campaign_state};
use super::wording::{collectivite_name, moment_label};
use crate::campaign::{CampaignError, Mapping, Source, changes, record};
use crate::domain::{Siren, TemplateId};
use crate::web::Web;
use crate::web::gate::Visit;
use crate::web::page::{Field, Form, Layout, internal_error, render, see_other};

/// The list's address.
pub const PATH: &str = "/campagnes";
/// The new campaign's address.
pub const NEW: &str = "/campagnes/nouvelle";
/// Problems and changes listed on the report page (the CSV has them all).
pub(super) const SHOWN: usize = 500;

/// A campaign of the list.
pub struct CampaignRow {
    href: String,
    source: String,
    template: String,
    date: String,
    rows: usize,
    made: usize,
    failed: usize,
    state: &'static str,
}

#[derive(Template)]
#[template(path = "campaigns.html")]
struct ListPage {
    layout: Layout,
    campaigns: Vec<CampaignRow>,
    may_run: bool,
}

/// `GET /campagnes`: the campaigns of the visitor's scope, newest first.
pub async fn list(State(web): State<Arc<Web>>, Extension(visit): Extension<Visit>) -> Response {
    let Some(caller) = visit.caller.clone() else { return see_other("/connexion") };
    let acta = &web.acta;
    let all = match record::list(acta.store()).await {
        Ok(all) => all,
        Err(e) => return internal_error(&visit, &e),
    };
    let mut campaigns = Vec::new();
    for c in all.into_iter().rev().filter(|c| c.collectivites.iter().all(|s| caller.acts_for(s))) {
        let runs = match record::runs(acta.store(), &c.id).await {
            Ok(r) => r,
            Err(e) => return internal_error(&visit, &e),
        };
        let (state, made, failed) = campaign_state(&c, &runs);
        campaigns.push(CampaignRow {
            href: format!("{PATH}/{}", c.id),
            template: c.template.as_ref().map_or_else(
                || "Plusieurs modèles".to_owned(),
                |t| super::wording::template_label(acta, t.as_str()),
            ),
            source: c.source.clone(),
            date: moment_label(c.created_at),
            rows: c.rows,
            made,
            failed,
            state,
        });
    }
    let may_run = caller.allows(crate::auth::Permission::RunCampaign);
    render(StatusCode::OK, &ListPage { layout: Layout::new(&visit, "Campagnes", PATH), campaigns, may_run })
}

#[derive(Template)]
#[template(path = "campaign_new.html")]
struct NewPage {
    layout: Layout,
    form: Form,
    /// No template has a column mapping yet: say how one is saved.
    unmapped: bool,
}

/// The templates that have a saved column mapping: id and title.
async fn mapped_templates(web: &Web) -> Result<Vec<(String, String)>, CampaignError> {
    let mut out = Vec::new();
    for t in web.acta.catalog().iter() {
        if Mapping::load(web.acta.store(), &t.id).await?.is_some() {
            out.push((t.id.to_string(), t.title.clone()));
        }
    }
    Ok(out)
}

async fn new_page(web: &Web, visit: &Visit, chosen: &str) -> Result<NewPage, CampaignError> {
    let mut options = vec![(String::new(), "Choisissez un modèle".to_owned())];
    let mapped = mapped_templates(web).await?;
    let unmapped = mapped.is_empty();
    options.extend(mapped);
    let form = Form::new(vec![
        Field::text("modele", "Modèle d'acte")
            .hint("Seuls les modèles dont la correspondance des colonnes est enregistrée sont proposés ; inutile pour un fichier JSON Lines")
            .select(options)
            .value(chosen),
        Field::text("fichier", "Fichier de la campagne").kind("file").hint(
            "Tableur CSV (séparé par des points-virgules ou des virgules) ou XLSX, une ligne par acte, la première ligne portant les en-têtes ; ou JSON Lines",
        ),
    ]);
    Ok(NewPage { layout: Layout::new(visit, "Nouvelle campagne", NEW), form, unmapped })
}

/// `GET /campagnes/nouvelle`.
pub async fn new_form(State(web): State<Arc<Web>>, Extension(visit): Extension<Visit>) -> Response {
    match new_page(&web, &visit, "").await {
        Ok(p) => render(StatusCode::OK, &p),
        Err(e) => internal_error(&visit, &e),
    }
}

/// `POST /campagnes/nouvelle` (multipart: `modele`, `fichier`): keep the
/// file, then the check report.
pub async fn upload(
    State(web): State<Arc<Web>>,
    Extension(visit): Extension<Visit>,
    mut posted: Multipart,
) -> Response {
    let Some(account) = visit.account.clone() else { return see_other("/connexion") };
    let (mut name, mut bytes, mut template) = (String::new(), Vec::new(), String::new());
    while let Ok(Some(field)) = posted.next_field().await {
        let field_name = field.name().unwrap_or_default().to_owned();
        let file_name = field.file_name().map(str::to_owned);
        let Ok(value) = field.bytes().await else { break };
        match field_name.as_str() {
            "fichier" => {
                name = file_name.unwrap_or_default();
                bytes = value.to_vec();
            }
            "modele" => template = String::from_utf8_lossy(&value).trim().to_owned(),
            _ => {}
        }
    }
    let page = match new_page(&web, &visit, &template).await {
        Ok(p) => p,
        Err(e) => return internal_error(&visit, &e),
    };
    let refuse = |mut page: NewPage, field: &'static str, message: String| {
        page.form.error(field, message);
        page.layout.has_errors = true;
        render(StatusCode::UNPROCESSABLE_ENTITY, &page)
    };
    if bytes.is_empty() {
        return refuse(
            page,
            "fichier",
            "Choisissez le fichier de la campagne (CSV, XLSX ou JSON Lines)".into(),
        );
    }
    let name = safe_name(&name);
    let source = match Source::read(&name, &bytes) {
        Ok(s) => s,
        Err(e) => return refuse(page, "fichier", format!("Fichier illisible : {e}")),
    };
    let template = match (&source, template.as_str()) {
        (Source::Table(_), "") => {
            return refuse(
                page,
                "modele",
                "Choisissez le modèle d'acte dont les colonnes lisent ce tableur".into(),
            );
        }
        (Source::Table(_), t) => match t.parse::<TemplateId>() {
            Ok(t) if page.form.fields[0].options.iter().any(|(id, _)| id == t.as_str()) => Some(t),
            _ => {
                return refuse(
                    page,
                    "modele",
                    "Ce modèle n'a pas de correspondance de colonnes enregistrée".into(),
                );
            }
        },
        _ => None,
    };
    match web.acta.campaign_uploads().save(&name, template, account.login.as_ref(), bytes.into()).await {
        Ok(u) => {
            web.record(&visit, None, "campaign.upload", Some(format!("{} ({name})", u.id))).await;
            see_other(&format!("{PATH}/controle/{}", u.id))
        }
        Err(e) => internal_error(&visit, &e),
    }
}

/// A file name to keep and show: its last path component, printable.
fn safe_name(name: &str) -> String {
    crate::campaign::source::file_name(name).unwrap_or_else(|| "campagne.csv".into())
}

/// The change-table rows of recorded rows (the campaign's page).
pub(super) fn change_rows(
    web: &Web,
    rows: &[record::Row],
    overrides: &std::collections::BTreeMap<String, String>,
) -> Vec<ChangeRow> {
    rows.iter()
        .take(SHOWN)
        .map(|r| ChangeRow::of(&web.acta, &changes::of(r.line, &r.body, overrides)))
        .collect()
}

/// The collectivité named in a request body.
pub(super) fn siren_of(body: &Value) -> Option<Siren> {
    body.get("collectivite").and_then(Value::as_str).and_then(|s| s.parse().ok())
}

/// The collectivité's name for a SIREN.
pub(super) fn name_of(web: &Web, siren: &Siren) -> String {
    collectivite_name(&web.acta, siren.as_str())
}
