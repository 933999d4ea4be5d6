//! The act page, its PDF, its proof, and « Aperçu » (the PROJET PDF in a
//! frame: the only page whose policy allows a frame, of acta only).

use std::sync::Arc;

use crate::web::page::Query;
use askama::Template;
use axum::Extension;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::{day, moment};
use crate::act::Status;
use crate::auth::{AuditEntry, Permission};
use crate::service::{ActView, PdfBody, ServiceError};
use crate::web::Web;
use crate::web::gate::{ActInScope, Visit};
use crate::web::page::{Layout, internal_error, not_found, render};

/// A line of the act's history.
pub struct HistoryRow {
    when: String,
    what: String,
    who: String,
}

/// What the register says of a sealed act.
pub struct Check {
    authentique: bool,
    verdict: String,
    inclusion: Option<String>,
}

#[derive(Template)]
#[template(path = "acts/act.html")]
struct ActPage {
    layout: Layout,
    act: ActView,
    sealed: bool,
    status: String,
    created: String,
    sealed_at: String,
    check: Option<Check>,
    history: Vec<HistoryRow>,
    notice: Option<&'static str>,
    can_edit: bool,
    can_seal: bool,
    can_withdraw: bool,
    can_correct: bool,
    /// The PDF's size for people (« 75 Ko »).
    size: Option<String>,
    withdrawn: Option<String>,
}

/// Notices after an action (`?enregistre=1`…).
#[derive(Debug, Default, Deserialize)]
pub struct Notice {
    enregistre: Option<String>,
    modifie: Option<String>,
    scelle: Option<String>,
    retire: Option<String>,
}

/// The withdrawal reasons, as the register codes them.
pub const REASONS: [(&str, &str); 5] = [
    ("withdrawal", "Retrait par l'autorité qui l'a pris"),
    ("annulment", "Annulation par une juridiction"),
    ("redaction", "Données personnelles à occulter (RGPD)"),
    ("publication-ended", "Fin de la durée de publication"),
    ("error", "Publié par erreur"),
];

/// `GET /actes/{id}`.
pub async fn page(
    State(web): State<Arc<Web>>,
    Extension(visit): Extension<Visit>,
    Extension(act): Extension<ActInScope>,
    Query(q): Query<Notice>,
) -> Response {
    let Some(caller) = &visit.caller else { return not_found(&visit) };
    let view = match web.acta.get_as(&act.id, caller.scope().personal_data()).await {
        Ok(v) => v,
        Err(ServiceError::ActNotFound) => return not_found(&visit),
        Err(e) => return internal_error(&visit, &e),
    };
    let sealed = view.status == Status::Sealed;
    let check = match (&view.sha256, sealed) {
        (Some(sha), true) => match web.acta.verify_hash(sha.clone()).await {
            Ok(v) => Some(Check {
                authentique: v.authentique,
                verdict: v.verdict.clone(),
                inclusion: v.registre.as_ref().map(|r| {
                    if r.inclus {
                        format!(
                            "inscription n° {} du journal, dont la preuve d'inclusion se vérifie contre le point de contrôle signé ({})",
                            r.feuille + 1,
                            super::super::wording::plural(r.taille, "inscription", "inscriptions")
                        )
                    } else {
                        format!("inscription n° {} du journal : sa preuve d'inclusion ne se vérifie pas", r.feuille + 1)
                    }
                }),
            }),
            Err(e) => return internal_error(&visit, &e),
        },
        _ => None,
    };
    let history = match web.audit.of_act(&act.id).await {
        Ok(entries) => entries.iter().map(history_row).collect(),
        Err(e) => return internal_error(&visit, &e),
    };
    let notice = if q.enregistre.is_some() {
        Some("Le projet est enregistré.")
    } else if q.modifie.is_some() {
        Some("Le projet est modifié : voici sa nouvelle version.")
    } else if q.scelle.is_some() {
        Some("L'acte est scellé et inscrit au registre.")
    } else if q.retire.is_some() {
        Some("Le retrait de l'acte est inscrit au registre.")
    } else {
        None
    };
    let title = match &view.number {
        Some(n) => format!("Acte {n}"),
        None => "Projet d'acte".to_owned(),
    };
    let withdrawn = view.retrait.as_ref().map(|w| {
        let reason = REASONS.iter().find(|(c, _)| *c == w.reason).map_or(w.reason.as_str(), |(_, l)| l);
        format!("{reason}, le {}", day(w.at))
    });
    let page = ActPage {
        layout: Layout::new(&visit, title, ""),
        sealed,
        status: if view.retrait.is_some() {
            "Acte scellé, retiré".into()
        } else if sealed {
            "Acte scellé".into()
        } else {
            "Projet (non scellé, sans numéro)".into()
        },
        created: moment(view.created_at),
        sealed_at: view.sealed_at.map(moment).unwrap_or_default(),
        check,
        history,
        notice,
        can_edit: !sealed && caller.allows(Permission::CreateDraft),
        can_seal: !sealed && caller.allows(Permission::Seal),
        can_withdraw: sealed && view.retrait.is_none() && caller.allows(Permission::Seal),
        can_correct: sealed && caller.allows(Permission::CreateDraft),
        size: view.size.map(super::super::wording::size_label),
        withdrawn,
        act: view,
    };
    render(StatusCode::OK, &page)
}

