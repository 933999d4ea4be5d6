//! What every page shares: the layout (who is logged in, the menu, the
//! stylesheet), form fields with their hints and errors, the error summary,
//! rendering a template into a response, and the error pages.

use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::assets;
use super::gate::Visit;
use crate::auth::{Permission, Role};

/// A link of the main menu.
#[derive(Debug, Clone)]
pub struct NavLink {
    /// Where.
    pub href: &'static str,
    /// What it says.
    pub label: &'static str,
    /// Whether it is the current page (`aria-current="page"`).
    pub current: bool,
}

/// The person logged in, as the header shows them.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    /// Display name.
    pub name: String,
    /// Role, in French.
    pub role: &'static str,
}

/// What the layout shows around every page.
#[derive(Debug, Clone)]
pub struct Layout {
    /// The page's own title (the `<title>` adds « — acta »).
    pub title: String,
    /// The stylesheet's URL (content-hashed).
    pub css: &'static str,
    /// The person logged in, if any.
    pub user: Option<CurrentUser>,
    /// The main menu (empty when nobody is logged in).
    pub nav: Vec<NavLink>,
    /// The CSRF token of the logout form and of the page's forms.
    pub csrf: String,
    /// Whether the page shows errors: the title then starts with « Erreur : ».
    pub has_errors: bool,
}

impl Layout {
    /// The layout of a page titled `title` seen by `visit`, at `path`.
    pub fn new(visit: &Visit, title: impl Into<String>, path: &str) -> Self {
        let nav = match &visit.caller {
            Some(caller) => menu(caller.role)
                .into_iter()
                .map(|(href, label)| NavLink { href, label, current: href == path })
                .collect(),
            None => Vec::new(),
        };
        Self {
            title: title.into(),
            css: assets::css_url(),
            user: visit
                .account
                .as_ref()
                .map(|a| CurrentUser { name: a.display_name.clone(), role: a.role.label() }),
            nav,
            csrf: visit.csrf_token.clone(),
            has_errors: false,
        }
    }

    /// The full `<title>`.
    pub fn full_title(&self) -> String {
        let prefix = if self.has_errors { "Erreur : " } else { "" };
        format!("{prefix}{} — acta", self.title)
    }
}

/// The main menu of a role: only what the role may do.
fn menu(role: Role) -> Vec<(&'static str, &'static str)> {
    let mut out = vec![("/accueil", "Accueil")];
    if role.allows(Permission::CreateDraft) {
        out.push(("/actes/nouveau", "Nouvel acte"));
    }
    if role.allows(Permission::Search) {
        out.push(("/recherche", "Rechercher"));
    }
    if role.allows(Permission::ReadAct) {
        out.push(("/collectivite", "Espace collectivité"));
    }
    if role.allows(Permission::RunCampaign) {
        out.push(("/campagnes", "Campagnes"));
    }
    if role.allows(Permission::Export) {
        out.push(("/transferts", "Transferts"));
    }
    if role.allows(Permission::ManageTokens) {
        out.push(("/admin/comptes", "Comptes"));
    }
    out.push(("/verifier", "Vérifier un document"));
    out
}

/// A form field: label, hint, the value typed, and its error.
#[derive(Debug, Clone, Default)]
pub struct Field {
    /// `id` and `name`.
    pub id: &'static str,
    /// The label.
    pub label: String,
    /// A hint under the label.
    pub hint: Option<String>,
    /// `text`, `password`, `email` or `select`.
    pub kind: &'static str,
    /// The `autocomplete` attribute.
    pub autocomplete: &'static str,
    /// The value (kept after an error; never for passwords).
    pub value: String,
    /// The error message shown beside the field.
    pub error: Option<String>,
    /// Whether the label says « (facultatif) ».
    pub optional: bool,
    /// For a `select`: value and label of each option.
    pub options: Vec<(String, String)>,
    /// For a text field: values offered as one types (a `<datalist>`).
    pub suggestions: Vec<String>,
}

impl Field {
    /// A required text field.
    pub fn text(id: &'static str, label: &str) -> Self {
        Self { id, label: label.into(), kind: "text", autocomplete: "off", ..Self::default() }
    }

    /// With a hint.
    pub fn hint(mut self, hint: &str) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Of another kind.
    pub fn kind(mut self, kind: &'static str) -> Self {
        self.kind = kind;
        self
    }

    /// With an `autocomplete` token.
    pub fn autocomplete(mut self, token: &'static str) -> Self {
        self.autocomplete = token;
        self
    }

    /// With a value.
    pub fn value(mut self, value: impl Into<String>) -> Self {
        self.value = value.into();
        self
    }

    /// Optional.
    pub fn optional(mut self) -> Self {
        self.optional = true;
        self
    }

    /// A `select` with `options`.
    pub fn select(mut self, options: Vec<(String, String)>) -> Self {
        self.kind = "select";
        self.options = options;
        self
    }

    /// Offering `values` as one types.
    pub fn suggestions(mut self, values: Vec<String>) -> Self {
        self.suggestions = values;
        self
    }

    /// Whether option `value` is the one chosen.
    pub fn is_selected(&self, value: &str) -> bool {
        self.value == value
    }

