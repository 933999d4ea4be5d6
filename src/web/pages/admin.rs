//! Administration beside « Comptes »: « Jetons d'API » (list, create —
//! the secret shown once —, revoke) and « Journal d'audit » (the trail,
//! filtered by person, action and dates). The same stores as the API's
//! `/api/v1/tokens` and `/api/v1/audit` ([`crate::auth::Tokens`],
//! [`crate::auth::AuditLog`]); every change is audited with the person.

use std::sync::Arc;

use crate::web::page::Query;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::{Extension, Form as Posted};
use serde::Deserialize;
use time::OffsetDateTime;

use super::setup::capitalise;
use super::wording::{collectivite_name, moment_label as when, parse_day};
use crate::auth::{AuditQuery, AuthError, MAX_LIFETIME_DAYS, Role, TokenId, TokenRequest};
use crate::domain::Siren;
use crate::web::Web;
use crate::web::gate::Visit;
use crate::web::page::{Field, Form, Layout, error_page, internal_error, render, see_other};

/// « Jetons d'API ».
pub const TOKENS: &str = "/admin/jetons";
/// « Journal d'audit ».
pub const JOURNAL: &str = "/admin/journal";
/// Most entries shown at once (the most recent).
const SHOWN: usize = 500;

/// A token as the table shows it.
pub struct TokenRow {
    id: String,
    role: &'static str,
    scope: String,
    created: String,
    expires: String,
    state: &'static str,
    active: bool,
}

#[derive(Template)]
#[template(path = "tokens.html")]
struct TokensPage {
    layout: Layout,
    form: Form,
    tokens: Vec<TokenRow>,
    notice: Option<String>,
    /// A token just created: shown once.
    secret: Option<String>,
}

/// What the creation form posts.
#[derive(Debug, Default, Deserialize)]
pub struct NewTokenForm {
    #[serde(default)]
    role: String,
    #[serde(default)]
    collectivites: String,
    #[serde(default)]
    jours: String,
}

fn token_fields(posted: &NewTokenForm) -> Form {
    let roles = std::iter::once((String::new(), "Choisissez un rôle".to_owned()))
        .chain(Role::ALL.iter().map(|r| (r.as_str().to_owned(), capitalise(r.label()))))
        .collect();
    Form::new(vec![
        Field::text("role", "Rôle du programme").select(roles).value(posted.role.trim()),
        Field::text("collectivites", "Collectivités")
            .hint("Numéros SIREN séparés par des virgules ; laissez vide pour toutes (administrateur, ou gestionnaire et archiviste du Centre de gestion)")
            .value(posted.collectivites.trim())
            .optional(),
        Field::text("jours", "Durée de validité, en jours")
            .hint(&format!("De 1 à {MAX_LIFETIME_DAYS} jours ; renouvelez le jeton avant son expiration"))
            .value(if posted.jours.trim().is_empty() { "365" } else { posted.jours.trim() }),
    ])
}

async fn tokens_page(web: &Web, visit: &Visit, form: Form) -> Result<TokensPage, AuthError> {
    let now = OffsetDateTime::now_utc();
    let tokens = web
        .acta
        .tokens()
        .list()
        .await?
        .into_iter()
        .rev()
        .map(|t| {
            let (state, active) = match t.revoked_at {
                Some(_) => ("révoqué", false),
                None if t.expires_at <= now => ("expiré", false),
                None => ("actif", true),
            };
            TokenRow {
                id: t.id.to_string(),
                role: t.role.label(),
                scope: if t.collectivites.is_empty() {
                    "toutes".into()
                } else {
                    t.collectivites
                        .iter()
                        .map(|s| collectivite_name(&web.acta, s.as_str()))
                        .collect::<Vec<_>>()
                        .join(", ")
                },
                created: when(t.created_at),
                expires: when(t.expires_at),
                state,
                active,
            }
        })
        .collect();
    let mut layout = Layout::new(visit, "Jetons d'API", "/admin/comptes");
    layout.has_errors = !form.is_valid();
    Ok(TokensPage { layout, form, tokens, notice: None, secret: None })
}

