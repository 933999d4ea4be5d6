//! « Comptes » (administrators): the accounts, and a form to create one.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::{Extension, Form as Posted};
use serde::Deserialize;

use super::setup::capitalise;
use crate::auth::{Login, NewUser, Password, Role, UserError, UserRecord};
use crate::domain::Siren;
use crate::web::Web;
use crate::web::gate::Visit;
use crate::web::page::{Field, Form, Layout, internal_error, render, see_other};

/// An account as the table shows it.
pub struct Row {
    login: String,
    name: String,
    role: &'static str,
    scope: String,
    state: &'static str,
}

impl Row {
    fn of(r: &UserRecord) -> Self {
        let scope = if r.collectivites.is_empty() {
            "toutes".to_owned()
        } else {
            r.collectivites.iter().map(Siren::as_str).collect::<Vec<_>>().join(", ")
        };
        let state = r.state_label();
        Self { login: r.login.to_string(), name: r.display_name.clone(), role: r.role.label(), scope, state }
    }
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    layout: Layout,
    users: Vec<Row>,
    form: Form,
    notice: Option<String>,
}

/// What the creation form posts.
#[derive(Debug, Deserialize)]
pub struct NewUserForm {
    #[serde(default)]
    identifiant: String,
    #[serde(default)]
    nom: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    collectivites: String,
    #[serde(default)]
    mot_de_passe: String,
}

/// The query of `GET /admin/comptes` after a creation.
#[derive(Debug, Deserialize)]
pub struct Created {
    cree: Option<String>,
}

fn fields(posted: Option<&NewUserForm>) -> Form {
    let v = |s: Option<&String>| s.map_or(String::new(), |s| s.trim().to_owned());
    let roles = std::iter::once((String::new(), "Choisissez un rôle".to_owned()))
        .chain(Role::ALL.iter().map(|r| (r.as_str().to_owned(), capitalise(r.label()))))
        .collect();
    Form::new(vec![
        Field::text("identifiant", "Identifiant")
            .hint("Ce que la personne saisira pour se connecter, par exemple prenom.nom")
            .value(v(posted.map(|p| &p.identifiant))),
        Field::text("nom", "Nom et prénom").value(v(posted.map(|p| &p.nom))),
        Field::text("role", "Rôle")
            .hint("Gestionnaire et archiviste : une liste de collectivités ou toutes ; secrétaire et lecteur : une seule ; administrateur : toutes")
            .select(roles)
            .value(v(posted.map(|p| &p.role))),
        Field::text("collectivites", "Collectivités")
            .hint("Numéros SIREN séparés par des virgules ; laissez vide pour toutes les collectivités")
            .value(v(posted.map(|p| &p.collectivites)))
            .optional(),
        Field::text("mot_de_passe", "Mot de passe initial")
            .kind("password")
            .hint("Au moins 12 caractères ; communiquez-le à la personne par un autre moyen que le courriel")
            .autocomplete("new-password"),
    ])
}

async fn page(web: &Web, visit: &Visit, form: Form, notice: Option<String>) -> Result<UsersPage, UserError> {
    let users = web.users.list().await?.iter().map(Row::of).collect();
    let mut layout = Layout::new(visit, "Comptes", "/admin/comptes");
    layout.has_errors = !form.is_valid();
    Ok(UsersPage { layout, users, form, notice })
}

/// `GET /admin/comptes`.
pub async fn list(
    State(web): State<Arc<Web>>,
    Extension(visit): Extension<Visit>,
    Query(q): Query<Created>,
) -> Response {
    let notice = q.cree.and_then(|l| l.parse::<Login>().ok()).map(|l| format!("Le compte « {l} » est créé."));
    match page(&web, &visit, fields(None), notice).await {
        Ok(p) => render(StatusCode::OK, &p),
        Err(e) => internal_error(&visit, &e),
    }
}

/// `POST /admin/comptes`: create an account.
pub async fn create(
    State(web): State<Arc<Web>>,
    Extension(visit): Extension<Visit>,
    Posted(posted): Posted<NewUserForm>,
) -> Response {
    let mut form = fields(Some(&posted));
    let login = posted.identifiant.parse::<Login>();
    if let Err(e) = &login {
        form.error("identifiant", capitalise(&e.to_string()));
    }
    let role = posted.role.parse::<Role>();
    if role.is_err() {
        form.error("role", "Choisissez un rôle");
    }
    let mut collectivites = Vec::new();
    for s in posted.collectivites.split([',', ' ', ';', '\n']).map(str::trim).filter(|s| !s.is_empty()) {
        match s.parse::<Siren>() {
            Ok(siren) => collectivites.push(siren),
            Err(_) => {
                form.error("collectivites", format!("« {s} » n'est pas un numéro SIREN (9 chiffres)"));
                break;
            }
        }
    }
    let (Ok(login), Ok(role), true) = (login, role, form.is_valid()) else {
        return respond(&web, &visit, form).await;
    };
    let new = NewUser {
        login,
        display_name: posted.nom.clone(),
        role,
        collectivites,
        password: Some(Password::new(posted.mot_de_passe)),
    };
    let by = visit.account.as_ref().map_or_else(|| "web".to_owned(), |a| a.login.to_string());
    match web.users.create(new, |s| web.acta.collectivites().get(s).is_some(), &by).await {
        Ok(account) => {
            web.record(&visit, None, "user.create", Some(account.login.to_string())).await;
            see_other(&format!("/admin/comptes?cree={}", account.login))
        }
        Err(UserError::Invalid { field, message }) => {
            let id = match field {
                "display_name" => "nom",
                "collectivites" => "collectivites",
                "role" => "role",
                _ => "mot_de_passe",
            };
            form.error(id, message);
            respond(&web, &visit, form).await
        }
        Err(UserError::LoginTaken(l)) => {
            form.error("identifiant", format!("Un compte « {l} » existe déjà"));
            respond(&web, &visit, form).await
        }
        Err(e) => internal_error(&visit, &e),
    }
}

async fn respond(web: &Web, visit: &Visit, form: Form) -> Response {
    match page(web, visit, form, None).await {
        Ok(p) => render(StatusCode::UNPROCESSABLE_ENTITY, &p),
        Err(e) => internal_error(visit, &e),
    }
}
