//! « Sceller »: a confirmation naming the register and the number the act
//! will take, then the API's sealing call; and the withdrawal of a sealed
//! act (a tombstone in the register, nothing deleted).

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::{Extension, Form as Posted};
use serde::Deserialize;

use super::edit::ConfirmPage;
use super::register_name;
use super::show::REASONS;
use crate::service::ServiceError;
use crate::tlog::WithdrawReason;
use crate::web::Web;
use crate::web::gate::{ActInScope, Visit};
use crate::web::page::{Field, Form, Layout, error_page, internal_error, not_found, render, see_other};

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

/// « Retirer l'acte n° … »: the reason, asked on a page of its own before
/// anything is written (the register never forgets a withdrawal).
#[derive(Template)]
#[template(path = "acts/withdraw.html")]
struct WithdrawPage {
    layout: Layout,
    id: String,
    facts: Vec<(&'static str, String)>,
    form: Form,
}

fn motif_field(chosen: &str) -> Form {
    let options = std::iter::once((String::new(), "Choisissez un motif".to_owned()))
        .chain(REASONS.iter().map(|(c, l)| ((*c).to_owned(), (*l).to_owned())))
        .collect();
    Form::new(vec![
        Field::text("motif", "Motif du retrait")
            .hint("Il est inscrit au registre avec le retrait, et donné à quiconque vérifie l'acte")
            .select(options)
            .value(chosen),
    ])
}

/// The withdrawal page of a sealed act not withdrawn yet (else its act page).
async fn withdraw_page(web: &Web, visit: &Visit, act: &ActInScope, form: Form) -> Response {
    let view = match web.acta.get(&act.id).await {
        Ok(v) => v,
        Err(ServiceError::ActNotFound) => return not_found(visit),
        Err(e) => return internal_error(visit, &e),
    };
    let Some(number) = view.number.as_ref().filter(|_| view.retrait.is_none()) else {
        return see_other(&format!("/actes/{}", act.id));
    };
    let mut layout = Layout::new(visit, format!("Retirer l'acte n° {number}"), "");
    layout.has_errors = !form.is_valid();
    let status = if form.is_valid() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = WithdrawPage {
        layout,
        id: act.id.to_string(),
        facts: vec![
            ("Acte", view.title.clone()),
            ("Numéro", number.to_string()),
            ("Collectivité", view.collectivite.nom.clone()),
        ],
        form,
    };
    render(status, &page)
}

/// `GET /actes/{id}/retirer`: « Retirer l'acte n° … », with its reason.
pub async fn withdraw_form(
    State(web): State<Arc<Web>>,
    Extension(visit): Extension<Visit>,
    Extension(act): Extension<ActInScope>,
) -> Response {
    withdraw_page(&web, &visit, &act, motif_field("")).await
}

/// `POST /actes/{id}/retirer`: the withdrawal, for the reason chosen; none
/// chosen, the same page again with the error beside the field.
pub async fn withdraw(
    State(web): State<Arc<Web>>,
    Extension(visit): Extension<Visit>,
    Extension(act): Extension<ActInScope>,
    Posted(posted): Posted<WithdrawForm>,
) -> Response {
    let Ok(reason) = posted.motif.parse::<WithdrawReason>() else {
        let mut form = motif_field("");
        form.error("motif", "Choisissez le motif du retrait");
        return withdraw_page(&web, &visit, &act, form).await;
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
