//! « Rechercher » (every role, within its scope): one box, facets,
//! a date range, a sort, pages of highlighted hits, each linking to its act.
//!
//! The page is a GET form, so it works without JavaScript and every search
//! has an address (to bookmark, to send). Its parameters are those of
//! `GET /api/v1/search` (`q`, `collectivite`, `kind`, `template`, `year`,
//! `status`, `from`, `to`, `sort`, `page`); empty fields are dropped, and
//! the one service call ([`crate::service::Acta::search`]) runs with the
//! caller's [`crate::search::Scope`], which masks personal data for the
//! roles that may not see it (archiviste, lecteur) inside the index query.

use std::sync::Arc;

use askama::Template;
use axum::Extension;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::setup::capitalise;
use super::wording::{
    Segment, collectivite_name, day_label, kind_label, snippet_segments, status_label, template_label,
};
use crate::search::{DEFAULT_LIMIT, FacetValue, Results, SearchRequest, Sort};
use crate::service::ServiceError;
use crate::web::Web;
use crate::web::gate::Visit;
use crate::web::page::{Form, Layout, internal_error, render, see_other};

/// The page's address.
pub const PATH: &str = "/recherche";

/// Values shown per facet (the most frequent; the chosen ones always).
const FACET_VALUES: usize = 12;

/// One choice of a facet.
pub struct Choice {
    /// `id` of the input.
    pub id: String,
    /// The parameter's value.
    pub value: String,
    /// What people read.
    pub label: String,
    /// Matching acts with this value (`None` for « Toutes »).
    pub count: Option<u64>,
    /// Whether it is chosen.
    pub checked: bool,
}

/// A facet: a group of checkboxes (or radio buttons, for one value).
pub struct Facet {
    /// The parameter's name.
    pub name: &'static str,
    /// The group's legend.
    pub legend: &'static str,
    /// `checkbox` or `radio`.
    pub input: &'static str,
    /// The choices.
    pub choices: Vec<Choice>,
}

/// A hit as the list shows it.
pub struct HitView {
    /// The act's page.
    pub href: String,
    /// Title (without the agent for roles that may not see personal data).
    pub title: String,
    /// Number, once sealed.
    pub number: Option<String>,
    /// Collectivité's name.
    pub collectivite: String,
    /// Kind, in French.
    pub kind: String,
    /// Date, in French.
    pub date: String,
    /// Status, in French.
    pub status: &'static str,
    /// The passage found, in pieces.
    pub snippet: Vec<Segment>,
    /// The agent, when the role may see it.
    pub agent: Option<String>,
}

/// A link of the pagination.
pub struct PageLink {
    /// Its number.
    pub number: usize,
    /// Its address.
    pub href: String,
    /// Whether it is this page.
    pub current: bool,
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    layout: Layout,
    form: Form,
    q: String,
    from: String,
    to: String,
    sort: &'static str,
    facets: Vec<Facet>,
    searched: bool,
    total: usize,
    first: usize,
    last: usize,
    hits: Vec<HitView>,
    pages: Vec<PageLink>,
    previous: Option<String>,
    next: Option<String>,
    personal_data: bool,
}

impl SearchPage {
    fn sort_options(&self) -> [(&'static str, &'static str, bool); 3] {
        [
            ("relevance", "Pertinence", self.sort == "relevance"),
            ("date_desc", "Date, la plus récente d'abord", self.sort == "date_desc"),
            ("date_asc", "Date, la plus ancienne d'abord", self.sort == "date_asc"),
        ]
    }
}

/// The input a parameter is typed in (the error summary links to it).
fn field_of(key: &str) -> &'static str {
    match key {
        "from" => "from",
        "to" => "to",
        "sort" => "sort",
        "collectivite" => "facette-collectivite",
        "kind" => "facette-kind",
        "template" => "facette-template",
        "year" => "facette-year",
        "status" => "facette-status",
        _ => "q",
    }
}

