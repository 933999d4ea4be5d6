//! « Réponses en quarantaine », on the *Transferts* page: archive replies
//! refused because they name no transfer within reach (see
//! [`crate::service::archive`], `quarantine.rs`), each with who uploaded
//! it, when, to which transfer, why, the identifiers it carries; its XML to
//! download, and a button to mark it as dealt with. Each handler checks the
//! reply's scope (the collectivité of the transfer it was posted to), as
//! the API does.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::Response;
use axum::{Extension, Form as Posted};

use super::transfers::PATH;
use super::wording::{collectivite_name, moment_label as when};
use crate::auth::{Caller, Permission};
use crate::service::archive::{
    ArchiveError, QuarantineId, QuarantineReason, QuarantinedReply, ReplyIdentifiers, Uploader,
};
use crate::web::Web;
use crate::web::gate::Visit;
use crate::web::page::{internal_error, not_found, see_other};

/// The section of the *Transferts* page.
pub struct QuarantineSection {
    /// The replies waiting that the caller sees.
    pub rows: Vec<QuarantineRow>,
    /// How many wait in all, and at most.
    pub waiting: usize,
    /// `max_quarantined`.
    pub max: usize,
    /// Whether the caller may mark them as dealt with.
    pub may_acknowledge: bool,
}

/// A reply waiting in quarantine, as shown.
pub struct QuarantineRow {
    /// Its number.
    pub id: String,
    /// When it was uploaded.
    pub date: String,
    /// Who uploaded it.
    pub by: String,
    /// The transfer it was posted to: its page.
    pub transfer_href: Option<String>,
    /// That transfer's collectivité.
    pub collectivite: String,
    /// What it is, in French.
    pub kind: String,
    /// Why it was refused, in French.
    pub reason: &'static str,
    /// The identifiers it carries, in French.
    pub identifiers: Vec<(&'static str, String)>,
}

fn reason_label(r: QuarantineReason) -> &'static str {
    match r {
        QuarantineReason::Unidentified => "Elle ne nomme aucun transfert",
        QuarantineReason::UnknownTransfer => {
            "Elle nomme un message qui n'est pas un transfert de votre périmètre"
        }
    }
}

/// The identifiers of a reply of `kind`: those its kind of message has.
fn identifier_labels(kind: &str, i: &ReplyIdentifiers) -> Vec<(&'static str, String)> {
    let answered = if kind == "acknowledgement" {
        ("Message reçu (MessageReceivedIdentifier)", &i.message_received_identifier)
    } else {
        ("Message auquel elle répond (MessageRequestIdentifier)", &i.message_request_identifier)
    };
    [("Identifiant du message (MessageIdentifier)", &i.message_identifier), answered]
        .into_iter()
        .map(|(label, v)| {
            (label, v.clone().filter(|v| !v.trim().is_empty()).unwrap_or_else(|| "vide".into()))
        })
        .collect()
}

fn row(web: &Web, r: QuarantinedReply) -> QuarantineRow {
    let kind = match (r.kind.as_str(), &r.reply_code) {
        ("acknowledgement", _) => "Accusé de réception".to_owned(),
        (_, Some(code)) => format!("Réponse au transfert, code {code}"),
        _ => "Réponse au transfert".to_owned(),
    };
    QuarantineRow {
        id: r.id.to_string(),
        date: when(r.received_at),
        by: r.uploaded_by.label(),
        transfer_href: r.transfer.map(|t| format!("{PATH}/{t}")),
        collectivite: r.collectivite.map(|c| collectivite_name(&web.acta, c.as_str())).unwrap_or_default(),
        kind,
        reason: reason_label(r.reason),
        identifiers: identifier_labels(&r.kind, &r.identifiers),
    }
}

/// The section for `caller`.
pub async fn section(web: &Web, caller: &Caller) -> Result<QuarantineSection, ArchiveError> {
    let (replies, waiting) = web.acta.quarantined_replies(caller.collectivites()).await?;
    Ok(QuarantineSection {
        rows: replies.into_iter().map(|r| row(web, r)).collect(),
        waiting,
        max: web.acta.archive_config().max_quarantined(),
        may_acknowledge: caller.allows(Permission::IngestReplies),
    })
}

/// `GET /transferts/quarantaine/{id}/xml`: the reply as received.
pub async fn xml(
    State(web): State<Arc<Web>>,
    Extension(visit): Extension<Visit>,
    Path(id): Path<String>,
) -> Response {
    let Some(caller) = visit.caller.clone() else { return see_other("/connexion") };
    let Ok(id) = id.parse::<QuarantineId>() else { return not_found(&visit) };
    match web.acta.quarantined_xml(id, caller.collectivites()).await {
        Ok(bytes) => crate::http::quarantine_download(id, bytes),
        Err(ArchiveError::QuarantineNotFound) => not_found(&visit),
        Err(e) => internal_error(&visit, &e),
    }
}

/// `POST /transferts/quarantaine/{id}/traitee` (`note`): mark it as dealt with.
pub async fn acknowledge(
    State(web): State<Arc<Web>>,
    Extension(visit): Extension<Visit>,
    Path(id): Path<String>,
    Posted(pairs): Posted<Vec<(String, String)>>,
) -> Response {
    let Some(caller) = visit.caller.clone() else { return see_other("/connexion") };
    let Ok(id) = id.parse::<QuarantineId>() else { return not_found(&visit) };
    let note = pairs.iter().find(|(k, _)| k == "note").map(|(_, v)| v.as_str());
    let by = Uploader::of(&caller);
    match web.acta.acknowledge_quarantined(id, caller.collectivites(), &by, note).await {
        Ok(_) => {
            web.record(&visit, None, "quarantine.acknowledge", Some(format!("quarantaine {id}"))).await;
            see_other(&format!("{PATH}?traitee={id}#quarantaine"))
        }
        // Marked meanwhile (another tab, a colleague): the list says it.
        Err(ArchiveError::QuarantineAcknowledged(_)) => {
            see_other(&format!("{PATH}?traitee={id}#quarantaine"))
        }
        Err(ArchiveError::QuarantineNotFound) => not_found(&visit),
        Err(ArchiveError::Invalid(errors)) => {
            let why: Vec<&str> = errors.iter().map(|e| e.message.as_str()).collect();
            crate::web::page::error_page(
                &visit,
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                "Note refusée",
                &format!(
                    "La note n'est pas acceptée : elle {}. Revenez en arrière pour la corriger.",
                    why.join(" ; ")
                ),
            )
        }
        Err(e) => internal_error(&visit, &e),
    }
}
