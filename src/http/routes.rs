//! The route table: every route of the API with its access rule.
//!
//! **Adding a route** is one line here: method, full path, [`Access`] rule,
//! handler. The router is built from this table only, and the access gate
//! knows the rule of each route from it; a route added to the router any
//! other way is refused by the gate (500, logged), and the tests walk this
//! table (every route × every role × own / foreign collectivité) and compare
//! it with the OpenAPI description (`super::openapi`), so a route without a
//! rule, or without documentation, fails them.
//!
//! Rules in use: [`Access::Public`] (no token: health, the OpenAPI
//! description, later the verification endpoint and log checkpoints),
//! [`Access::Role`] (the role decides; results limited to the caller's scope),
//! [`Access::Act`] (the act `{id}` must be visible to the caller: path
//! parameter named `id`), [`Access::BodyCollectivite`] (the body's
//! `collectivite` must be in the caller's scope).

use axum::http::Method;
use axum::routing::{MethodRouter, get, post, put};

use super::access::Access;
use super::{
    AppState, acts, admin, campaign_samples, campaigns, health, openapi, quarantine, register, search,
    transfers,
};
use crate::auth::Permission as P;

/// A route: method, full path (axum syntax, `{id}` for parameters), rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// HTTP method.
    pub method: Method,
    /// Full path, e.g. `/api/v1/acts/{id}`.
    pub path: &'static str,
    /// Who may call it.
    pub access: Access,
}

/// Routes whose body is a PDF that acta itself may have produced (sealed
/// acts to verify): their body limit is derived from the render limits (see
/// [`super::register::pdf_body_limit`]) instead of `max_body_bytes`.
pub const PDF_BODY_ROUTES: [&str; 1] = ["/api/v1/verify"];

/// Routes whose body is a campaign file (a spreadsheet of up to tens of
/// thousands of rows): their body limit is `campaign_max_upload_bytes`
/// ([`crate::service::Acta::campaign_upload_limit`]) instead of `max_body_bytes`.
pub const CAMPAIGN_BODY_ROUTES: [&str; 1] = ["/api/v1/campaigns"];

/// Every route, its rule and its handler.
pub(super) fn table() -> Vec<(Route, MethodRouter<AppState>)> {
    use Method as M;
    let r = |method: Method, path: &'static str, access: Access| Route { method, path, access };
    vec![
        (r(M::GET, "/health", Access::Public), get(health::health)),
        (r(M::GET, "/api/v1/openapi.json", Access::Public), get(openapi::openapi)),
        (r(M::GET, "/api/v1/templates", Access::Role(P::ListTemplates)), get(acts::templates)),
        (r(M::POST, "/api/v1/acts", Access::BodyCollectivite(P::CreateDraft)), post(acts::create)),
        (r(M::GET, "/api/v1/acts/{id}", Access::Act(P::ReadAct)), get(acts::get)),
        (r(M::POST, "/api/v1/acts/{id}/seal", Access::Act(P::Seal)), post(acts::seal)),
        (r(M::GET, "/api/v1/acts/{id}/pdf", Access::Act(P::ReadAct)), get(acts::pdf)),
        (r(M::GET, "/api/v1/acts/{id}/proof", Access::Act(P::ReadAct)), get(register::proof)),
        (r(M::POST, "/api/v1/acts/{id}/withdraw", Access::Act(P::Seal)), post(register::withdraw)),
        (r(M::POST, "/api/v1/verify", Access::Public), post(register::verify)),
        (r(M::GET, "/api/v1/log/checkpoint", Access::Public), get(register::checkpoint)),
        (r(M::GET, "/api/v1/log/key", Access::Public), get(register::key)),
        (r(M::GET, "/api/v1/log/tile/{*path}", Access::Public), get(register::tile)),
        (r(M::GET, "/api/v1/search", Access::Role(P::Search)), get(search::search)),
        (r(M::POST, "/api/v1/transfers", Access::BodyCollectivite(P::Export)), post(transfers::create)),
        (r(M::GET, "/api/v1/transfers/{id}", Access::Transfer(P::Export)), get(transfers::get)),
        (r(M::GET, "/api/v1/transfers/{id}/sip", Access::Transfer(P::Export)), get(transfers::sip)),
        (
            r(M::POST, "/api/v1/transfers/{id}/reply", Access::Transfer(P::IngestReplies)),
            post(transfers::reply),
        ),
        (r(M::GET, "/api/v1/transfers", Access::Role(P::Export)), get(transfers::list)),
        (r(M::GET, "/api/v1/quarantine", Access::Role(P::Export)), get(quarantine::list)),
        (r(M::GET, "/api/v1/quarantine/{id}", Access::Role(P::Export)), get(quarantine::get)),
        (r(M::GET, "/api/v1/quarantine/{id}/xml", Access::Role(P::Export)), get(quarantine::xml)),
        (
            r(M::POST, "/api/v1/quarantine/{id}/acknowledge", Access::Role(P::IngestReplies)),
            post(quarantine::acknowledge),
        ),
        (r(M::POST, "/api/v1/campaigns", Access::Role(P::RunCampaign)), post(campaigns::create)),
        (r(M::GET, "/api/v1/campaigns/{id}", Access::Role(P::ReadCampaign)), get(campaigns::get)),
        (r(M::POST, "/api/v1/campaigns/{id}/run", Access::Role(P::RunCampaign)), post(campaigns::start)),
        (r(M::POST, "/api/v1/campaigns/{id}/cancel", Access::Role(P::RunCampaign)), post(campaigns::cancel)),
        (r(M::GET, "/api/v1/campaigns/{id}/export", Access::Role(P::ReadCampaign)), get(campaigns::export)),
        (
            r(M::GET, "/api/v1/campaigns/{id}/samples", Access::Role(P::ReadCampaign)),
            get(campaign_samples::list),
        ),
        (
            r(M::GET, "/api/v1/campaigns/{id}/samples/{line}", Access::Role(P::ReadCampaign)),
            get(campaign_samples::pdf),
        ),
        (
            r(M::GET, "/api/v1/campaigns/mappings/{template}", Access::Role(P::ReadCampaign)),
            get(campaigns::get_mapping),
        ),
        (
            r(M::PUT, "/api/v1/campaigns/mappings/{template}", Access::Role(P::RunCampaign)),
            put(campaigns::put_mapping),
        ),
        (r(M::GET, "/api/v1/audit", Access::Role(P::ReadAudit)), get(admin::audit)),
        (r(M::GET, "/api/v1/tokens", Access::Role(P::ManageTokens)), get(admin::list_tokens)),
        (r(M::POST, "/api/v1/tokens", Access::Role(P::ManageTokens)), post(admin::create_token)),
        (
            r(M::POST, "/api/v1/tokens/{token}/revoke", Access::Role(P::ManageTokens)),
            post(admin::revoke_token),
        ),
    ]
}

/// Every route and its rule (for tests and documentation).
pub fn routes() -> Vec<Route> {
    table().into_iter().map(|(route, _)| route).collect()
}
