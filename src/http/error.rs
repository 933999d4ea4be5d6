//! API errors as `application/problem+json` (RFC 9457).
//!
//! Each error has a stable machine `code` (never renamed: integrators match on
//! it), a French `title` and `detail` for people, and, for invalid data, the
//! list of faulty fields by JSON pointer. Our own failures answer an opaque
//! 500/503 and their cause is logged, never sent.

use axum::Json;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::input::InputError;
use crate::auth::AuthError;
use crate::catalog::FieldError;
use crate::service::ServiceError;
use crate::store::StoreError;

/// Media type of error bodies.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// An error answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// URI naming the error kind: `urn:acta:problem:<code>`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Stable code, e.g. `validation_failed`.
    pub code: &'static str,
    /// Short French summary.
    pub title: &'static str,
    /// HTTP status.
    pub status: u16,
    /// French explanation of this occurrence.
    pub detail: String,
    /// Faulty fields, for `validation_failed`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

impl Problem {
    /// A problem without field errors.
    pub fn new(status: StatusCode, code: &'static str, title: &'static str, detail: String) -> Self {
        Self {
            kind: format!("urn:acta:problem:{code}"),
            code,
            title,
            status: status.as_u16(),
            detail,
            errors: Vec::new(),
        }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut resp = (status, Json(self)).into_response();
        resp.headers_mut().insert(header::CONTENT_TYPE, header::HeaderValue::from_static(PROBLEM_JSON));
        resp
    }
}

/// Errors a handler can return.
#[derive(Debug)]
pub enum ApiError {
    /// From the core.
    Service(ServiceError),
    /// The body is not JSON.
    MalformedJson(String),
    /// The body is larger than allowed.
    PayloadTooLarge,
    /// The body did not arrive within the server's body-read timeout.
    BodyTimeout,
    /// The body could not be read (the connection failed while sending it).
    UnreadableBody(String),
    /// The body exceeds a structural limit (see [`super::input`]).
    Input(InputError),
    /// Authentication failed, or a token operation was refused.
    Auth(AuthError),
    /// The caller's role does not allow this action.
    Forbidden,
    /// The path exists, not with this method.
    MethodNotAllowed,
    /// A query parameter is invalid (French reason naming it).
    InvalidParameter(String),
    /// The request bodies being received fill the server's memory budget.
    ServerBusy,
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        Self::Auth(e)
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        Self::Service(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut resp = match self {
            Self::Auth(e) => super::access_problems::auth(e),
            Self::Input(e) => super::access_problems::input(e),
            Self::Forbidden => super::access_problems::forbidden(),
            Self::MethodNotAllowed => super::access_problems::method_not_allowed(),
            Self::InvalidParameter(why) => super::access_problems::invalid_parameter(why),
            Self::ServerBusy => return server_busy(),
            other => problem(other),
        }
        .into_response();
        if resp.status() == StatusCode::TOO_MANY_REQUESTS {
            resp.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from_static("5"));
        }
        if resp.status() == StatusCode::UNAUTHORIZED {
            let value = header::HeaderValue::from_static("Bearer realm=\"acta\"");
            resp.headers_mut().insert(header::WWW_AUTHENTICATE, value);
        }
        resp
    }
}

fn problem(e: ApiError) -> Problem {
    use StatusCode as S;
    let e = match e {
        ApiError::MalformedJson(why) => {
            return Problem::new(
                S::BAD_REQUEST,
                "malformed_json",
                "Corps de requête illisible",
                format!("le corps de la requête n'est pas un JSON valide : {why}"),
            );
        }
        ApiError::PayloadTooLarge => {
            return Problem::new(
                S::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "Requête trop volumineuse",
                "le corps de la requête dépasse la taille maximale acceptée".into(),
            );
        }
        ApiError::BodyTimeout => {
            return Problem::new(
                S::REQUEST_TIMEOUT,
                "request_timeout",
                "Requête trop lente",
                "le corps de la requête n'est pas arrivé dans le délai accordé ; réessayez, \
                 depuis une connexion plus rapide si besoin"
                    .into(),
            );
        }
        ApiError::UnreadableBody(why) => {
            return Problem::new(
                S::BAD_REQUEST,
                "body_unreadable",
                "Corps de requête illisible",
                format!("le corps de la requête n'a pas pu être lu : {why}"),
            );
        }
        ApiError::Service(e) => e,
        other => return super::access_problems::unexpected(other),
    };
    service_problem(e)
}

