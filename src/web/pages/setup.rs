//! « Créer le compte administrateur »: the first-run page, reached through
//! the link `acta serve` prints on an instance without accounts.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::{Extension, Form as Posted};
use serde::Deserialize;

use crate::auth::{Login, NewUser, Password, Role, UserError};
use crate::web::Web;
use crate::web::auth::{Identity, Method};
use crate::web::first_run::PATH;
use crate::web::gate::Visit;
use crate::web::page::{Field, Form, Layout, error_page, internal_error, render, see_other};

#[derive(Template)]
#[template(path = "setup.html")]
struct SetupPage {
    layout: Layout,
    form: Form,
    action: String,
}

/// What the form posts.
#[derive(Debug, Deserialize)]
pub struct SetupForm {
    #[serde(default)]
    identifiant: String,
    #[serde(default)]
    nom: String,
    #[serde(default)]
    mot_de_passe: String,
    #[serde(default)]
    confirmation: String,
}

fn fields(login: &str, name: &str) -> Form {
    Form::new(vec![
        Field::text("identifiant", "Identifiant")
            .hint("Ce que vous saisirez pour vous connecter : lettres minuscules, chiffres, « . », « - », « _ » ou « @ »")
            .autocomplete("username")
            .value(login),
        Field::text("nom", "Nom et prénom").hint("Tel qu'il apparaîtra dans acta et son journal").autocomplete("name").value(name),
        Field::text("mot_de_passe", "Mot de passe")
            .kind("password")
            .hint("Au moins 12 caractères ; une phrase de plusieurs mots est facile à retenir et difficile à deviner")
            .autocomplete("new-password"),
        Field::text("confirmation", "Confirmez le mot de passe").kind("password").autocomplete("new-password"),
    ])
}

fn page(visit: &Visit, form: Form, token: &str) -> SetupPage {
    let mut layout = Layout::new(visit, "Créer le compte administrateur", "");
    layout.has_errors = !form.is_valid();
    SetupPage { layout, form, action: format!("{PATH}/{token}") }
}

/// The page for a link that is not (or no longer) valid.
fn dead_link(visit: &Visit) -> Response {
    error_page(
        visit,
        StatusCode::NOT_FOUND,
        "Lien expiré ou déjà utilisé",
        "Ce lien de première connexion n'est plus valable : il a expiré, a déjà servi, ou un compte existe déjà. \
         Connectez-vous, ou redémarrez acta pour obtenir un nouveau lien s'il n'existe encore aucun compte.",
    )
}

async fn usable(web: &Web, token: &str) -> Result<bool, UserError> {
    Ok(web.first_run.valid(token) && !web.users.any().await?)
}

/// `GET /premiere-connexion/{token}`.
pub async fn form(
    State(web): State<Arc<Web>>,
    Extension(visit): Extension<Visit>,
    Path(token): Path<String>,
) -> Response {
    match usable(&web, &token).await {
        Ok(true) => render(StatusCode::OK, &page(&visit, fields("admin", ""), &token)),
        Ok(false) => dead_link(&visit),
        Err(e) => internal_error(&visit, &e),
    }
}

/// `POST /premiere-connexion/{token}`: create the administrator, log them in.
pub async fn submit(
    State(web): State<Arc<Web>>,
    Extension(visit): Extension<Visit>,
    Path(token): Path<String>,
    Posted(posted): Posted<SetupForm>,
) -> Response {
    match usable(&web, &token).await {
        Ok(true) => {}
        Ok(false) => return dead_link(&visit),
        Err(e) => return internal_error(&visit, &e),
    }
    let mut form = fields(posted.identifiant.trim(), posted.nom.trim());
    let login = posted.identifiant.parse::<Login>();
    if let Err(e) = &login {
        form.error("identifiant", capitalise(&e.to_string()));
    }
    if posted.nom.trim().is_empty() {
        form.error("nom", "Saisissez votre nom et votre prénom");
    }
    let password = Password::new(posted.mot_de_passe);
    if let Err(why) = password.check_policy(posted.identifiant.trim()) {
        form.error("mot_de_passe", why);
    } else if password.expose() != posted.confirmation {
        form.error("confirmation", "Les deux mots de passe saisis sont différents");
    }
    let (Ok(login), true) = (login, form.is_valid()) else {
        return render(StatusCode::UNPROCESSABLE_ENTITY, &page(&visit, form, &token));
    };
    let new = NewUser {
        login,
        display_name: posted.nom,
        role: Role::Admin,
        collectivites: Vec::new(),
        password: Some(password),
    };
    let account = match web.users.create(new, |_| true, "setup").await {
        Ok(a) => a,
        Err(UserError::Invalid { field, message }) => {
            form.error(if field == "display_name" { "nom" } else { "mot_de_passe" }, message);
            return render(StatusCode::UNPROCESSABLE_ENTITY, &page(&visit, form, &token));
        }
        Err(UserError::LoginTaken(_)) => return dead_link(&visit),
        Err(e) => return internal_error(&visit, &e),
    };
    web.first_run.consume();
    let login = account.login.to_string();
    web.record(&visit, Some(&account), "user.create", Some(login.clone())).await;
    let cookie = web.sign_in(&visit, Identity { login: account.login, method: Method::FirstRun });
    tracing::info!(login, "administrator account created through the first-run link");
    let mut resp = see_other("/accueil");
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

/// A message with its first letter in upper case (error messages are sentences).
pub(super) fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}
