//! « Se connecter » and « Se déconnecter ».

use std::sync::Arc;

use crate::web::page::Query;
use askama::Template;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::{Extension, Form as Posted};
use serde::Deserialize;

use crate::auth::Password;
use crate::auth::throttle::Blocked;
use crate::web::Web;
use crate::web::auth::{Authenticator, LoginError, PasswordLogin};
use crate::web::gate::{Visit, safe_return};
use crate::web::page::{Field, Form, Layout, internal_error, render, see_other};

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    layout: Layout,
    form: Form,
    suite: String,
    notice: Option<String>,
    /// No account exists yet: the page says where the first one is made.
    no_account: bool,
}

/// The query of `GET /connexion`.
#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    suite: Option<String>,
    fin: Option<String>,
}

/// What the login form posts.
#[derive(Debug, Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    identifiant: String,
    #[serde(default)]
    mot_de_passe: String,
    suite: Option<String>,
}

fn fields(login: &str) -> Form {
    Form::new(vec![
        Field::text("identifiant", "Identifiant")
            .hint("Celui que l'administrateur vous a communiqué, par exemple prenom.nom")
            .autocomplete("username")
            .value(login),
        Field::text("mot_de_passe", "Mot de passe").kind("password").autocomplete("current-password"),
    ])
}

fn page(visit: &Visit, form: Form, suite: &str, notice: Option<String>) -> LoginPage {
    let mut layout = Layout::new(visit, "Se connecter", "/connexion");
    layout.has_errors = !form.is_valid();
    LoginPage { layout, form, suite: suite.to_owned(), notice, no_account: false }
}

/// `GET /connexion`: the form (or home, for someone logged in already).
pub async fn form(
    State(web): State<Arc<Web>>,
    Extension(visit): Extension<Visit>,
    Query(q): Query<LoginQuery>,
) -> Response {
    let suite = safe_return(q.suite.as_deref());
    if visit.caller.is_some() {
        return see_other(suite);
    }
    let notice = match q.fin.as_deref() {
        Some("deconnexion") => Some("Vous êtes déconnecté.".to_owned()),
        Some("expiree") => Some("Votre session a expiré : connectez-vous à nouveau.".to_owned()),
        _ => None,
    };
    let mut login = page(&visit, fields(""), suite, notice);
    // A newcomer who opens the address before the console's link: say where
    // the administrator account is made (a failed look-up just says nothing).
    login.no_account = matches!(web.users.any().await, Ok(false));
    render(StatusCode::OK, &login)
}

/// `POST /connexion`: check the password (throttled), open a fresh session.
pub async fn submit(
    State(web): State<Arc<Web>>,
    Extension(visit): Extension<Visit>,
    Posted(posted): Posted<LoginForm>,
) -> Response {
    let suite = safe_return(posted.suite.as_deref()).to_owned();
    let mut form = fields(posted.identifiant.trim());
    if posted.identifiant.trim().is_empty() {
        form.error("identifiant", "Saisissez votre identifiant");
    }
    if posted.mot_de_passe.is_empty() {
        form.error("mot_de_passe", "Saisissez votre mot de passe");
    }
    if !form.is_valid() {
        return render(StatusCode::UNPROCESSABLE_ENTITY, &page(&visit, form, &suite, None));
    }
    let login = PasswordLogin { users: &web.users, throttle: &web.throttle };
    let credentials = (posted.identifiant.clone(), Password::new(posted.mot_de_passe));
    match login.authenticate(credentials, visit.address).await {
        Ok((identity, account)) => {
            let cookie = web.sign_in(&visit, identity);
            web.record(&visit, Some(&account), "user.login", None).await;
            let mut resp = see_other(&suite);
            if let Ok(v) = HeaderValue::from_str(&cookie) {
                resp.headers_mut().append(header::SET_COOKIE, v);
            }
            resp
        }
        Err(LoginError::Refused) => {
            tracing::info!(address = %visit.address, "login refused");
            form.error("identifiant", "Identifiant ou mot de passe incorrect");
            render(StatusCode::UNPROCESSABLE_ENTITY, &page(&visit, form, &suite, None))
        }
        Err(LoginError::Throttled(blocked)) => {
            let (why, minutes) = match blocked {
                Blocked::Account(m) => ("pour ce compte", m),
                Blocked::Address(m) => ("depuis votre adresse", m),
            };
            tracing::warn!(address = %visit.address, ?blocked, "login throttled");
            form.error(
                "identifiant",
                format!(
                    "Trop de tentatives de connexion {why}. Réessayez dans {}.",
                    super::wording::plural(minutes, "minute", "minutes")
                ),
            );
            let mut resp = render(StatusCode::TOO_MANY_REQUESTS, &page(&visit, form, &suite, None));
            if let Ok(v) = HeaderValue::from_str(&(minutes * 60).to_string()) {
                resp.headers_mut().insert(header::RETRY_AFTER, v);
            }
            resp
        }
        Err(LoginError::Users(e)) => internal_error(&visit, &e),
    }
}

#[derive(Template)]
#[template(path = "logout.html")]
struct LogoutPage {
    layout: Layout,
}

/// `GET /deconnexion`: a button to log out (the header has one on every page).
pub async fn logout_page(Extension(visit): Extension<Visit>) -> Response {
    render(StatusCode::OK, &LogoutPage { layout: Layout::new(&visit, "Se déconnecter", "/deconnexion") })
}

/// `POST /deconnexion`: close the session, forget the cookie.
pub async fn logout(State(web): State<Arc<Web>>, Extension(visit): Extension<Visit>) -> Response {
    if let Some(id) = &visit.session {
        web.sessions.close(id);
        web.record(&visit, None, "user.logout", None).await;
    }
    let clear = web.cookies.clear(web.cookies.session_name());
    let mut resp = see_other("/connexion?fin=deconnexion");
    if let Ok(v) = HeaderValue::from_str(&clear) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}