/// The query after a revocation.
#[derive(Debug, Default, Deserialize)]
pub struct Revoked {
    revoque: Option<String>,
}

/// `GET /admin/jetons`.
pub async fn tokens(
    State(web): State<Arc<Web>>,
    Extension(visit): Extension<Visit>,
    Query(q): Query<Revoked>,
) -> Response {
    match tokens_page(&web, &visit, token_fields(&NewTokenForm::default())).await {
        Ok(mut p) => {
            p.notice = q
                .revoque
                .and_then(|id| id.parse::<TokenId>().ok())
                .map(|id| format!("Le jeton {id} est révoqué : il est refusé dès maintenant."));
            render(StatusCode::OK, &p)
        }
        Err(e) => internal_error(&visit, &e),
    }
}

/// `POST /admin/jetons`: create a token; the page shows it once.
pub async fn create_token(
    State(web): State<Arc<Web>>,
    Extension(visit): Extension<Visit>,
    Posted(posted): Posted<NewTokenForm>,
) -> Response {
    let mut form = token_fields(&posted);
    let role = posted.role.trim().parse::<Role>();
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
    let days = posted.jours.trim().parse::<i64>().ok().filter(|d| (1..=MAX_LIFETIME_DAYS).contains(d));
    if days.is_none() {
        form.error(
            "jours",
            format!("La durée de validité est un nombre de jours entre 1 et {MAX_LIFETIME_DAYS}"),
        );
    }
    let (Ok(role), Some(days), true) = (role, days, form.is_valid()) else {
        return respond_tokens(&web, &visit, form, StatusCode::UNPROCESSABLE_ENTITY, None).await;
    };
    let now = OffsetDateTime::now_utc();
    let req = TokenRequest { role, collectivites, expires_at: now + time::Duration::days(days) };
    let served = |s: &Siren| web.acta.collectivites().get(s).is_some();
    match web.acta.tokens().create(&req, served, now).await {
        Ok((record, token)) => {
            web.record(&visit, None, "token.create", Some(record.id.to_string())).await;
            let form = token_fields(&NewTokenForm::default());
            respond_tokens(&web, &visit, form, StatusCode::OK, Some(token.expose())).await
        }
        Err(AuthError::InvalidRequest(why)) => {
            form.error("collectivites", capitalise(&why));
            respond_tokens(&web, &visit, form, StatusCode::UNPROCESSABLE_ENTITY, None).await
        }
        Err(e) => internal_error(&visit, &e),
    }
}

async fn respond_tokens(
    web: &Web,
    visit: &Visit,
    form: Form,
    status: StatusCode,
    secret: Option<String>,
) -> Response {
    match tokens_page(web, visit, form).await {
        Ok(mut p) => {
            p.secret = secret;
            render(status, &p)
        }
        Err(e) => internal_error(visit, &e),
    }
}

/// `POST /admin/jetons/{token}/revoquer`.
pub async fn revoke_token(
    State(web): State<Arc<Web>>,
    Extension(visit): Extension<Visit>,
    Path(id): Path<String>,
) -> Response {
    let unknown = || error_page(&visit, StatusCode::NOT_FOUND, "Jeton introuvable", "Ce jeton n'existe pas.");
    let Ok(id) = id.parse::<TokenId>() else { return unknown() };
    match web.acta.tokens().revoke(&id, OffsetDateTime::now_utc()).await {
        Ok(()) => {
            web.record(&visit, None, "token.revoke", Some(id.to_string())).await;
            see_other(&format!("{TOKENS}?revoque={id}"))
        }
        Err(AuthError::UnknownToken(_)) => unknown(),
        Err(e) => internal_error(&visit, &e),
    }
}

