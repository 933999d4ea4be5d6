//! `/` and « Accueil »: what the person logged in may do, by role.

use std::sync::Arc;

use askama::Template;
use axum::Extension;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use crate::auth::{Permission, Role};
use crate::search::Collectivites;
use crate::web::Web;
use crate::web::gate::Visit;
use crate::web::page::{Layout, render, see_other};

/// `GET /`: home for someone logged in, « Se connecter » otherwise.
pub async fn root(Extension(visit): Extension<Visit>) -> Response {
    see_other(if visit.caller.is_some() { "/accueil" } else { "/connexion" })
}

/// A thing to do, and where.
pub struct Task {
    label: &'static str,
    hint: &'static str,
    /// `None` while the page does not exist yet.
    href: Option<&'static str>,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    layout: Layout,
    name: String,
    role: &'static str,
    scope: String,
    tasks: Vec<Task>,
}

/// What `role` may do, most frequent first.
fn tasks(role: Role) -> Vec<Task> {
    let t = |label, hint, href| Task { label, hint, href };
    let mut out = Vec::new();
    if role.allows(Permission::CreateDraft) {
        out.push(t(
            "Nouvel acte",
            "Rédiger un arrêté, une délibération, une convocation ou un procès-verbal à partir d'un modèle.",
            Some("/actes/nouveau"),
        ));
        out.push(t(
            "Projets en cours",
            "Reprendre, prévisualiser et sceller les projets enregistrés.",
            Some("/recherche?status=draft&sort=date_desc"),
        ));
    }
    if role == Role::Lecteur {
        out.push(t(
            "Espace collectivité",
            "Les actes scellés de votre collectivité, par année et par nature, à télécharger.",
            Some("/collectivite"),
        ));
    }
    if role.allows(Permission::Search) {
        out.push(t(
            "Rechercher un acte",
            "Par numéro, date, type, collectivité ou mots du texte.",
            Some("/recherche"),
        ));
    }
    if role.allows(Permission::RunCampaign) {
        out.push(t(
            "Campagnes",
            "Les arrêtés d'une vague d'avancements ou de reclassements, depuis un tableur vérifié ligne par ligne.",
            Some("/campagnes"),
        ));
    }
    if role.allows(Permission::Export) {
        out.push(t(
            "Transferts aux archives",
            "Préparer, envoyer et suivre les versements SEDA.",
            Some("/transferts"),
        ));
    }
    if role.allows(Permission::ManageTokens) {
        out.push(t(
            "Comptes",
            "Créer les comptes des gestionnaires, secrétaires, archivistes et collectivités.",
            Some("/admin/comptes"),
        ));
        out.push(t(
            "Jetons d'API",
            "Donner accès à l'API aux logiciels métier, et le retirer.",
            Some("/admin/jetons"),
        ));
    }
    if role.allows(Permission::ReadAudit) {
        out.push(t(
            "Journal d'audit",
            "Qui a fait quoi, quand et comment : pages, API, ligne de commande.",
            Some("/admin/journal"),
        ));
    }
    out.push(t(
        "Vérifier un document",
        "Contrôler qu'un PDF est un acte authentique, scellé et inscrit au registre.",
        Some("/verifier"),
    ));
    out
}

/// `GET /accueil`.
pub async fn home(State(web): State<Arc<Web>>, Extension(visit): Extension<Visit>) -> Response {
    let Some(account) = visit.account.clone() else { return see_other("/connexion") };
    let scope = match account.caller().collectivites() {
        Collectivites::All => "toutes les collectivités".to_owned(),
        Collectivites::Only(set) => set
            .iter()
            .map(|s| web.acta.collectivites().get(s).map_or_else(|| s.to_string(), |p| p.nom.clone()))
            .collect::<Vec<_>>()
            .join(", "),
    };
    let page = HomePage {
        layout: Layout::new(&visit, "Accueil", "/accueil"),
        name: account.display_name.clone(),
        role: account.role.label(),
        scope,
        tasks: tasks(account.role),
    };
    render(StatusCode::OK, &page)
}
