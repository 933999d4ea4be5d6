//! One transfer (`/transferts/{id}`, archiviste): its status and verdict,
//! its SIP to download, the archive's reply to upload (multipart), its acts
//! as the caller may see them. The gate has checked that the transfer's
//! collectivité is in the caller's scope (`Access::Transfer`, the API's
//! rule) before any handler here runs.

use std::sync::Arc;

use crate::web::page::Query;
use askama::Template;
use axum::Extension;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use serde::Deserialize;

use super::setup::capitalise;
use super::transfers::{ActRow, PATH, SHOWN, status_label};
use super::wording::{collectivite_name, day_label, moment_label as when};
use crate::service::archive::{
    ArchiveError, Quarantined, TransferId, TransferStatus, TransferView, Uploader,
};
use crate::web::Web;
use crate::web::gate::Visit;
use crate::web::page::{Form, Layout, internal_error, render, see_other};

#[derive(Template)]
#[template(path = "transfer.html")]
struct TransferPage {
    layout: Layout,
    form: Form,
    notice: Option<&'static str>,
    id: String,
    collectivite: String,
    status: &'static str,
    settled: bool,
    rejected: bool,
    date: String,
    profile: &'static str,
    sip_size: String,
    sip_sha256: String,
    replies: usize,
    reasons: Vec<String>,
    reply_code: Option<String>,
    grant_date: Option<String>,
    acts: Vec<ActRow>,
    more: usize,
    may_reply: bool,
}

/// The query of a transfer's page after an action.
#[derive(Debug, Default, Deserialize)]
pub struct Done {
    envoye: Option<String>,
    reponse: Option<String>,
}

async fn transfer_page(
    web: &Web,
    visit: &Visit,
    t: TransferView,
    form: Form,
    notice: Option<&'static str>,
) -> TransferPage {
    let acta = &web.acta;
    // Each act as the caller may see it (no agent's name for an archivist),
    // the first ones only for a large transfer.
    let personal_data = visit.caller.as_ref().is_some_and(|c| c.scope().personal_data());
    let mut acts = Vec::new();
    for id in t.acts.iter().take(SHOWN) {
        let (number, title) = match acta.get_as(id, personal_data).await {
            Ok(a) => (a.number.map(|n| n.to_string()).unwrap_or_default(), a.title),
            Err(_) => (String::new(), "Acte illisible (voir le journal)".to_owned()),
        };
        acts.push(ActRow { href: format!("/actes/{id}"), number, title });
    }
    let mut layout = Layout::new(visit, format!("Transfert du {}", when(t.created_at)), PATH);
    layout.has_errors = !form.is_valid();
    let outcome = t.outcome.as_ref();
    TransferPage {
        layout,
        form,
        notice,
        id: t.id.to_string(),
        collectivite: collectivite_name(acta, t.collectivite.as_str()),
        status: status_label(t.status),
        settled: t.outcome.is_some(),
        rejected: t.status == TransferStatus::Rejected,
        date: when(t.created_at),
        profile: match t.profile {
            crate::seda::Profile::Vitam => "Vitam",
            crate::seda::Profile::Asalae => "As@lae",
        },
        sip_size: size_label(t.sip.size),
        sip_sha256: t.sip.sha256.clone(),
        replies: t.replies,
        reasons: outcome.map(|o| o.reasons.clone()).unwrap_or_default(),
        reply_code: outcome.map(|o| o.reply_code.clone()),
        grant_date: outcome.and_then(|o| o.grant_date.clone()).map(|d| day_label(d.get(..10).unwrap_or(&d))),
        more: t.acts.len().saturating_sub(SHOWN),
        acts,
        may_reply: visit.caller.as_ref().is_some_and(|c| c.allows(crate::auth::Permission::IngestReplies)),
    }
}

fn size_label(bytes: u64) -> String {
    #[allow(clippy::cast_precision_loss)] // a size shown to one decimal
    let b = bytes as f64;
    if bytes < 1024 * 1024 {
        format!("{:.1} Ko", b / 1024.0).replace('.', ",")
    } else {
        format!("{:.1} Mo", b / 1024.0 / 1024.0).replace('.', ",")
    }
}

fn transfer_id(raw: &str) -> Option<TransferId> {
    raw.parse().ok()
}

