//! The live « Aperçu » of an act's form: `POST /actes/nouveau/{template}/apercu`
//! (a new act) or `POST /actes/{id}/apercu` (« Modifier le projet ») takes the form as it is being typed (the same fields, with its CSRF
//! token), checks it as « Enregistrer le projet » would and answers page
//! `?page=n` (from 1) of its PROJET rendering as a PNG, with the number of
//! pages in `X-Acta-Pages`. Nothing is stored: no draft, no audit entry.
//!
//! An incomplete or invalid form is the normal state of a form being typed,
//! not a failure: it gets 422 and one calm French sentence (what the preview
//! waits for, the first field named), which `acta.js` shows beside the last
//! good pages.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::web::page::Query;
use axum::extract::{Path, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Form as Posted};
use serde::Deserialize;

use super::{Correcting, Pairs, form_errors, posted, request_body, writable};
use crate::catalog::Template as ActTemplate;
use crate::collectivite::Profile;
use crate::web::Web;
use crate::web::form::{Node, html};
use crate::web::gate::ActInScope;
use crate::web::gate::Visit;
use crate::web::page::not_found;

/// The query: which page.
#[derive(Debug, Deserialize)]
pub struct Which {
    page: Option<String>,
}

/// `X-Acta-Pages`: the number of pages of the rendering.
const PAGES: HeaderName = HeaderName::from_static("x-acta-pages");

/// `POST /actes/nouveau/{template}/apercu?page=n`: a new act's form.
pub async fn page(
    State(web): State<Arc<Web>>,
    Extension(visit): Extension<Visit>,
    Path(template): Path<String>,
    Query(which): Query<Which>,
    Posted(pairs): Posted<Pairs>,
) -> Response {
    let Some(n) = which.number() else { return not_found(&visit) };
    let siren = pairs.iter().find(|(k, _)| k == "collectivite").map_or("", |(_, v)| v.as_str());
    let (template, profile) = match writable(&web, &visit, &template, siren) {
        Ok(found) => found,
        Err(page) => return page,
    };
    let correction = match pairs.iter().find(|(k, _)| k == "corrige") {
        Some((_, raw)) => {
            let nature = pairs.iter().find(|(k, _)| k == "nature").map_or("", |(_, v)| v.as_str());
            match Correcting::find(&web, &visit, raw, nature).await {
                Some(c) => Some(c.member()),
                None => return not_found(&visit),
            }
        }
        None => None,
    };
    answer(&web, &visit, template, profile, &pairs, correction, n).await
}

/// `POST /actes/{id}/apercu?page=n`: « Modifier le projet »'s form (the
/// draft's template and collectivité; a correction stays one).
pub async fn of_draft(
    State(web): State<Arc<Web>>,
    Extension(visit): Extension<Visit>,
    Extension(act): Extension<ActInScope>,
    Query(which): Query<Which>,
    Posted(pairs): Posted<Pairs>,
) -> Response {
    let Some(n) = which.number() else { return not_found(&visit) };
    let (draft, template, profile) = match super::edit::editable(&web, &visit, &act.id).await {
        Ok(found) => found,
        Err(refused) => return refused,
    };
    let correction =
        draft.corrects.as_ref().map(|c| serde_json::json!({"acte": c.act.to_string(), "nature": c.nature}));
    answer(&web, &visit, template, profile, &pairs, correction, n).await
}

impl Which {
    /// The page asked for (1 when not said), if it is a page number.
    fn number(&self) -> Option<usize> {
        match self.page.as_deref() {
            None => Some(1),
            Some(raw) => raw.parse::<usize>().ok().filter(|n| (1..=1000).contains(n)),
        }
    }
}

/// Page `n` of the form's rendering, or what the preview waits for.
async fn answer(
    web: &Web,
    visit: &Visit,
    template: &ActTemplate,
    profile: &Profile,
    pairs: &Pairs,
    correction: Option<serde_json::Value>,
    n: usize,
) -> Response {
    let (value, _, _) = posted(template, pairs);
    let mut body = request_body(template, profile, value.clone());
    if let Some(c) = correction {
        body["corrige"] = c;
    }
    match web.acta.unsaved_page_png(&body, n - 1).await {
        Ok((png, pages)) if n <= pages => {
            let headers = [
                (header::CONTENT_TYPE, HeaderValue::from_static("image/png")),
                (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
                (PAGES, HeaderValue::from(pages)),
            ];
            (headers, png).into_response()
        }
        Ok(_) => not_found(visit),
        Err(e) => match form_errors(visit, e) {
            Ok(errors) => {
                let node = Node::of_template(template);
                let rendered = html::render(&node, &value, &errors, None);
                waiting(&rendered.summary, &errors)
            }
            Err(page) => page,
        },
    }
}

/// 422 and the sentence saying what the preview waits for.
fn waiting(summary: &[(String, String)], errors: &BTreeMap<String, Vec<String>>) -> Response {
    let count = summary.len().max(usize::from(!errors.is_empty()));
    let first = summary.first().map(|(_, m)| m.as_str()).unwrap_or("le formulaire est incomplet");
    let sentence = if count > 1 {
        format!(
            "L'aperçu attend que le formulaire soit complet : {count} points à compléter ou corriger, dont « {first} »."
        )
    } else {
        format!("L'aperçu attend que le formulaire soit complet : « {first} ».")
    };
    let headers = [
        (header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8")),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
    ];
    (StatusCode::UNPROCESSABLE_ENTITY, headers, sentence).into_response()
}
