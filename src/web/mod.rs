//! The web application: server-rendered HTML pages in French, for the people
//! who make, seal, find and verify acts in a browser.
//!
//! It sits beside the JSON API ([`crate::http`]) and is as thin: a page
//! handler parses the form or the path, calls [`crate::service::Acta`] (or
//! the accounts, [`crate::auth::Users`]), and renders a template. Both layers
//! share the service, the rules ([`crate::http::access::Access`]) and the
//! policy: a session resolves to the same [`crate::auth::Caller`] as an API
//! token ([`gate`]).
//!
//! Terms: a *page* is an askama template of `web/pages/` (apart from the
//! Typst act templates of `templates/`) with its handler in [`pages`]; a
//! *visit* ([`gate::Visit`]) is who is asking; a *session* ([`session`]) is
//! a logged-in browser; [`auth`] is the seam where login methods plug in;
//! [`csrf`] protects every form; [`first_run`] lets the first administrator
//! in. Pages need no JavaScript; the stylesheet ([`assets`]) is built in,
//! and the Content-Security-Policy forbids inline scripts and styles.

pub mod assets;
pub mod auth;
pub mod csrf;
pub mod first_run;
pub mod form;
pub mod gate;
pub mod page;
pub mod pages;
pub mod session;
pub mod settings;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, header};
use tower_http::set_header::SetResponseHeaderLayer;

pub use settings::WebSettings;

use crate::auth::throttle::{Limits, Throttle};
use crate::auth::{AuditEntry, AuditLog, UserError, UserRecord, Users};
use crate::config::Settings;
use crate::http::access::Rules;
use crate::service::Acta;
use auth::Identity;
use gate::Visit;
use session::{Cookies, SessionId, Sessions};

/// The web application's state.
#[derive(Debug)]
pub struct Web {
    acta: Arc<Acta>,
    users: Users,
    audit: AuditLog,
    sessions: Sessions,
    cookies: Cookies,
    csrf: csrf::Csrf,
    throttle: Throttle,
    first_run: first_run::FirstRun,
    rules: Rules,
    settings: WebSettings,
    max_body_bytes: usize,
}

impl Web {
    /// The web application over `acta`, as `settings` say.
    pub fn new(acta: Arc<Acta>, settings: &Settings) -> Self {
        let web = &settings.web;
        let minutes = |m: u32| Duration::from_secs(u64::from(m) * 60);
        let store = acta.store().clone();
        Self {
            users: Users::new(store.clone()),
            audit: AuditLog::new(store),
            sessions: Sessions::new(minutes(web.session_idle_minutes), minutes(web.session_max_hours * 60)),
            cookies: Cookies::new(web),
            csrf: csrf::Csrf::default(),
            throttle: Throttle::new(Limits {
                per_account: web.login_failures_per_account,
                per_address: web.login_failures_per_address,
                window: minutes(web.throttle_window_minutes),
            }),
            first_run: first_run::FirstRun::default(),
            rules: Rules::new(pages::routes().into_iter().map(|(m, p, a, _)| (m, p, a))),
            settings: web.clone(),
            max_body_bytes: settings.max_body_bytes,
            acta,
        }
    }

    /// The largest body a page at `path` takes, as the API's routes of the
    /// same content: a PDF to verify as `POST /api/v1/verify`, a campaign's
    /// spreadsheet (20,500 rows) as `POST /api/v1/campaigns`, else a form.
    fn body_limit(&self, path: &str) -> usize {
        if path == pages::verify::PATH {
            crate::http::pdf_body_limit(self.max_body_bytes, self.acta.max_pages())
        } else if path == pages::campaigns::NEW
            || (path.starts_with("/campagnes/correspondances/") && path.ends_with("/entetes"))
        {
            self.acta.campaign_upload_limit().max(self.max_body_bytes)
        } else {
            self.max_body_bytes
        }
    }

