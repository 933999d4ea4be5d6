//! The web application's access gate: the counterpart of the API's
//! ([`crate::http::access`]), with the same rules ([`Access`]) and the same
//! policy ([`crate::auth::Caller`]), for people with a session instead of
//! programs with a token.
//!
//! Around every page it:
//! 1. resolves the session cookie to the account's current [`Caller`] (an
//!    expired session, or a disabled account, is no session);
//! 2. looks the route's rule up: a page that needs a permission sends a
//!    visitor without a session to « Se connecter » (coming back afterwards),
//!    and answers 403 to a role without the permission;
//! 3. on every POST, refuses (403) a form without the CSRF token of the
//!    session (or of the anonymous CSRF cookie, set here when missing), and
//!    a request a browser marks as cross-site;
//! 4. hands the page a [`Visit`]: who, from where, and the form token.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{ConnectInfo, FromRequest, MatchedPath, Multipart, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header, request::Parts};
use axum::middleware::Next;
use axum::response::Response;

use super::Web;
use super::csrf;
use super::page::{error_page, internal_error, not_found, see_other};
use super::session::{SessionId, random_token, read_cookie};
use crate::auth::{Caller, UserRecord};
use crate::domain::{ActId, Siren};
use crate::http::REQUEST_ID;
use crate::http::access::{self, Access};
use crate::http::error::ApiError;
use crate::service::ServiceError;

/// What « Accès refusé » says: why, and whom to ask.
const FORBIDDEN: &str = "Votre rôle ne permet pas d'ouvrir cette page. Si votre travail le demande, adressez-vous à l'administrateur d'acta de votre centre de gestion.";

/// Who is visiting, as the gate established it.
#[derive(Debug, Clone)]
pub struct Visit {
    /// The caller, for a logged-in person.
    pub caller: Option<Caller>,
    /// Their account.
    pub account: Option<UserRecord>,
    /// Their session.
    pub session: Option<SessionId>,
    /// The CSRF token to put in this page's forms.
    pub csrf_token: String,
    /// The client's address (for the login throttle).
    pub address: IpAddr,
    /// The request id.
    pub request_id: Option<String>,
}

impl Visit {
    /// A visit nobody established (pages rendered outside the gate).
    pub fn anonymous() -> Self {
        Self {
            caller: None,
            account: None,
            session: None,
            csrf_token: String::new(),
            address: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            request_id: None,
        }
    }
}

/// The act a page of [`Access::Act`] is about, checked by the gate: it
/// exists and the visitor may know it (see [`access::act_in_scope`]).
#[derive(Debug, Clone)]
pub struct ActInScope {
    /// The act.
    pub id: ActId,
    /// Its collectivité.
    pub owner: Siren,
}