/// The problem a service error leaves as.
fn service_problem(e: ServiceError) -> Problem {
    use StatusCode as S;
    match e {
        ServiceError::Invalid(errors) => {
            let n = errors.len();
            Problem {
                errors,
                ..Problem::new(
                    S::UNPROCESSABLE_ENTITY,
                    "validation_failed",
                    "Données invalides",
                    format!("{n} champ(s) à corriger ; rien n'a été enregistré"),
                )
            }
        }
        ServiceError::UnknownTemplate(t) => Problem::new(
            S::NOT_FOUND,
            "template_not_found",
            "Modèle inconnu",
            format!("aucun modèle d'acte « {t} »"),
        ),
        ServiceError::UnknownCollectivite(s) => Problem::new(
            S::NOT_FOUND,
            "collectivite_not_found",
            "Collectivité inconnue",
            format!("aucune collectivité de SIREN {s} n'est servie par cette instance"),
        ),
        ServiceError::ActNotFound => Problem::new(
            S::NOT_FOUND,
            "act_not_found",
            "Acte introuvable",
            "aucun acte ne porte cet identifiant".into(),
        ),
        ServiceError::TransferNotFound => Problem::new(
            S::NOT_FOUND,
            "transfer_not_found",
            "Transfert introuvable",
            "aucun transfert d'archivage ne porte cet identifiant".into(),
        ),
        ServiceError::InvalidQuery(why) => Problem::new(
            S::BAD_REQUEST,
            "invalid_query",
            "Recherche invalide",
            format!("la requête de recherche ne peut pas être interprétée ({why})"),
        ),
        ServiceError::NotSealed => Problem::new(
            S::CONFLICT,
            "act_not_sealed",
            "Acte non scellé",
            "cette opération ne concerne que les actes scellés ; celui-ci est encore un projet".into(),
        ),
        ServiceError::ActSealed => act_sealed(),
        ServiceError::AlreadyWithdrawn(reason) => Problem::new(
            S::CONFLICT,
            "act_withdrawn",
            "Acte déjà retiré",
            format!(
                "cet acte est déjà retiré (motif {reason}) : son retrait, inscrit au registre, ne peut être \
                 ni remplacé ni modifié"
            ),
        ),
        ServiceError::BadReplacement => Problem::new(
            S::UNPROCESSABLE_ENTITY,
            "bad_replacement",
            "Acte de remplacement invalide",
            "l'acte de remplacement doit être un autre acte scellé de la même collectivité".into(),
        ),
        ServiceError::ProfileIncomplete { field, message } => profile_incomplete(&field, message),
        ServiceError::PdfTooComplex(limit) => Problem::new(
            S::UNPROCESSABLE_ENTITY,
            "pdf_too_complex",
            "Document illisible",
            format!("le document ne peut pas être vérifié : {}", limit.french()),
        ),
        ServiceError::VerifyTimeout(budget) => verification_timeout(budget),
        ServiceError::TooManyPages { pages, max } => too_many_pages(pages, max),
        ServiceError::RenderTooLong { budget_ms } => render_too_long(budget_ms),
        ServiceError::RenderQueueFull { waiting } => render_queue_full(waiting),
        // A lost compare-and-swap is transient too: retrying later succeeds.
        ServiceError::Store(cause @ (StoreError::Backend(_) | StoreError::Conflict(_))) => {
            tracing::error!(error = %cause, "object store unavailable");
            Problem::new(
                S::SERVICE_UNAVAILABLE,
                "store_unavailable",
                "Stockage indisponible",
                "le stockage des actes est momentanément indisponible ; réessayez plus tard".into(),
            )
        }
        other => {
            tracing::error!(error = %other, "internal error");
            Problem::new(
                S::INTERNAL_SERVER_ERROR,
                "internal_error",
                "Erreur interne",
                "une erreur inattendue s'est produite ; elle a été journalisée".into(),
            )
        }
    }
}