fn history_row(e: &AuditEntry) -> HistoryRow {
    let what = match e.action.as_str() {
        "act.create" if e.target.is_some() => "Projet enregistré (nouvelle version)",
        "act.create" => "Projet enregistré",
        "act.discard" if e.target.is_some() => "Projet remplacé par une nouvelle version",
        "act.discard" => "Projet supprimé",
        "act.seal" => "Acte scellé",
        "act.withdraw" => "Retrait inscrit au registre",
        "act.export" => "Transféré aux archives",
        other => other,
    };
    let who = match (&e.user, &e.token_id, e.via.as_str()) {
        (Some(user), _, _) => format!("{user} ({})", e.role.label()),
        (None, Some(_), _) => format!("un programme (jeton d'API, {})", e.role.label()),
        (None, None, "cli") => "la ligne de commande".to_owned(),
        _ => e.via.clone(),
    };
    HistoryRow { when: moment(e.at), what: what.to_owned(), who }
}

/// `GET /actes/{id}/pdf`: the sealed PDF to download (a draft's PROJET
/// rendering while it is one).
pub async fn pdf(
    State(web): State<Arc<Web>>,
    Extension(visit): Extension<Visit>,
    Extension(act): Extension<ActInScope>,
) -> Response {
    pdf_response(&web, &visit, &act, "attachment").await
}

/// `GET /actes/{id}/projet.pdf`: the PDF shown inline (in « Aperçu »'s frame).
pub async fn inline_pdf(
    State(web): State<Arc<Web>>,
    Extension(visit): Extension<Visit>,
    Extension(act): Extension<ActInScope>,
) -> Response {
    let mut resp = pdf_response(&web, &visit, &act, "inline").await;
    if resp.status().is_success() {
        let h = resp.headers_mut();
        // Framed by acta's « Aperçu » page only.
        h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("SAMEORIGIN"));
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; object-src 'self'; frame-ancestors 'self'"),
        );
    }
    resp
}

async fn pdf_response(web: &Web, visit: &Visit, act: &ActInScope, disposition: &str) -> Response {
    let pdf = match web.acta.pdf(&act.id, None).await {
        Ok(p) => p,
        Err(ServiceError::ActNotFound) => return not_found(visit),
        Err(e) => return internal_error(visit, &e),
    };
    let mut resp = match pdf.body {
        PdfBody::Sealed(read) => crate::http::range::full(read),
        PdfBody::Memory(bytes) => crate::http::range::whole(bytes),
        PdfBody::Draft(bytes) => bytes.into_response(),
    };
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/pdf"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(v) = HeaderValue::from_str(&format!("{disposition}; filename=\"{}\"", pdf.filename)) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    resp
}

