//! « Sceller »: a confirmation naming the register and the number the act
//! will take, then the API's sealing call; and the withdrawal of a sealed
//! act (a tombstone in the register, nothing deleted).

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::{Extension, Form as Posted};
use serde::Deserialize;

use super::edit::ConfirmPage;
use super::register_name;
use crate::service::ServiceError;
use crate::tlog::WithdrawReason;
use crate::web::Web;
use crate::web::gate::{ActInScope, Visit};
use crate::web::page::{Layout, error_page, internal_error, not_found, render, see_other};

/// `GET /actes/{id}/sceller`.
pub async fn form(
    State(web): State<Arc<Web>>,
    Extension(visit): Extension<Visit>,
    Extension(act): Extension<ActInScope>,
) -> Response {
    let view = match web.acta.get(&act.id).await {
        Ok(v) if v.number.is_some() => return see_other(&format!("/actes/{}", act.id)),
        Ok(v) => v,
        Err(ServiceError::ActNotFound) => return not_found(&visit),
        Err(e) => return internal_error(&visit, &e),
    };
    let next = match web.acta.next_number(&act.id).await {
        Ok(n) => n,
        Err(e) => return internal_error(&visit, &e),
    };
    let register = format!("{} {} — {}", register_name(&next.series), next.year, view.collectivite.nom);
    let page = ConfirmPage {
        layout: Layout::new(&visit, "Sceller l'acte", ""),
        paragraphs: vec![
            format!("L'acte sera inscrit au {} sous le numéro {}.", lower_first(&register), next.number),
            "Le scellement est définitif : l'acte reçoit son numéro, son cachet électronique et son inscription au journal du registre ; il ne pourra plus être modifié, seulement corrigé par un rectificatif ou retiré.".into(),
            "Si un autre acte de ce registre est scellé entre-temps, l'acte prendra le numéro suivant.".into(),
        ],
        facts: vec![
            ("Acte", view.title.clone()),
            ("Registre", register),
            ("Numéro qu'il prendra", next.number.to_string()),
        ],
        action: format!("/actes/{}/sceller", act.id),
        button: format!("Sceller l'acte n° {}", next.number),
        warning: false,
        cancel: format!("/actes/{}", act.id),
    };
    render(StatusCode::OK, &page)
}

/// `POST /actes/{id}/sceller`: seal (idempotent), then the act page.
pub async fn submit(
    State(web): State<Arc<Web>>,
    Extension(visit): Extension<Visit>,
    Extension(act): Extension<ActInScope>,
) -> Response {
    match web.acta.seal(&act.id).await {
        Ok(view) => {
            web.record_act(&visit, "act.seal", act.id, act.owner.clone(), view.number.map(|n| n.to_string()))
                .await;
            see_other(&format!("/actes/{}?scelle=1", act.id))
        }
        Err(ServiceError::ActNotFound) => not_found(&visit),
        Err(ServiceError::Invalid(errors)) => error_page(
            &visit,
            StatusCode::UNPROCESSABLE_ENTITY,
            "Scellement impossible",
            &format!(
                "Le projet ne respecte plus les règles de son modèle : {}. Modifiez le projet, puis scellez-le.",
                errors.iter().map(|e| e.message.as_str()).collect::<Vec<_>>().join(" ; ")
            ),
        ),
        Err(e) => internal_error(&visit, &e),
    }
}

/// What the withdrawal form posts.
#[derive(Debug, Deserialize)]
pub struct WithdrawForm {
    #[serde(default)]
    motif: String,
}

/// `POST /actes/{id}/retirer`.
pub async fn withdraw(
    State(web): State<Arc<Web>>,
    Extension(visit): Extension<Visit>,
    Extension(act): Extension<ActInScope>,
    Posted(form): Posted<WithdrawForm>,
) -> Response {
    let Ok(reason) = form.motif.parse::<WithdrawReason>() else {
        return error_page(
            &visit,
            StatusCode::UNPROCESSABLE_ENTITY,
            "Retrait impossible",
            "Choisissez le motif du retrait, puis recommencez.",
        );
    };
    match web.acta.withdraw(&act.id, reason, None).await {
        Ok(_) => {
            web.record_act(&visit, "act.withdraw", act.id, act.owner.clone(), Some(reason.code().to_owned()))
                .await;
            see_other(&format!("/actes/{}?retire=1", act.id))
        }
        Err(ServiceError::ActNotFound) => not_found(&visit),
        Err(ServiceError::NotSealed) => error_page(
            &visit,
            StatusCode::CONFLICT,
            "Retrait impossible",
            "Seul un acte scellé se retire ; un projet se supprime.",
        ),
        Err(ServiceError::AlreadyWithdrawn(_)) => error_page(
            &visit,
            StatusCode::CONFLICT,
            "Acte déjà retiré",
            "Le retrait de cet acte est déjà inscrit au registre, pour un autre motif.",
        ),
        Err(e) => internal_error(&visit, &e),
    }
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    c.next().map_or_else(String::new, |f| f.to_lowercase().chain(c).collect())
}