/// An entry as the journal shows it.
pub struct EntryRow {
    when: String,
    who: String,
    role: &'static str,
    via: String,
    action: String,
    act: Option<String>,
    target: String,
    collectivite: String,
}

#[derive(Template)]
#[template(path = "journal.html")]
struct JournalPage {
    layout: Layout,
    form: Form,
    utilisateur: String,
    action: String,
    du: String,
    au: String,
    entries: Vec<EntryRow>,
    matched: usize,
    truncated: bool,
}

/// The journal's filters.
#[derive(Debug, Default, Deserialize)]
pub struct JournalFilters {
    #[serde(default)]
    utilisateur: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    du: String,
    #[serde(default)]
    au: String,
}

/// `GET /admin/journal?utilisateur=&action=&du=&au=`: the audit trail, the
/// most recent first; without dates, the last 30 days.
pub async fn journal(
    State(web): State<Arc<Web>>,
    Extension(visit): Extension<Visit>,
    Query(f): Query<JournalFilters>,
) -> Response {
    let Some(caller) = visit.caller.clone() else { return see_other("/connexion") };
    let mut form = Form::default();
    let today = crate::register::day_in_paris(OffsetDateTime::now_utc());
    let du = if f.du.trim().is_empty() && f.au.trim().is_empty() {
        (today - time::Duration::days(30)).to_string()
    } else {
        f.du.trim().to_owned()
    };
    let au = f.au.trim().to_owned();
    let day = |form: &mut Form, id: &'static str, v: &str| {
        if v.is_empty() {
            return None;
        }
        let d = parse_day(v);
        if d.is_none() {
            form.error(id, "Saisissez un jour existant, au format 2026-03-01");
        }
        d
    };
    let from = day(&mut form, "du", &du);
    let to = day(&mut form, "au", &au);
    if let (Some(a), Some(b)) = (from, to)
        && a > b
    {
        form.error("au", "La date de fin précède la date de début");
    }
    let utilisateur = f.utilisateur.trim().to_lowercase();
    let action = f.action.trim().to_owned();
    let mut entries = Vec::new();
    let (mut matched, mut truncated) = (0, false);
    if form.is_valid() {
        let q = AuditQuery { collectivite: None, from, to };
        let found = web.audit.query(&q, caller.collectivites()).await;
        let (all, more) = match found {
            Ok(r) => r,
            Err(e) => return internal_error(&visit, &e),
        };
        truncated = more;
        let kept: Vec<_> = all
            .into_iter()
            .filter(|e| utilisateur.is_empty() || e.user.as_deref().is_some_and(|u| u.contains(&utilisateur)))
            .filter(|e| action.is_empty() || e.action.starts_with(&action))
            .collect();
        matched = kept.len();
        entries = kept
            .into_iter()
            .rev()
            .take(SHOWN)
            .map(|e| EntryRow {
                when: when(e.at),
                who: e
                    .user
                    .clone()
                    .or_else(|| e.token_id.as_ref().map(|t| format!("jeton {t}")))
                    .unwrap_or_default(),
                role: e.role.label(),
                via: match e.via.as_str() {
                    "web" => "pages".to_owned(),
                    "api" => "API".to_owned(),
                    "cli" => "ligne de commande".to_owned(),
                    other => other.to_owned(),
                },
                action: e.action.clone(),
                act: e.act.map(|a| a.to_string()),
                target: e.target.clone().unwrap_or_default(),
                collectivite: e
                    .collectivite
                    .as_ref()
                    .map(|s| collectivite_name(&web.acta, s.as_str()))
                    .unwrap_or_default(),
            })
            .collect();
    }
    let mut layout = Layout::new(&visit, "Journal d'audit", "/admin/comptes");
    layout.has_errors = !form.is_valid();
    let status = if form.is_valid() { StatusCode::OK } else { StatusCode::BAD_REQUEST };
    render(status, &JournalPage { layout, form, utilisateur, action, du, au, entries, matched, truncated })
}
