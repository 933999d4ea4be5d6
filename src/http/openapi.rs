//! The OpenAPI 3.1 description of the whole API, generated from the handlers'
//! `#[utoipa::path]` annotations and completed from the route table: each
//! operation says who may call it (`security` and `x-acta-access`). Served at
//! `GET /api/v1/openapi.json` (public: it describes the API, not its data)
//! and committed as `docs/openapi.json`, which a test keeps current.

use axum::Json;
use axum::http::Method;
use utoipa::OpenApi;
use utoipa::openapi::extensions::Extensions;
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};

use super::access::Access;
use super::routes::routes;
use super::{
    acts, admin, campaign_samples, campaigns, error, health, quarantine, register, search, transfers,
};
use crate::auth::{AuditEntry, Role, TokenInfo, TokenRequest};

/// Name of the bearer-token security scheme.
const BEARER: &str = "bearer";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "acta",
        description = "Official acts of French local government: draft, seal, find. \
        Every error is `application/problem+json` (RFC 9457) with a stable `code`; see docs/errors.md."
    ),
    paths(
        health::health,
        openapi,
        acts::templates,
        acts::create,
        acts::get,
        acts::seal,
        acts::pdf,
        register::proof,
        register::withdraw,
        register::verify,
        register::checkpoint,
        register::key,
        register::tile,
        search::search,
        transfers::create,
        transfers::get,
        transfers::sip,
        transfers::reply,
        transfers::list,
        quarantine::list,
        quarantine::get,
        quarantine::xml,
        quarantine::acknowledge,
        campaigns::create,
        campaigns::get,
        campaigns::start,
        campaigns::cancel,
        campaigns::export,
        campaigns::get_mapping,
        campaigns::put_mapping,
        campaign_samples::list,
        campaign_samples::pdf,
        admin::audit,
        admin::list_tokens,
        admin::create_token,
        admin::revoke_token
    ),
    components(schemas(
        error::Problem,
        crate::catalog::FieldError,
        acts::TemplateInfo,
        Role,
        TokenInfo,
        TokenRequest,
        admin::NewToken,
        AuditEntry,
        admin::AuditPage,
        crate::service::archive::TransferSpec,
        crate::service::archive::TransferView,
        crate::service::archive::TransferLinks,
        crate::service::archive::TransferStatus,
        crate::service::archive::SipInfo,
        crate::service::archive::OutcomeRecord,
        crate::service::archive::TransferList,
        crate::service::archive::TransferListItem,
        crate::service::archive::QuarantinedReply,
        crate::service::archive::QuarantineReason,
        crate::service::archive::QuarantineAcknowledgement,
        crate::service::archive::ReplyIdentifiers,
        crate::service::archive::Uploader,
        quarantine::QuarantineList,
        campaigns::Created,
        campaigns::Refused,
        campaign_samples::Samples,
        campaign_samples::SampleLink,
        crate::campaign::sample::Sample,
        crate::campaign::Campaign,
        crate::campaign::Mapping,
        crate::campaign::CheckReport,
        crate::campaign::CellError,
        crate::campaign::changes::Change,
        crate::campaign::status::Status,
        crate::campaign::status::Live,
        crate::campaign::status::RowStatus,
        crate::campaign::RunRecord,
        crate::campaign::run::RowFailure,
        crate::campaign::run::Stages
    ))
)]
struct ApiDoc;

/// The description, with each operation's access rule.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.info.version = "v1".into();
    let scheme = SecurityScheme::Http(
        HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .bearer_format("acta_<id>_<secret>")
            .description(Some("API token created by `acta tokens create` or POST /api/v1/tokens"))
            .build(),
    );
    doc.components.get_or_insert_default().add_security_scheme(BEARER, scheme);
    for route in routes() {
        let Some(item) = doc.paths.paths.get_mut(route.path) else { continue };
        let op = match route.method {
            Method::GET => item.get.as_mut(),
            Method::POST => item.post.as_mut(),
            Method::PUT => item.put.as_mut(),
            Method::DELETE => item.delete.as_mut(),
            _ => None,
        };
        if let Some(op) = op {
            describe_access(op, route.access);
        }
    }
    doc
}

fn describe_access(op: &mut Operation, access: Access) {
    let rule = match access {
        Access::Public => "public".to_owned(),
        Access::Role(p) => format!("role:{p:?}"),
        Access::Act(p) => format!("act:{p:?}"),
        Access::BodyCollectivite(p) => format!("body-collectivite:{p:?}"),
        Access::Transfer(p) => format!("transfer:{p:?}"),
    };
    if access != Access::Public {
        op.security = Some(vec![SecurityRequirement::new(BEARER, Vec::<String>::new())]);
    }
    let roles: Vec<&str> = Role::ALL
        .into_iter()
        .filter(|r| access.permission().is_none_or(|p| r.allows(p)))
        .map(Role::as_str)
        .collect();
    let ext: Extensions = [("x-acta-access".to_owned(), serde_json::json!({ "rule": rule, "roles": roles }))]
        .into_iter()
        .collect();
    op.extensions.get_or_insert_default().merge(ext);
}

/// `GET /api/v1/openapi.json`: this description.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "public",
    responses((status = 200, description = "OpenAPI 3.1 description", body = Object)))]
pub async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(document())
}

/// The description as committed in `docs/openapi.json` (pretty, final newline).
pub fn document_json() -> String {
    let mut s = serde_json::to_string_pretty(&document()).expect("the description serialises");
    s.push('\n');
    s
}