/// `GET /actes/{id}/preuve`: the act's inclusion proof in the register log
/// (JSON, as `GET /api/v1/acts/{id}/proof` gives it), to download.
pub async fn proof(
    State(web): State<Arc<Web>>,
    Extension(visit): Extension<Visit>,
    Extension(act): Extension<ActInScope>,
) -> Response {
    match web.acta.proof(&act.id).await {
        Ok(p) => {
            let body = serde_json::to_vec_pretty(&p).unwrap_or_default();
            let disposition = format!("attachment; filename=\"preuve-{}.json\"", act.id);
            let mut resp = body.into_response();
            let h = resp.headers_mut();
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
            if let Ok(v) = HeaderValue::from_str(&disposition) {
                h.insert(header::CONTENT_DISPOSITION, v);
            }
            resp
        }
        Err(ServiceError::ActNotFound) => not_found(&visit),
        Err(e) => internal_error(&visit, &e),
    }
}

#[derive(Template)]
#[template(path = "acts/preview.html")]
struct PreviewPage {
    layout: Layout,
    act: ActView,
    /// The draft's pages (images), numbered from 1; none once sealed.
    pages: Vec<usize>,
    sealed: bool,
    can_edit: bool,
    can_seal: bool,
}

/// The policy of « Aperçu »: the pages' own, plus a frame of acta.
const PREVIEW_POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self'; frame-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// `GET /actes/{id}/apercu`: the PDF in the browser's viewer.
pub async fn preview(
    State(web): State<Arc<Web>>,
    Extension(visit): Extension<Visit>,
    Extension(act): Extension<ActInScope>,
) -> Response {
    let Some(caller) = &visit.caller else { return not_found(&visit) };
    let view = match web.acta.get_as(&act.id, caller.scope().personal_data()).await {
        Ok(v) => v,
        Err(e) => return internal_error(&visit, &e),
    };
    let sealed = view.status == Status::Sealed;
    let title = if sealed { "Aperçu de l'acte" } else { "Aperçu du projet" };
    let pages = if sealed {
        Vec::new()
    } else {
        match web.acta.draft_page_png(&act.id, 0).await {
            Ok((_, n)) => (1..=n).collect(),
            Err(e) => return internal_error(&visit, &e),
        }
    };
    let page = PreviewPage {
        pages,
        layout: Layout::new(&visit, title, ""),
        sealed,
        can_edit: !sealed && caller.allows(Permission::CreateDraft),
        can_seal: !sealed && caller.allows(Permission::Seal),
        act: view,
    };
    let mut resp = render(StatusCode::OK, &page);
    resp.headers_mut().insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(PREVIEW_POLICY));
    resp
}

/// `GET /actes/{id}/page/{n}`: page `n` (from 1) of the draft as a PNG.
pub async fn page_png(
    State(web): State<Arc<Web>>,
    Extension(visit): Extension<Visit>,
    Extension(act): Extension<ActInScope>,
    axum::extract::Path((_, n)): axum::extract::Path<(String, String)>,
) -> Response {
    let Some(n) = n.parse::<usize>().ok().filter(|n| (1..=1000).contains(n)) else {
        return not_found(&visit);
    };
    match web.acta.draft_page_png(&act.id, n - 1).await {
        Ok((png, pages)) if n <= pages => {
            let headers = [
                (header::CONTENT_TYPE, HeaderValue::from_static("image/png")),
                (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            ];
            (headers, png).into_response()
        }
        Ok(_) | Err(ServiceError::ActNotFound) => not_found(&visit),
        Err(e) => internal_error(&visit, &e),
    }
}
