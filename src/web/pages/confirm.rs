//! Confirmation steps of the destructive administration actions: revoking
//! an API token and disabling an account. The lists link to a page (`GET`,
//! nothing changes) that names what will be done and what follows from it;
//! its button posts the form (with its CSRF token) to the action's `POST`
//! address, the one place where the change happens.

use std::sync::Arc;

use askama::Template;
use axum::Extension;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use time::OffsetDateTime;

use super::admin::TOKENS;
use super::wording::{collectivite_name, moment_label};
use crate::auth::users::{Login, UserRecord};
use crate::auth::{TokenId, Tokens};
use crate::web::Web;
use crate::web::gate::Visit;
use crate::web::page::{Layout, error_page, internal_error, render, see_other};

/// A confirmation: facts, consequences, one button that posts.
#[derive(Template)]
#[template(path = "confirm.html")]
struct ConfirmPage {
    layout: Layout,
    /// What will be done, in one sentence.
    lead: String,
    /// What it concerns: label, value.
    facts: Vec<(&'static str, String)>,
    /// What follows from it.
    consequences: Vec<String>,
    /// Where the form posts, and its fields besides the CSRF token.
    action: String,
    hidden: Vec<(&'static str, &'static str)>,
    button: String,
    cancel: &'static str,
}

fn scope(web: &Web, collectivites: &[crate::domain::Siren]) -> String {
    if collectivites.is_empty() {
        return "toutes".into();
    }
    collectivites.iter().map(|s| collectivite_name(&web.acta, s.as_str())).collect::<Vec<_>>().join(", ")
}

/// `GET /admin/jetons/{token}/revoquer`: « Révoquer le jeton … ? ».
pub async fn revoke_token(
    State(web): State<Arc<Web>>,
    Extension(visit): Extension<Visit>,
    Path(id): Path<String>,
) -> Response {
    let unknown = || error_page(&visit, StatusCode::NOT_FOUND, "Jeton introuvable", "Ce jeton n'existe pas.");
    let Ok(id) = id.parse::<TokenId>() else { return unknown() };
    let tokens = match Tokens::new(web.acta.store().clone()).list().await {
        Ok(t) => t,
        Err(e) => return internal_error(&visit, &e),
    };
    let Some(t) = tokens.into_iter().find(|t| t.id == id) else { return unknown() };
    if t.revoked_at.is_some() {
        return see_other(TOKENS);
    }
    let expired = t.expires_at <= OffsetDateTime::now_utc();
    let page = ConfirmPage {
        layout: Layout::new(&visit, format!("Révoquer le jeton {id}"), "/admin/comptes"),
        lead: format!("Le jeton {id} ne donnera plus accès à l'API, dès maintenant et pour toujours."),
        facts: vec![
            ("Jeton", id.to_string()),
            ("Rôle", t.role.label().to_owned()),
            ("Collectivités", scope(&web, &t.collectivites)),
            ("Créé le", moment_label(t.created_at)),
            (if expired { "Expiré le" } else { "Expire le" }, moment_label(t.expires_at)),
        ],
        consequences: vec![
            "Les programmes qui présentent ce jeton seront refusés à leur prochaine requête.".into(),
            "La révocation est définitive : pour rétablir un accès, créez un nouveau jeton et transmettez-le.".into(),
            "La révocation est inscrite au journal d'audit, à votre nom.".into(),
        ],
        action: format!("/admin/jetons/{id}/revoquer"),
        hidden: Vec::new(),
        button: format!("Révoquer le jeton {id}"),
        cancel: TOKENS,
    };
    render(StatusCode::OK, &page)
}

/// `GET /admin/comptes/{login}/etat`: « Désactiver le compte … ? » (an
/// account already disabled, or one's own, has nothing to confirm).
pub async fn disable_user(
    State(web): State<Arc<Web>>,
    Extension(visit): Extension<Visit>,
    Path(login): Path<String>,
) -> Response {
    let (login, user) = match account(&web, &visit, &login).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    if visit.account.as_ref().is_some_and(|me| me.login == login) {
        return error_page(
            &visit,
            StatusCode::CONFLICT,
            "Action impossible",
            "Vous ne pouvez pas désactiver votre propre compte : demandez-le à un autre administrateur.",
        );
    }
    if user.disabled {
        return see_other("/admin/comptes");
    }
    let name = user.display_name.clone();
    let page = ConfirmPage {
        layout: Layout::new(&visit, format!("Désactiver le compte {login}"), "/admin/comptes"),
        lead: format!("{name} ne pourra plus se connecter à acta."),
        facts: vec![
            ("Identifiant", login.to_string()),
            ("Nom", name.clone()),
            ("Rôle", user.role.label().to_owned()),
            ("Collectivités", scope(&web, &user.collectivites)),
        ],
        consequences: vec![
            format!("Si {name} est connecté(e), sa session prend fin à sa prochaine action."),
            "Rien n'est effacé : ses actes, ses projets et ses entrées du journal d'audit restent.".into(),
            "Le compte pourra être réactivé depuis la liste des comptes (« Réactiver »).".into(),
        ],
        action: format!("/admin/comptes/{login}/etat"),
        hidden: vec![("action", "desactiver")],
        button: format!("Désactiver le compte {login}"),
        cancel: "/admin/comptes",
    };
    render(StatusCode::OK, &page)
}

/// `GET /admin/comptes/{login}/mot-de-passe`: « Donner un nouveau mot de
/// passe à … ? » — the current password stops working at once, so the
/// button asks first (the page then shows the new one, once).
pub async fn reset_password(
    State(web): State<Arc<Web>>,
    Extension(visit): Extension<Visit>,
    Path(login): Path<String>,
) -> Response {
    let (login, user) = match account(&web, &visit, &login).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let mine = visit.account.as_ref().is_some_and(|me| me.login == login);
    let name = user.display_name.clone();
    let page = ConfirmPage {
        layout: Layout::new(&visit, format!("Nouveau mot de passe pour {login}"), "/admin/comptes"),
        lead: if mine {
            "Votre mot de passe actuel ne fonctionnera plus : acta en génère un nouveau, affiché une seule fois.".into()
        } else {
            format!(
                "Le mot de passe actuel de {name} ne fonctionnera plus : acta en génère un nouveau, affiché une seule fois."
            )
        },
        facts: vec![
            ("Identifiant", login.to_string()),
            ("Nom", name),
            ("Rôle", user.role.label().to_owned()),
            ("Collectivités", scope(&web, &user.collectivites)),
        ],
        consequences: vec![
            "Le nouveau mot de passe s'affiche sur la page suivante : notez-le, il ne sera plus montré."
                .into(),
            "Communiquez-le à la personne par un autre moyen que le courriel.".into(),
            "Le changement est inscrit au journal d'audit, à votre nom.".into(),
        ],
        action: format!("/admin/comptes/{login}/mot-de-passe"),
        hidden: Vec::new(),
        button: format!("Générer un nouveau mot de passe pour {login}"),
        cancel: "/admin/comptes",
    };
    render(StatusCode::OK, &page)
}

/// The account an address names, or the page saying it does not exist.
async fn account(web: &Web, visit: &Visit, login: &str) -> Result<(Login, UserRecord), Response> {
    let unknown =
        || error_page(visit, StatusCode::NOT_FOUND, "Compte introuvable", "Ce compte n'existe pas.");
    let Ok(login) = login.parse::<Login>() else { return Err(unknown()) };
    match web.users.get(&login).await {
        Ok(Some(user)) => Ok((login, user)),
        Ok(None) => Err(unknown()),
        Err(e) => Err(internal_error(visit, &e)),
    }
}
