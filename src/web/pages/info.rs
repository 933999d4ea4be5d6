//! Pages of information, open to everyone: « Déclaration d'accessibilité »
//! (RGAA 4.1, as the law asks every collectivité to publish) and « Aide »
//! (one section per role).

use askama::Template;
use axum::Extension;
use axum::http::StatusCode;
use axum::response::Response;

use crate::auth::Role;
use crate::web::gate::Visit;
use crate::web::page::{Layout, render};

/// « Déclaration d'accessibilité ».
pub const ACCESSIBILITY: &str = "/accessibilite";
/// « Aide ».
pub const HELP: &str = "/aide";

/// The pages checked with axe-core and the keyboard (the browser tests walk
/// them: `tests/api/browser.rs`, `tests/api/browser_find.rs`).
const AUDITED: [(&str, &str); 13] = [
    ("Se connecter", "/connexion"),
    ("Créer le compte administrateur", "/premiere-connexion/…"),
    ("Accueil", "/accueil"),
    ("Rechercher un acte", "/recherche"),
    ("Espace collectivité", "/collectivite"),
    ("Transferts aux archives", "/transferts"),
    ("Un transfert", "/transferts/…"),
    ("Comptes", "/admin/comptes"),
    ("Jetons d'API", "/admin/jetons"),
    ("Journal d'audit", "/admin/journal"),
    ("Vérifier un document", "/verifier"),
    ("Aide", "/aide"),
    ("Page introuvable", "/…"),
];

#[derive(Template)]
#[template(path = "accessibilite.html")]
struct AccessibilityPage {
    layout: Layout,
    audited: &'static [(&'static str, &'static str)],
}

/// `GET /accessibilite`.
pub async fn accessibility(Extension(visit): Extension<Visit>) -> Response {
    let layout = Layout::new(&visit, "Déclaration d'accessibilité", ACCESSIBILITY);
    render(StatusCode::OK, &AccessibilityPage { layout, audited: &AUDITED })
}

#[derive(Template)]
#[template(path = "aide.html")]
struct HelpPage {
    layout: Layout,
    /// The anchor of the reader's own section, if logged in.
    mine: Option<(&'static str, &'static str)>,
}

/// `GET /aide`.
pub async fn help(Extension(visit): Extension<Visit>) -> Response {
    let mine = visit.caller.as_ref().map(|c| match c.role {
        Role::Gestionnaire | Role::Secretaire => ("rediger", "Rédiger et sceller des actes"),
        Role::Archiviste => ("archiver", "Retrouver et archiver des actes"),
        Role::Lecteur => ("collectivite", "Consulter les actes de sa collectivité"),
        Role::Admin => ("administrer", "Administrer acta"),
    });
    let layout = Layout::new(&visit, "Aide", HELP);
    render(StatusCode::OK, &HelpPage { layout, mine })
}
