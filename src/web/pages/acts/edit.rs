//! « Modifier le projet » and « Supprimer le projet »: a draft is never
//! rewritten; the service stores the new version as a new draft and
//! discards the old one (see `service::drafts`).

use std::collections::BTreeMap;
use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::{Extension, Form as Posted};

use super::{Filled, Pairs, Target, form_errors, form_page, posted, request_body, sealed_page};
use crate::service::ServiceError;
use crate::web::Web;
use crate::web::gate::{ActInScope, Visit};
use crate::web::page::{Layout, internal_error, not_found, render, see_other};

/// The draft `id` still editable, with its template and collectivité; or the
/// page that says why not (sealed, gone).
#[allow(clippy::result_large_err)] // a refusal is the page to answer
pub(super) async fn editable<'w>(
    web: &'w Web,
    visit: &Visit,
    id: &crate::domain::ActId,
) -> Result<(crate::act::Draft, &'w crate::catalog::Template, &'w crate::collectivite::Profile), Response> {
    let draft = match web.acta.draft_record(id).await {
        Ok(d) => d,
        Err(ServiceError::ActSealed) => return Err(sealed_page(visit)),
        Err(ServiceError::ActNotFound) => return Err(not_found(visit)),
        Err(e) => return Err(internal_error(visit, &e)),
    };
    match (web.acta.catalog().get(&draft.template), web.acta.collectivites().get(&draft.collectivite)) {
        (Some(template), Some(profile)) => Ok((draft, template, profile)),
        _ => Err(not_found(visit)),
    }
}

/// `GET /actes/{id}/modifier`: the form, filled with the draft.
pub async fn form(
    State(web): State<Arc<Web>>,
    Extension(visit): Extension<Visit>,
    Extension(act): Extension<ActInScope>,
) -> Response {
    let (draft, template, profile) = match editable(&web, &visit, &act.id).await {
        Ok(found) => found,
        Err(refused) => return refused,
    };
    let filled = Filled { template, profile, value: draft.data, errors: BTreeMap::new(), focus: None };
    form_page(&visit, &Target::Edit(act.id), filled)
}

/// `POST /actes/{id}/modifier`.
pub async fn submit(
    State(web): State<Arc<Web>>,
    Extension(visit): Extension<Visit>,
    Extension(act): Extension<ActInScope>,
    Posted(pairs): Posted<Pairs>,
) -> Response {
    let (draft, template, profile) = match editable(&web, &visit, &act.id).await {
        Ok(found) => found,
        Err(refused) => return refused,
    };
    let target = Target::Edit(act.id);
    let (value, focus, save) = posted(template, &pairs);
    if !save {
        return form_page(
            &visit,
            &target,
            Filled { template, profile, value, errors: BTreeMap::new(), focus },
        );
    }
    let mut body = request_body(template, profile, value.clone());
    if let Some(c) = &draft.corrects {
        // A correction stays one.
        body["corrige"] = serde_json::json!({"acte": c.act.to_string(), "nature": c.nature});
    }
    match web.acta.replace_draft(&act.id, &body).await {
        Ok(new) => {
            let old = Some(act.id.to_string());
            web.record_act(&visit, "act.create", new.id, act.owner.clone(), old).await;
            web.record_act(&visit, "act.discard", act.id, act.owner.clone(), Some(new.id.to_string())).await;
            see_other(&format!("/actes/{}?modifie=1", new.id))
        }
        Err(e) => match form_errors(&visit, e) {
            Ok(errors) => {
                form_page(&visit, &target, Filled { template, profile, value, errors, focus: None })
            }
            Err(page) => page,
        },
    }
}

/// A question before an action that cannot be undone.
#[derive(Template)]
#[template(path = "acts/confirm.html")]
pub struct ConfirmPage {
    /// Layout.
    pub layout: Layout,
    /// What is at stake, paragraph by paragraph.
    pub paragraphs: Vec<String>,
    /// Facts: label, value.
    pub facts: Vec<(&'static str, String)>,
    /// Where the form posts.
    pub action: String,
    /// The button.
    pub button: String,
    /// Whether the button warns (deletion).
    pub warning: bool,
    /// Where « Annuler » goes.
    pub cancel: String,
}

/// `GET /actes/{id}/supprimer`: « Supprimer ce projet ? ».
pub async fn delete_form(
    State(web): State<Arc<Web>>,
    Extension(visit): Extension<Visit>,
    Extension(act): Extension<ActInScope>,
) -> Response {
    let view = match web.acta.get(&act.id).await {
        Ok(v) if v.number.is_none() => v,
        Ok(_) => return sealed_page(&visit),
        Err(e) => return internal_error(&visit, &e),
    };
    let page = ConfirmPage {
        layout: Layout::new(&visit, "Supprimer le projet", ""),
        paragraphs: vec![
            "Le projet ne figurera plus dans les listes ni dans la recherche. Il n'a pas de numéro : aucun registre n'est concerné.".into(),
        ],
        facts: vec![("Projet", view.title.clone()), ("Collectivité", view.collectivite.nom.clone())],
        action: format!("/actes/{}/supprimer", act.id),
        button: "Supprimer le projet".into(),
        warning: true,
        cancel: format!("/actes/{}", act.id),
    };
    render(StatusCode::OK, &page)
}

/// `POST /actes/{id}/supprimer`.
pub async fn delete(
    State(web): State<Arc<Web>>,
    Extension(visit): Extension<Visit>,
    Extension(act): Extension<ActInScope>,
) -> Response {
    match web.acta.discard_draft(&act.id).await {
        Ok(()) => {
            web.record_act(&visit, "act.discard", act.id, act.owner.clone(), None).await;
            see_other("/accueil")
        }
        Err(ServiceError::ActSealed) => sealed_page(&visit),
        Err(ServiceError::ActNotFound) => not_found(&visit),
        Err(e) => internal_error(&visit, &e),
    }
}