fn message(e: ServiceError) -> Result<String, ServiceError> {
    match e {
        ServiceError::InvalidQuery(m) => Ok(capitalise(m.trim_start_matches("requête invalide : "))),
        other => Err(other),
    }
}

/// `GET /recherche`.
pub async fn search(
    State(web): State<Arc<Web>>,
    Extension(visit): Extension<Visit>,
    RawQuery(raw): RawQuery,
) -> Response {
    let Some(caller) = visit.caller.clone() else { return see_other("/connexion") };
    let params: Vec<(String, String)> = form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
        .into_owned()
        .map(|(k, v)| (k, v.trim().to_owned()))
        .filter(|(_, v)| !v.is_empty())
        .collect();
    let mut form = Form::default();
    // Each parameter alone first, so that the summary names the field at fault.
    for (k, v) in &params {
        if let Err(e) = SearchRequest::from_params([(k.as_str(), v.as_str())]) {
            match message(e.into()) {
                Ok(m) => form.error(field_of(k), m),
                Err(e) => return internal_error(&visit, &e),
            }
        }
    }
    let pairs = || params.iter().map(|(k, v)| (k.as_str(), v.as_str()));
    let mut request = None;
    if form.is_valid() {
        match SearchRequest::from_params(pairs()) {
            Ok(r) => request = Some(r),
            Err(e) => match message(e.into()) {
                Ok(m) => form.error("q", m),
                Err(e) => return internal_error(&visit, &e),
            },
        }
    }
    let scope = caller.scope();
    let personal_data = scope.personal_data();
    let drafts = scope.drafts();
    let results = match request.clone() {
        Some(r) => match web.acta.search(r, scope).await {
            Ok(results) => Some(results),
            Err(e) => match message(e) {
                Ok(m) => {
                    form.error("q", m);
                    None
                }
                Err(e) => return internal_error(&visit, &e),
            },
        },
        None => None,
    };
    let value = |key: &str| params.iter().find(|(k, _)| k == key).map_or(String::new(), |(_, v)| v.clone());
    let sort = match request.as_ref().map_or(Sort::Relevance, |r| r.sort) {
        Sort::Relevance => "relevance",
        Sort::DateDesc => "date_desc",
        Sort::DateAsc => "date_asc",
    };
    let mut layout = Layout::new(&visit, "Rechercher un acte", PATH);
    layout.has_errors = !form.is_valid();
    let mut page = SearchPage {
        layout,
        q: value("q"),
        from: value("from"),
        to: value("to"),
        sort,
        facets: Vec::new(),
        searched: results.is_some(),
        total: 0,
        first: 0,
        last: 0,
        hits: Vec::new(),
        pages: Vec::new(),
        previous: None,
        next: None,
        personal_data,
        form,
    };
    if let Some(results) = results {
        fill(&web, &caller, &mut page, &params, &results, drafts);
    }
    let status = if page.form.is_valid() { StatusCode::OK } else { StatusCode::BAD_REQUEST };
    render(status, &page)
}

/// What people read for a facet's value.
type Labeller<'a> = Box<dyn Fn(&str) -> String + 'a>;

/// A collectivité's name, only within the visitor's scope: the name of a
/// collectivité typed in the address that the visitor does not act for would
/// say that this instance serves it, which an API caller is never told.
fn scoped_name(web: &Web, caller: &crate::auth::Caller, siren: &str) -> String {
    match siren.parse::<crate::domain::Siren>() {
        Ok(s) if caller.acts_for(&s) => collectivite_name(&web.acta, siren),
        _ => siren.to_owned(),
    }
}