/// The middleware.
pub async fn gate(State(web): State<Arc<Web>>, req: Request, next: Next) -> Response {
    let (mut parts, body) = req.into_parts();
    let cookies = parts.headers.get(header::COOKIE).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let mut visit = Visit { address: client_address(&web, &parts), ..Visit::anonymous() };
    visit.request_id = parts.headers.get(REQUEST_ID).and_then(|v| v.to_str().ok()).map(str::to_owned);
    if let Some(value) = read_cookie(&cookies, web.cookies.session_name())
        && let Some((id, identity)) = web.sessions.resolve(value)
    {
        match web.users.get(&identity.login).await {
            Ok(Some(account)) if !account.disabled => {
                visit.caller = Some(account.caller());
                visit.account = Some(account);
                visit.session = Some(id);
            }
            Ok(_) => web.sessions.close(&id),
            Err(e) => return internal_error(&visit, &e),
        }
    }
    let mut new_cookie = None;
    let binding = match &visit.session {
        Some(id) => format!("s:{}", id.expose()),
        None => {
            let held =
                read_cookie(&cookies, web.cookies.csrf_name()).filter(|v| is_token(v)).map(str::to_owned);
            let value = held.unwrap_or_else(|| {
                let v = random_token();
                new_cookie = Some(web.cookies.set(web.cookies.csrf_name(), &v));
                v
            });
            format!("a:{value}")
        }
    };
    visit.csrf_token = web.csrf.token(&binding);

    let path = parts.extensions.get::<MatchedPath>().map(|m| m.as_str().to_owned()).unwrap_or_default();
    if path == super::pages::errors::CATCH_ALL {
        return super::pages::errors::unknown(&visit, parts.uri.path()).await;
    }
    let access = match web.rules.lookup(&parts.method, &path) {
        Ok(a) => a,
        Err(ApiError::MethodNotAllowed) => {
            return error_page(
                &visit,
                StatusCode::METHOD_NOT_ALLOWED,
                "Action impossible",
                "Cette adresse ne permet pas cette action.",
            );
        }
        Err(e) => return internal_error(&visit, &format!("{e:?}")),
    };
    let act = match admit(&web, &visit, &mut parts, access).await {
        Ok(act) => act,
        Err(refused) => return refused,
    };

    let body = if parts.method == Method::GET || parts.method == Method::HEAD {
        body
    } else {
        let cross_site = parts.headers.get("sec-fetch-site").is_some_and(|v| v.as_bytes() == b"cross-site");
        let bytes = match axum::body::to_bytes(body, web.body_limit(&path)).await {
            Ok(bytes) => bytes,
            Err(e) => return unread_form(&visit, &e),
        };
        let presented = csrf_field(&parts.headers, &bytes).await;
        if cross_site || !presented.is_some_and(|t| web.csrf.check(&binding, &t)) {
            tracing::warn!(path, "form refused: missing or wrong CSRF token");
            return error_page(
                &visit,
                StatusCode::FORBIDDEN,
                "Formulaire expiré",
                "Ce formulaire a expiré ou ne provient pas d'acta. Rechargez la page, puis recommencez.",
            );
        }
        Body::from(bytes)
    };
    if let Some(act) = act {
        parts.extensions.insert(act);
    }
    parts.extensions.insert(visit);
    let mut resp = next.run(Request::from_parts(parts, body)).await;
    if let Some(cookie) = new_cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
        resp.headers_mut().append(header::SET_COOKIE, cookie);
    }
    resp
}

/// `Access::Transfer(p)`: the role grants `p`, and the transfer `{id}` is of
/// a collectivité in the caller's scope (the API's check); one outside is
/// answered exactly as an unknown one.
async fn transfer_rule(
    web: &Web,
    visit: &Visit,
    p: crate::auth::Permission,
    caller: &Caller,
    parts: &mut Parts,
) -> Result<(), Response> {
    if !caller.allows(p) {
        return Err(error_page(visit, StatusCode::FORBIDDEN, "Accès refusé", FORBIDDEN));
    }
    match crate::http::access::transfer_in_scope(&web.acta, parts, caller).await {
        Ok(_) => Ok(()),
        Err(crate::service::ServiceError::TransferNotFound) => Err(error_page(
            visit,
            StatusCode::NOT_FOUND,
            "Transfert introuvable",
            "Ce transfert n'existe pas, ou votre compte ne permet pas de le consulter.",
        )),
        Err(e) => Err(internal_error(visit, &e)),
    }
}

/// The route's rule applied to the visit: the act the page is about (for
/// [`Access::Act`]), or the answer that refuses the visit.
#[allow(clippy::result_large_err)] // a refusal is the page to answer
async fn admit(
    web: &Web,
    visit: &Visit,
    parts: &mut Parts,
    access: Access,
) -> Result<Option<ActInScope>, Response> {
    match (access, &visit.caller) {
        (Access::Public, _) => {}
        (Access::Role(p), Some(caller)) if caller.allows(p) => {}
        (Access::Act(p), Some(caller)) if caller.allows(p) => {
            // The API's check, word for word: an act out of scope is « Page
            // introuvable », exactly like an unknown one.
            let raw = access::path_id(parts).await.unwrap_or_default();
            match access::act_in_scope(&web.acta, &raw, caller).await {
                Ok((id, owner)) => return Ok(Some(ActInScope { id, owner })),
                Err(ServiceError::ActNotFound) => return Err(not_found(visit)),
                Err(e) => return Err(internal_error(visit, &e)),
            }
        }
        (Access::Transfer(p), Some(caller)) => transfer_rule(web, visit, p, caller, parts).await?,
        (Access::Transfer(_), None) => return Err(see_other(&login_redirect(parts))),
        (Access::Role(_) | Access::Act(_), Some(_)) => {
            return Err(error_page(visit, StatusCode::FORBIDDEN, "Accès refusé", FORBIDDEN));
        }
        (Access::Role(_) | Access::Act(_), None) => return Err(see_other(&login_redirect(parts))),
        // Pages about a transfer, or naming a collectivité in their body,
        // come with their own scope checks.
        (other, _) => return Err(internal_error(visit, &format!("web rule {other:?} is not supported yet"))),
    }
    Ok(None)
}