/// `GET /transferts/{id}` (the gate checked the scope).
pub async fn show(
    State(web): State<Arc<Web>>,
    Extension(visit): Extension<Visit>,
    Path(id): Path<String>,
    Query(done): Query<Done>,
) -> Response {
    let Some(id) = transfer_id(&id) else {
        return internal_error(&visit, &"the gate let an odd transfer id in");
    };
    let notice = if done.envoye.is_some() {
        Some(
            "Le transfert est prêt : téléchargez le paquet (SIP) et déposez-le dans le système d'archivage, puis revenez ici déposer sa réponse.",
        )
    } else if done.reponse.is_some() {
        Some("La réponse des archives est enregistrée.")
    } else {
        None
    };
    match web.acta.transfer(&id).await {
        Ok(t) => render(StatusCode::OK, &transfer_page(&web, &visit, t, Form::default(), notice).await),
        Err(e) => internal_error(&visit, &e),
    }
}

/// `GET /transferts/{id}/sip`: the SIP (zip), streamed.
pub async fn sip(
    State(web): State<Arc<Web>>,
    Extension(visit): Extension<Visit>,
    Path(id): Path<String>,
) -> Response {
    let Some(id) = transfer_id(&id) else {
        return internal_error(&visit, &"the gate let an odd transfer id in");
    };
    match web.acta.transfer_sip(&id).await {
        Ok(read) => {
            let mut resp = crate::http::range::full(read);
            let h = resp.headers_mut();
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/zip"));
            if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"sip-{id}.zip\"")) {
                h.insert(header::CONTENT_DISPOSITION, v);
            }
            resp
        }
        Err(e) => internal_error(&visit, &e),
    }
}

/// Ingest `xml` for transfer `id` as the visitor, keeping in quarantine a
/// reply that names no transfer within reach (and saying who left it).
async fn ingest(web: &Web, visit: &Visit, id: &TransferId, xml: &[u8]) -> Result<TransferView, ArchiveError> {
    let Some(caller) = visit.caller.as_ref() else {
        return Err(crate::service::ServiceError::Internal("a reply without a caller".into()).into());
    };
    let by = Uploader::of(caller);
    let result = web.acta.ingest_or_quarantine(id, xml, &by, caller.collectivites()).await;
    if let Err(ArchiveError::Quarantined { kept: Quarantined::Kept(q), .. }) = &result {
        web.record(
            visit,
            None,
            "transfer.reply.quarantine",
            Some(format!("quarantaine {q} (transfert {id})")),
        )
        .await;
    }
    result
}

/// `POST /transferts/{id}/reponse`: the archive's reply, uploaded (multipart).
pub async fn reply(
    State(web): State<Arc<Web>>,
    Extension(visit): Extension<Visit>,
    Path(id): Path<String>,
    mut upload: Multipart,
) -> Response {
    let Some(id) = transfer_id(&id) else {
        return internal_error(&visit, &"the gate let an odd transfer id in");
    };
    let (mut xml, mut files) = (None, 0);
    while let Ok(Some(field)) = upload.next_field().await {
        if field.name() == Some("reponse") {
            files += 1;
            xml = field.bytes().await.ok();
        }
    }
    let mut form = Form::default();
    match xml.filter(|b| !b.is_empty()) {
        // A crafted form with two replies: one would settle the transfer and
        // the other be dropped without a word.
        Some(_) if files > 1 => form.error("reponse", "Choisissez un seul fichier de réponse à la fois"),
        None => form.error("reponse", "Choisissez le fichier XML de la réponse des archives"),
        Some(xml) => match ingest(&web, &visit, &id, &xml).await {
            Ok(_) => {
                web.record(&visit, None, "transfer.reply", Some(id.to_string())).await;
                return see_other(&format!("{PATH}/{id}?reponse=1"));
            }
            Err(
                e @ (ArchiveError::BadReply(_)
                | ArchiveError::Quarantined { .. }
                | ArchiveError::ReplyMismatch { .. }
                | ArchiveError::ReplyUnidentified { .. }
                | ArchiveError::TooManyAcknowledgements { .. }
                | ArchiveError::Settled(_)),
            ) => form.error("reponse", capitalise(&e.to_string())),
            Err(e) => return internal_error(&visit, &e),
        },
    }
    match web.acta.transfer(&id).await {
        Ok(t) => render(StatusCode::UNPROCESSABLE_ENTITY, &transfer_page(&web, &visit, t, form, None).await),
        Err(e) => internal_error(&visit, &e),
    }
}