    /// On an instance without accounts, a fresh first-run link for a server
    /// bound to `bound` (to print on the console); `None` otherwise.
    pub async fn first_run_link(&self, bound: SocketAddr) -> Result<Option<String>, UserError> {
        if self.users.any().await? {
            return Ok(None);
        }
        let validity = Duration::from_secs(u64::from(self.settings.setup_link_minutes) * 60);
        let token = self.first_run.issue(validity);
        Ok(Some(format!("{}{}/{token}", self.settings.base_url(bound), first_run::PATH)))
    }

    /// Open a fresh session for `identity`, closing the visit's previous one
    /// (a session id never survives a login); the `Set-Cookie` value.
    fn sign_in(&self, visit: &Visit, identity: Identity) -> String {
        if let Some(old) = &visit.session {
            self.sessions.close(old);
        }
        let id: SessionId = self.sessions.open(identity);
        self.cookies.set(self.cookies.session_name(), id.expose())
    }

    /// Record a web action in the audit trail, done by `actor` (by default
    /// the visit's account); a failure is logged: the action itself is done.
    async fn record(&self, visit: &Visit, actor: Option<&UserRecord>, action: &str, target: Option<String>) {
        let Some(actor) = actor.or(visit.account.as_ref()) else {
            tracing::error!(action, "a web action without an account is not audited");
            return;
        };
        let entry = AuditEntry {
            user: Some(actor.login.to_string()),
            target,
            request_id: visit.request_id.clone(),
            ..AuditEntry::new("web", actor.role, action)
        };
        if let Err(e) = self.audit.record(&entry).await {
            tracing::error!(error = %e, action, "audit entry could not be written");
        }
    }
}

impl Web {
    /// Record an action on act `act` of `collectivite` done in the pages (it
    /// joins the act's own trail, shown on its page).
    async fn record_act(
        &self,
        visit: &Visit,
        action: &str,
        act: crate::domain::ActId,
        collectivite: crate::domain::Siren,
        target: Option<String>,
    ) {
        let Some(actor) = visit.account.as_ref() else {
            tracing::error!(action, "a web action without an account is not audited");
            return;
        };
        let entry = AuditEntry {
            user: Some(actor.login.to_string()),
            act: Some(act),
            collectivite: Some(collectivite),
            target,
            request_id: visit.request_id.clone(),
            ..AuditEntry::new("web", actor.role, action)
        };
        if let Err(e) = self.audit.record(&entry).await {
            tracing::error!(error = %e, action, "audit entry could not be written");
        }
    }
}

/// The web application's router (to merge with the API's).
pub fn router(web: Arc<Web>) -> Router {
    let mut router = Router::new();
    for (_, path, _, handler) in pages::routes() {
        // Multipart reads within axum's default limit (2 MiB) unless told:
        // the gate has already bounded the body by the route's own limit.
        let handler = handler.layer(axum::extract::DefaultBodyLimit::max(web.body_limit(path)));
        router = router.route(path, handler);
    }
    let mut router = router.layer(axum::middleware::from_fn_with_state(Arc::clone(&web), gate::gate));
    // A page may set its own (« Aperçu » allows a frame of acta, its PDF
    // allows being framed by acta): the defaults apply to the others.
    for (name, value) in SECURITY_HEADERS {
        router = router.layer(SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value)));
    }
    // The same request ids and trace spans as the API's.
    crate::http::traced(router, "page").with_state(web)
}

/// Headers on every page: styles and images from acta only, no script at
/// all, forms posted to acta only, never framed.
pub(crate) const SECURITY_HEADERS: [(HeaderName, &str); 5] = [
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::X_FRAME_OPTIONS, "DENY"),
    (header::REFERRER_POLICY, "same-origin"),
    (
        header::CONTENT_SECURITY_POLICY,
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    ),
    (HeaderName::from_static("permissions-policy"), "camera=(), microphone=(), geolocation=()"),
];