    /// The ids that describe the input (`aria-describedby`), if any.
    pub fn described_by(&self) -> String {
        let mut ids = Vec::new();
        if self.hint.is_some() {
            ids.push(format!("{}-hint", self.id));
        }
        if self.error.is_some() {
            ids.push(format!("{}-error", self.id));
        }
        ids.join(" ")
    }
}

/// An error of a form, for the summary at the top: which field, what.
#[derive(Debug, Clone)]
pub struct FormError {
    /// The field's id (the summary links to it).
    pub field: &'static str,
    /// The message.
    pub message: String,
}

/// A form: its fields and errors.
#[derive(Debug, Clone, Default)]
pub struct Form {
    /// The fields, in order.
    pub fields: Vec<Field>,
    /// The errors, in field order.
    pub errors: Vec<FormError>,
}

impl Form {
    /// A form of `fields`.
    pub fn new(fields: Vec<Field>) -> Self {
        Self { fields, errors: Vec::new() }
    }

    /// Mark field `id` as wrong: beside it and in the summary.
    pub fn error(&mut self, id: &'static str, message: impl Into<String>) {
        let message = message.into();
        if let Some(f) = self.fields.iter_mut().find(|f| f.id == id) {
            f.error = Some(message.clone());
        }
        self.errors.push(FormError { field: id, message });
        let order = |id: &str| self.fields.iter().position(|f| f.id == id).unwrap_or(usize::MAX);
        let mut errors = std::mem::take(&mut self.errors);
        errors.sort_by_key(|e| order(e.field));
        self.errors = errors;
    }

    /// The error of field `id`, if any (for inputs drawn by the page itself).
    pub fn message(&self, id: &str) -> Option<&str> {
        self.errors.iter().find(|e| e.field == id).map(|e| e.message.as_str())
    }

    /// Whether there is no error.
    pub fn is_valid(&self) -> bool {
        self.errors.is_empty()
    }

    /// The value typed in field `id`.
    pub fn value(&self, id: &str) -> &str {
        self.fields.iter().find(|f| f.id == id).map_or("", |f| f.value.as_str())
    }
}

/// Render `page` with `status`; pages are never cached (they show personal data).
pub fn render(status: StatusCode, page: &impl Template) -> Response {
    match page.render() {
        Ok(html) => {
            let headers = [
                (header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8")),
                (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            ];
            (status, headers, html).into_response()
        }
        Err(e) => {
            tracing::error!(error = %e, "page template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "Erreur interne").into_response()
        }
    }
}

/// A 303 redirection (after a POST, the browser GETs the target).
pub fn see_other(to: &str) -> Response {
    let location = HeaderValue::from_str(to).unwrap_or_else(|_| HeaderValue::from_static("/"));
    (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response()
}

/// The error page.
#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    /// Layout.
    pub layout: Layout,
    /// What happened, for people.
    pub message: String,
    /// Where to go from here: URL and label.
    pub next: Option<(String, String)>,
}

/// An error page with `status`, `title` and `message`.
pub fn error_page(visit: &Visit, status: StatusCode, title: &str, message: &str) -> Response {
    let page = ErrorPage {
        layout: Layout::new(visit, title, ""),
        message: message.into(),
        next: Some(("/".into(), "Revenir à l'accueil".into())),
    };
    render(status, &page)
}

/// « Page introuvable »: an unknown address, or an act the visitor may not
/// know of (the same answer, so that existence never leaks).
pub fn not_found(visit: &Visit) -> Response {
    error_page(
        visit,
        StatusCode::NOT_FOUND,
        "Page introuvable",
        "Aucune page ne correspond à cette adresse. Si vous l'avez saisie, vérifiez-la ; si vous avez suivi un lien, il est peut-être périmé.",
    )
}

/// The page shown for an unexpected failure (logged with its cause).
pub fn internal_error(visit: &Visit, cause: &dyn std::fmt::Display) -> Response {
    tracing::error!(error = %cause, "web page failed");
    error_page(
        visit,
        StatusCode::INTERNAL_SERVER_ERROR,
        "Erreur interne",
        "Une erreur inattendue s'est produite ; elle a été journalisée. Réessayez dans un moment.",
    )
}

/// The parameters of a page's address as `T` (axum's `Query`), refused with
/// a French page — « Adresse invalide », 400 — naming the parameter, never
/// axum's English plain text.
#[derive(Debug, Clone)]
pub struct Query<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> axum::extract::FromRequestParts<S> for Query<T> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, _: &S) -> Result<Self, Response> {
        axum::extract::Query::<T>::try_from_uri(&parts.uri).map(|q| Self(q.0)).map_err(|e| {
            let why = crate::http::input::query_refusal(&e.body_text());
            let message =
                format!("Cette adresse ne peut pas être lue ({why}). Si vous l'avez saisie, vérifiez-la.");
            match parts.extensions.get::<Visit>() {
                Some(visit) => error_page(visit, StatusCode::BAD_REQUEST, "Adresse invalide", &message),
                None => (StatusCode::BAD_REQUEST, message).into_response(),
            }
        })
    }
}
