//! « Espace collectivité » (lecteur; other roles within their scope): the
//! sealed acts of one collectivité, year by year and kind by kind, each with
//! its PDF and a way to verify it.
//!
//! The acts come from the search service ([`crate::service::Acta::search`])
//! with the caller's scope, limited to sealed acts of the collectivité and
//! the year: the same rules as « Rechercher » and the API, nothing listed
//! outside them. A collectivité outside the scope is answered like an
//! unknown one.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::web::page::Query;
use askama::Template;
use axum::Extension;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::wording::{day_label, kind_label};
use crate::domain::Siren;
use crate::search::{Collectivites, MAX_LIMIT, SearchRequest};
use crate::service::ServiceError;
use crate::web::Web;
use crate::web::gate::Visit;
use crate::web::page::{Layout, error_page, internal_error, render, see_other};

/// The page's address.
pub const PATH: &str = "/collectivite";

/// The query: which collectivité, year and page.
#[derive(Debug, Default, Deserialize)]
pub struct Wanted {
    collectivite: Option<String>,
    annee: Option<String>,
    page: Option<String>,
}

/// An act of the lists.
pub struct Row {
    /// Its page.
    pub href: String,
    /// Its PDF.
    pub pdf: String,
    /// Number.
    pub number: String,
    /// Title.
    pub title: String,
    /// Date, in French.
    pub date: String,
}

/// The acts of one kind in the year.
pub struct Group {
    /// Anchor.
    pub id: String,
    /// Kind, in French.
    pub label: String,
    /// The acts, most recent first.
    pub rows: Vec<Row>,
}

/// A year one may open, with its count.
pub struct YearLink {
    /// The year.
    pub year: String,
    /// Sealed acts that year.
    pub count: u64,
    /// Its address.
    pub href: String,
    /// Whether it is the one shown.
    pub current: bool,
}

#[derive(Template)]
#[template(path = "collectivite.html")]
struct CollectivitePage {
    layout: Layout,
    /// The collectivités one may choose from (SIREN, name, chosen).
    choices: Vec<(String, String, bool)>,
    name: String,
    siren: String,
    years: Vec<YearLink>,
    year: Option<String>,
    total: usize,
    groups: Vec<Group>,
    previous: Option<String>,
    next: Option<String>,
}