/// The facets, hits and pages of `results`.
fn fill(
    web: &Web,
    caller: &crate::auth::Caller,
    page: &mut SearchPage,
    params: &[(String, String)],
    results: &Results,
    drafts: bool,
) {
    let acta = &web.acta;
    let collectivite = |v: &str| scoped_name(web, caller, v);
    let chosen = |key: &str| -> Vec<String> {
        params
            .iter()
            .filter(|(k, _)| k == key)
            .flat_map(|(_, v)| v.split(',').map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned))
            .collect()
    };
    let counted = |name: &str| results.facets.get(name).cloned().unwrap_or_default();
    let groups: [(&'static str, &'static str, &'static str, Labeller<'_>); 5] = [
        ("collectivite", "Collectivité", "checkbox", Box::new(collectivite)),
        ("kind", "Nature de l'acte", "checkbox", Box::new(kind_label)),
        ("template", "Type d'acte", "checkbox", Box::new(|v| template_label(acta, v))),
        ("year", "Année", "radio", Box::new(str::to_owned)),
        ("status", "Statut", "radio", Box::new(|v| status_label(v).to_owned())),
    ];
    for (name, legend, input, label) in groups {
        if name == "status" && !drafts {
            continue; // only sealed acts exist for this role
        }
        let chosen = chosen(name);
        let mut values: Vec<FacetValue> = counted(name);
        if name == "year" {
            values.sort_by(|a, b| b.value.cmp(&a.value));
        }
        values.truncate(FACET_VALUES);
        for c in &chosen {
            if !values.iter().any(|v| &v.value == c) {
                values.push(FacetValue { value: c.clone(), count: 0 });
            }
        }
        let mut choices: Vec<Choice> = Vec::new();
        if input == "radio" {
            choices.push(Choice {
                id: format!("{name}-tous"),
                value: String::new(),
                label: if name == "year" { "Toutes".into() } else { "Tous".into() },
                count: None,
                checked: chosen.is_empty(),
            });
        }
        choices.extend(values.into_iter().enumerate().map(|(i, v)| Choice {
            id: format!("{name}-{i}"),
            checked: chosen.contains(&v.value),
            label: label(&v.value),
            count: Some(v.count),
            value: v.value,
        }));
        if choices.len() > usize::from(input == "radio") {
            page.facets.push(Facet { name, legend, input, choices });
        }
    }
    page.total = results.total;
    page.first = results.offset + 1;
    page.last = results.offset + results.hits.len();
    page.hits = results
        .hits
        .iter()
        .map(|h| HitView {
            href: format!("/actes/{}", h.id),
            title: h.title.clone(),
            number: h.number.clone(),
            collectivite: if h.collectivite.is_empty() {
                collectivite_name(acta, &h.siren)
            } else {
                h.collectivite.clone()
            },
            kind: kind_label(&h.kind),
            date: day_label(&h.date),
            status: status_label(&h.status),
            snippet: h.snippet.as_deref().map(snippet_segments).unwrap_or_default(),
            agent: h.agent.as_ref().map(|a| match &a.matricule {
                Some(m) => format!("{} (matricule {m})", a.name),
                None => a.name.clone(),
            }),
        })
        .collect();
    // Pages: a window around this one, as links keeping every other parameter.
    let pages = results.total.div_ceil(DEFAULT_LIMIT).min(crate::search::MAX_WINDOW / DEFAULT_LIMIT);
    let current = results.offset / DEFAULT_LIMIT + 1;
    let href = |n: usize| {
        let mut s = form_urlencoded::Serializer::new(String::new());
        for (k, v) in params.iter().filter(|(k, _)| k != "page") {
            s.append_pair(k, v);
        }
        if n > 1 {
            s.append_pair("page", &n.to_string());
        }
        format!("{PATH}?{}", s.finish())
    };
    if pages > 1 {
        let low = current.saturating_sub(3).max(1);
        let high = (current + 3).min(pages);
        page.pages =
            (low..=high).map(|n| PageLink { number: n, href: href(n), current: n == current }).collect();
        page.previous = (current > 1).then(|| href(current - 1));
        page.next = (current < pages).then(|| href(current + 1));
    }
}
