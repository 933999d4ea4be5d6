//! « Transferts aux archives » (archiviste): build a selection (collectivité,
//! sealing dates, kinds), see its acts, send it (the SIP is made and kept),
//! then on `/transferts/{id}` ([`super::transfer`]): the status, the SIP
//! to download, the archive's reply to upload.
//!
//! Handlers call the archive service ([`crate::service::archive`]) as the
//! API does: `prepare_transfer` to show a selection (nothing written),
//! `create_transfer` to send it, `ingest_reply` for the reply. Who may see a
//! transfer is decided by the gate ([`crate::web::gate`], `Access::Transfer`,
//! the API's rule); the collectivité of a new selection must be in scope,
//! and one that is not is answered as an unknown one.

use std::collections::BTreeSet;
use std::sync::Arc;

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::{Extension, Form as Posted};

use super::setup::capitalise;
use super::wording::{collectivite_name, moment_label as when, parse_day, series_label};
use crate::auth::Caller;
use crate::domain::Siren;
use crate::service::ServiceError;
use crate::service::archive::{ArchiveError, ListQuery, TransferId, TransferSpec, TransferStatus};
use crate::web::Web;
use crate::web::gate::Visit;
use crate::web::page::{Form, Layout, internal_error, render, see_other};

/// The list's address.
pub const PATH: &str = "/transferts";
/// Transfers listed.
const RECENT: usize = 50;
/// Acts listed on a transfer's page or a selection (the SIP holds them all).
pub(super) const SHOWN: usize = 200;

/// The selection as typed.
#[derive(Debug, Default, Clone)]
pub struct Selection {
    /// SIREN.
    pub collectivite: String,
    /// First sealing day.
    pub from: String,
    /// Last sealing day.
    pub to: String,
    /// Series chosen.
    pub kinds: BTreeSet<String>,
    /// Or a séance: its day.
    pub seance: String,
}

impl Selection {
    fn of(pairs: &[(String, String)]) -> Self {
        let mut s = Self::default();
        for (k, v) in pairs {
            let v = v.trim().to_owned();
            match k.as_str() {
                "collectivite" => s.collectivite = v,
                "from" => s.from = v,
                "to" => s.to = v,
                "seance" => s.seance = v,
                "kinds" if !v.is_empty() => {
                    s.kinds.insert(v);
                }
                _ => {}
            }
        }
        s
    }

    /// The transfer it asks for, or its mistakes beside the fields.
    fn spec(&self, caller: &Caller, form: &mut Form) -> Option<TransferSpec> {
        let collectivite = match self.collectivite.parse::<Siren>() {
            Ok(s) if caller.acts_for(&s) => Some(s),
            _ if self.collectivite.is_empty() => {
                form.error("collectivite", "Choisissez la collectivité dont les actes sont transférés");
                None
            }
            _ => {
                form.error(
                    "collectivite",
                    "Cette collectivité n'existe pas ou n'est pas dans votre périmètre",
                );
                None
            }
        };
        let day = |form: &mut Form, id: &'static str, v: &str, what: &str| {
            if v.is_empty() {
                return None;
            }
            let d = parse_day(v);
            if d.is_none() {
                form.error(id, format!("La date {what} doit être un jour existant, par exemple 2026-03-01"));
            }
            d
        };
        let from = day(form, "from", &self.from, "de début");
        let to = day(form, "to", &self.to, "de fin");
        if let (Some(f), Some(t)) = (from, to)
            && f > t
        {
            form.error("to", "La date de fin précède la date de début");
        }
        let seance = day(form, "seance", &self.seance, "de la séance");
        if seance.is_some() && (from.is_some() || to.is_some() || !self.kinds.is_empty()) {
            form.error(
                "seance",
                "Choisissez soit une séance, soit des dates et des natures d'actes, pas les deux",
            );
        }
        let spec = TransferSpec {
            collectivite: collectivite?,
            from,
            to,
            kinds: self.kinds.iter().cloned().collect(),
            seance: seance.map(|d| d.to_string()),
            acts: Vec::new(),
            profile: None,
            comment: None,
        };
        form.is_valid().then_some(spec)
    }
}

/// An act of a selection or a transfer.
pub struct ActRow {
    /// Its page.
    pub href: String,
    /// Number.
    pub number: String,
    /// Title.
    pub title: String,
}

/// A transfer of the list.
pub struct TransferRow {
    /// Its page.
    pub href: String,
    /// When it was made.
    pub date: String,
    /// Collectivité.
    pub collectivite: String,
    /// Acts.
    pub acts: usize,
    /// Status, in French.
    pub status: &'static str,
}

#[derive(Template)]
#[template(path = "transfers.html")]
struct TransfersPage {
    layout: Layout,
    form: Form,
    selection: Selection,
    collectivites: Vec<(String, String)>,
    kinds: Vec<(String, String)>,
    preview: Option<Vec<ActRow>>,
    transfers: Vec<TransferRow>,
    /// The link to the older transfers, when there are.
    older: Option<String>,
    /// Whether this page shows older transfers (not the most recent).
    paged: bool,
    quarantine: super::quarantine::QuarantineSection,
    /// What was just done.
    notice: Option<String>,
}

impl TransfersPage {
    fn kind_checked(&self, series: &str) -> bool {
        self.selection.kinds.contains(series)
    }
}

pub(super) fn status_label(s: TransferStatus) -> &'static str {
    match s {
        TransferStatus::Sent => "Envoyé, en attente de réponse",
        TransferStatus::Accepted => "Accepté par les archives",
        TransferStatus::Rejected => "Refusé par les archives",
    }
}