/// `GET /collectivite`.
pub async fn space(
    State(web): State<Arc<Web>>,
    Extension(visit): Extension<Visit>,
    Query(wanted): Query<Wanted>,
) -> Response {
    let Some(caller) = visit.caller.clone() else { return see_other("/connexion") };
    let acta = &web.acta;
    let served = served(&web, &caller);
    let wanted_siren = wanted.collectivite.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let chosen = match wanted_siren {
        Some(s) => served.iter().find(|(siren, _)| siren.as_str() == s),
        None => served.first(),
    };
    let Some((siren, name)) = chosen.cloned() else {
        return error_page(
            &visit,
            StatusCode::NOT_FOUND,
            "Collectivité introuvable",
            "Cette collectivité n'existe pas, ou votre compte ne permet pas de consulter ses actes.",
        );
    };
    let search = |params: Vec<(&str, String)>| {
        let mut all = vec![("collectivite", siren.to_string()), ("status", "sealed".into())];
        all.extend(params);
        SearchRequest::from_params(all.iter().map(|(k, v)| (*k, v.as_str())))
    };
    let years = match years_of(&web, &caller, &siren).await {
        Ok(y) => y,
        Err(e) => return internal_error(&visit, &e),
    };
    let year = match wanted.annee.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(y) if years.iter().any(|(v, _)| v == y) => Some(y.to_owned()),
        Some(_) => return not_found_year(&visit),
        None => years.first().map(|(y, _)| y.clone()),
    };
    let page_number: usize =
        wanted.page.as_deref().and_then(|p| p.parse().ok()).filter(|p| *p >= 1).unwrap_or(1);
    let address = |y: &str, page: usize| {
        let mut s = form_urlencoded::Serializer::new(String::new());
        s.append_pair("collectivite", siren.as_str()).append_pair("annee", y);
        if page > 1 {
            s.append_pair("page", &page.to_string());
        }
        format!("{PATH}?{}", s.finish())
    };
    let mut page = CollectivitePage {
        layout: Layout::new(&visit, format!("Espace collectivité : {name}"), PATH),
        choices: served.iter().map(|(s, n)| (s.to_string(), n.clone(), *s == siren)).collect(),
        name: name.clone(),
        siren: siren.to_string(),
        years: years
            .iter()
            .map(|(y, count)| YearLink {
                year: y.clone(),
                count: *count,
                href: address(y, 1),
                current: year.as_deref() == Some(y.as_str()),
            })
            .collect(),
        year: year.clone(),
        total: 0,
        groups: Vec::new(),
        previous: None,
        next: None,
    };
    if let Some(y) = &year {
        let request = search(vec![
            ("year", y.clone()),
            ("sort", "date_desc".into()),
            ("limit", MAX_LIMIT.to_string()),
            ("page", page_number.to_string()),
        ]);
        let Ok(request) = request else { return not_found_year(&visit) };
        let results = match acta.search(request, caller.scope()).await {
            Ok(r) => r,
            Err(e) => return internal_error(&visit, &e),
        };
        page.total = results.total;
        let mut groups: BTreeMap<String, Vec<Row>> = BTreeMap::new();
        for h in &results.hits {
            groups.entry(h.kind.clone()).or_default().push(Row {
                href: format!("/actes/{}", h.id),
                pdf: format!("/actes/{}/pdf", h.id),
                number: h.number.clone().unwrap_or_default(),
                title: h.title.clone(),
                date: day_label(&h.date),
            });
        }
        page.groups = groups
            .into_iter()
            .map(|(kind, rows)| Group { id: format!("nature-{kind}"), label: kind_label(&kind), rows })
            .collect();
        let pages = results.total.div_ceil(MAX_LIMIT);
        page.previous = (page_number > 1).then(|| address(y, page_number - 1));
        page.next = (page_number < pages).then(|| address(y, page_number + 1));
    }
    render(StatusCode::OK, &page)
}

/// The collectivités the caller acts for: SIREN and name.
fn served(web: &Web, caller: &crate::auth::Caller) -> Vec<(Siren, String)> {
    let profiles = web.acta.collectivites();
    match caller.collectivites() {
        Collectivites::All => profiles.iter().map(|p| (p.siren.clone(), p.nom.clone())).collect(),
        Collectivites::Only(set) => set
            .iter()
            .map(|s| (s.clone(), profiles.get(s).map_or_else(|| s.to_string(), |p| p.nom.clone())))
            .collect(),
    }
}

/// The years of the collectivité's sealed acts, with their counts, most
/// recent first (the year facet of a search for all of them).
async fn years_of(
    web: &Web,
    caller: &crate::auth::Caller,
    siren: &Siren,
) -> Result<Vec<(String, u64)>, ServiceError> {
    let pairs = [("collectivite", siren.as_str()), ("status", "sealed"), ("limit", "1")];
    let request = SearchRequest::from_params(pairs).map_err(ServiceError::from)?;
    let overview = web.acta.search(request, caller.scope()).await?;
    let mut years: Vec<(String, u64)> = overview
        .facets
        .get("year")
        .map(|v| v.iter().map(|f| (f.value.clone(), f.count)).collect())
        .unwrap_or_default();
    years.sort_by(|a, b| b.0.cmp(&a.0));
    Ok(years)
}

fn not_found_year(visit: &Visit) -> Response {
    error_page(
        visit,
        StatusCode::NOT_FOUND,
        "Année introuvable",
        "Aucun acte scellé de cette collectivité n'est de cette année.",
    )
}