/// 422 `render_too_long`: the render was abandoned after `budget_ms`.
fn render_too_long(budget_ms: u64) -> Problem {
    // 60 s, 1,5 s: a French decimal comma.
    let secs = (budget_ms as f64 / 1000.0).to_string().replace('.', ",");
    Problem::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "render_too_long",
        "Acte trop long à générer",
        format!(
            "la génération de l'acte a dépassé le délai de {secs} s accordé à chaque acte ; \
             réduisez sa longueur ou scindez-le"
        ),
    )
}

/// 429 `render_queue_full`: the collectivité has `waiting` renders queued.
fn render_queue_full(waiting: usize) -> Problem {
    Problem::new(
        StatusCode::TOO_MANY_REQUESTS,
        "render_queue_full",
        "Trop d'actes en attente de génération",
        format!(
            "{waiting} actes de cette collectivité attendent déjà d'être générés ; \
             réessayez dans quelques instants"
        ),
    )
}

/// 422 `too_many_pages`, naming the limit and, once laid out, the count.
fn too_many_pages(pages: Option<usize>, max: usize) -> Problem {
    let what = match pages {
        Some(n) => format!("l'acte compterait {n} pages, au-delà de la limite de {max} pages par acte"),
        None => format!("le texte de l'acte est trop long pour tenir dans la limite de {max} pages par acte"),
    };
    Problem {
        errors: vec![FieldError { path: "/data".into(), message: what.clone() }],
        ..Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "too_many_pages",
            "Acte trop long",
            format!(
                "{what} ; scindez-le (un procès-verbal par séance, une liste par période) \
                 ou abrégez ses textes"
            ),
        )
    }
}

/// Seconds a client is asked to wait after `503 server_busy`.
const BUSY_RETRY_AFTER_SECS: &str = "2";

/// `503 server_busy` with `Retry-After`: the request bodies being received
/// fill the server's memory budget (`http.body_budget_bytes`).
pub fn server_busy() -> Response {
    let mut resp = Problem::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "server_busy",
        "Service momentanément surchargé",
        "le service reçoit déjà trop de documents à la fois pour accepter celui-ci ; \
         réessayez dans quelques secondes"
            .into(),
    )
    .into_response();
    resp.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from_static(BUSY_RETRY_AFTER_SECS));
    resp
}

/// A draft operation on a sealed act.
fn act_sealed() -> Problem {
    Problem::new(
        StatusCode::CONFLICT,
        "act_sealed",
        "Acte scellé",
        "un acte scellé ne se modifie ni ne se supprime ; corrigez-le par un rectificatif ou un retrait"
            .into(),
    )
}

/// The API's 404 for an address no route serves.
pub async fn not_found() -> Problem {
    Problem::new(
        StatusCode::NOT_FOUND,
        "route_not_found",
        "Ressource introuvable",
        "aucune ressource à cette adresse".into(),
    )
}

/// The request's `collectivite` names the profile to complete.
fn profile_incomplete(field: &str, message: String) -> Problem {
    tracing::warn!(field = %field, "act refused: incomplete collectivité profile");
    Problem {
        errors: vec![FieldError { path: "/collectivite".into(), message: message.clone() }],
        ..Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "collectivite_profile_incomplete",
            "Profil de collectivité incomplet",
            message,
        )
    }
}

fn verification_timeout(budget: std::time::Duration) -> Problem {
    tracing::warn!(budget_ms = budget.as_millis(), "verification timed out");
    Problem::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "verification_timeout",
        "Vérification trop longue",
        "la vérification du document n'a pas abouti dans le temps imparti ; réessayez plus tard".into(),
    )
}