/// Whether a cookie value has the shape of a [`random_token`].
fn is_token(v: &str) -> bool {
    v.len() == 43 && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// « Se connecter », then back to the page asked for.
fn login_redirect(parts: &Parts) -> String {
    let wanted = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let query: String = form_urlencoded::Serializer::new(String::new()).append_pair("suite", wanted).finish();
    format!("/connexion?{query}")
}

/// The client's address: the last one of the configured proxy header, else
/// the TCP peer.
fn client_address(web: &Web, parts: &Parts) -> IpAddr {
    if let Some(name) = &web.settings.client_address_header
        && let Some(ip) = parts
            .headers
            .get(name.as_str())
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .and_then(|v| v.trim().parse().ok())
    {
        return ip;
    }
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |ConnectInfo(a)| a.ip())
}

/// The `csrf` field of a posted form (URL-encoded or multipart).
async fn csrf_field(headers: &HeaderMap, bytes: &axum::body::Bytes) -> Option<String> {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if content_type.starts_with("application/x-www-form-urlencoded") {
        return form_urlencoded::parse(bytes).find(|(k, _)| k == csrf::FIELD).map(|(_, v)| v.into_owned());
    }
    if content_type.starts_with("multipart/form-data") {
        let mut req = Request::new(Body::from(bytes.clone()));
        *req.headers_mut() = headers.clone();
        // The body is already read within the route's bound (a campaign's
        // spreadsheet may pass axum's default 2 MiB): parse all of it.
        use tower::{Layer, ServiceExt};
        let read = tower::service_fn(|req: Request| async move {
            let found = async {
                let mut form = Multipart::from_request(req, &()).await.ok()?;
                while let Ok(Some(field)) = form.next_field().await {
                    if field.name() == Some(csrf::FIELD) {
                        return field.text().await.ok();
                    }
                }
                None
            };
            Ok::<_, std::convert::Infallible>(found.await)
        });
        let read = axum::extract::DefaultBodyLimit::max(bytes.len()).layer(read);
        return read.oneshot(req).await.unwrap_or_else(|never| match never {});
    }
    None
}

/// Where a login may send the person back to: a path of this site only
/// (never `//other.example` nor an absolute URL: no open redirect).
pub fn safe_return(suite: Option<&str>) -> &str {
    match suite {
        Some(s)
            if s.starts_with('/')
                && !s.starts_with("//")
                && !s.starts_with("/\\")
                && !s.bytes().any(|b| b.is_ascii_control() || b == b'\\') =>
        {
            s
        }
        _ => "/accueil",
    }
}

/// The page for a form whose body could not be read: too slow or the body
/// budget full (the server's body rules, see `crate::http::server`), else
/// too large.
fn unread_form(visit: &Visit, e: &axum::Error) -> Response {
    use crate::http::input::{refused, timed_out};
    if timed_out(e) {
        return error_page(
            visit,
            StatusCode::REQUEST_TIMEOUT,
            "Envoi trop lent",
            "Le formulaire n'est pas arrivé dans le délai accordé. Réessayez.",
        );
    }
    if refused(e, crate::http::server::BodyRefused::Busy) {
        let mut page = error_page(
            visit,
            StatusCode::SERVICE_UNAVAILABLE,
            "Service momentanément surchargé",
            "acta reçoit trop d'envois à la fois. Réessayez dans quelques secondes.",
        );
        page.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("2"));
        return page;
    }
    error_page(
        visit,
        StatusCode::PAYLOAD_TOO_LARGE,
        "Envoi trop volumineux",
        "Le fichier ou le formulaire envoyé dépasse la taille acceptée.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_login_only_returns_to_a_path_of_this_site() {
        assert_eq!(safe_return(Some("/admin/comptes?x=1")), "/admin/comptes?x=1");
        for hostile in ["//evil.example", "https://evil.example", "/\\evil.example", "evil", "/a\r\nb", ""] {
            assert_eq!(safe_return(Some(hostile)), "/accueil", "{hostile:?}");
        }
        assert_eq!(safe_return(None), "/accueil");
    }
}