async fn page(
    web: &Web,
    visit: &Visit,
    caller: &Caller,
    selection: Selection,
    form: Form,
    preview: Option<Vec<ActRow>>,
    before: Option<TransferId>,
) -> Result<TransfersPage, ArchiveError> {
    let acta = &web.acta;
    let collectivites = acta
        .collectivites()
        .iter()
        .filter(|p| caller.acts_for(&p.siren))
        .map(|p| (p.siren.to_string(), p.nom.clone()))
        .collect();
    let series: BTreeSet<String> = acta.catalog().iter().map(|t| t.series.as_str().to_owned()).collect();
    let query = ListQuery { collectivite: None, before, limit: RECENT };
    let listed = acta.list_transfers(caller.collectivites(), &query).await?;
    let transfers = listed
        .transfers
        .into_iter()
        .map(|t| TransferRow {
            href: format!("{PATH}/{}", t.id),
            date: when(t.created_at),
            collectivite: collectivite_name(acta, t.collectivite.as_str()),
            acts: t.acts,
            status: status_label(t.status),
        })
        .collect();
    let older = listed.next.map(|n| format!("{PATH}?avant={n}#recents"));
    let quarantine = super::quarantine::section(web, caller).await?;
    let mut layout = Layout::new(visit, "Transferts aux archives", PATH);
    layout.has_errors = !form.is_valid();
    Ok(TransfersPage {
        layout,
        form,
        selection,
        collectivites,
        kinds: series.into_iter().map(|s| (series_label(&s), s)).collect(),
        preview,
        transfers,
        older,
        paged: before.is_some(),
        quarantine,
        notice: None,
    })
}

fn respond(visit: &Visit, status: StatusCode, p: Result<TransfersPage, ArchiveError>) -> Response {
    match p {
        Ok(p) => render(status, &p),
        Err(e) => internal_error(visit, &e),
    }
}

/// A selection's failure, beside the field it concerns; `None` for a
/// failure of acta itself.
fn selection_error(e: ArchiveError, form: &mut Form) -> Option<ArchiveError> {
    match e {
        ArchiveError::EmptySelection => {
            form.error(
                "collectivite",
                "Aucun acte scellé ne correspond à cette sélection : élargissez les dates ou les natures",
            );
        }
        ArchiveError::Refused(_) | ArchiveError::Invalid(_) => {
            form.error("collectivite", capitalise(&e.to_string()))
        }
        ArchiveError::Service(ServiceError::UnknownCollectivite(_)) => {
            form.error("collectivite", "Cette collectivité n'existe pas ou n'est pas dans votre périmètre");
        }
        other => return Some(other),
    }
    None
}

/// `GET /transferts`: the recent transfers, and a selection to build (its
/// acts shown when one is asked for).
pub async fn list(
    State(web): State<Arc<Web>>,
    Extension(visit): Extension<Visit>,
    RawQuery(raw): RawQuery,
) -> Response {
    let Some(caller) = visit.caller.clone() else { return see_other("/connexion") };
    let pairs: Vec<(String, String)> =
        form_urlencoded::parse(raw.unwrap_or_default().as_bytes()).into_owned().collect();
    let selection = Selection::of(&pairs);
    // `avant`: the page of older transfers (an unreadable one: the first page).
    let before = pairs.iter().find(|(k, _)| k == "avant").and_then(|(_, v)| v.parse().ok());
    let mut form = Form::default();
    let mut preview = None;
    if pairs.iter().any(|(k, _)| k == "collectivite")
        && let Some(spec) = selection.spec(&caller, &mut form)
    {
        match web.acta.prepare_transfer(&spec).await {
            Ok(prepared) => {
                // The SIP's titles name the agent of individual acts: a role
                // without personal data reads the kind of act instead.
                let personal_data = caller.scope().personal_data();
                let acts = prepared.request.selection.acts().map(|a| ActRow {
                    href: format!("/actes/{}", a.id),
                    number: a.number.to_string(),
                    title: if a.personal && !personal_data {
                        a.document_type.clone()
                    } else {
                        a.title.clone()
                    },
                });
                preview = Some(acts.collect());
            }
            Err(e) => {
                if let Some(e) = selection_error(e, &mut form) {
                    return internal_error(&visit, &e);
                }
            }
        }
    }
    let status = if form.is_valid() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let acknowledged = pairs.iter().find(|(k, _)| k == "traitee").and_then(|(_, v)| v.parse().ok());
    let page = page(&web, &visit, &caller, selection, form, preview, before).await.map(|mut p| {
        p.notice = acknowledged.map(|q: crate::service::archive::QuarantineId| {
            format!("La réponse en quarantaine n° {q} est marquée comme traitée ; elle reste conservée.")
        });
        p
    });
    respond(&visit, status, page)
}

/// `POST /transferts`: send the selection (make and keep the SIP).
pub async fn create(
    State(web): State<Arc<Web>>,
    Extension(visit): Extension<Visit>,
    Posted(pairs): Posted<Vec<(String, String)>>,
) -> Response {
    let Some(caller) = visit.caller.clone() else { return see_other("/connexion") };
    let selection = Selection::of(&pairs);
    let mut form = Form::default();
    if let Some(spec) = selection.spec(&caller, &mut form) {
        let siren = spec.collectivite.clone();
        match web.acta.create_transfer(spec, None, None).await {
            Ok(t) => {
                web.record(&visit, None, "transfer.create", Some(format!("{} ({siren})", t.id))).await;
                return see_other(&format!("{PATH}/{}?envoye=1", t.id));
            }
            Err(e) => {
                if let Some(e) = selection_error(e, &mut form) {
                    return internal_error(&visit, &e);
                }
            }
        }
    }
    respond(
        &visit,
        StatusCode::UNPROCESSABLE_ENTITY,
        page(&web, &visit, &caller, selection, form, None, None).await,
    )
}
