//! « Nouvel acte »: choose the collectivité and the template, then fill the
//! form generated from the template's schema; « Enregistrer le projet »
//! creates the draft with the API's service call.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::web::page::Query;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::{Extension, Form as Posted};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::{
    Correcting, Filled, Pairs, Prefill, correcting_body, form_errors, new_form_page, posted, writable,
};
use crate::web::Web;
use crate::web::form::{self, Node};
use crate::web::gate::Visit;
use crate::web::page::{Layout, render, see_other};

/// A template to choose.
pub struct Choice {
    id: String,
    title: String,
    description: String,
    checked: bool,
    /// The first radio of the page carries the group's id (`modele`).
    first: bool,
}

/// The groups of templates, in the order people look for them: an agent's
/// career, the maire's own arrêtés, the council's sittings.
const GROUPS: [&str; 3] = [
    "Carrière et situation des agents",
    "Arrêtés du maire",
    "Séances : convocations, délibérations, procès-verbaux",
];

/// The group of a template: by register series, then @ctes matière
/// (4.x: fonction publique).
fn group_of(t: &crate::catalog::Template) -> usize {
    match t.series.as_str() {
        "ARR" | "CTR" if t.matiere.starts_with("4.") => 0,
        "ARR" | "CTR" => 1,
        _ => 2,
    }
}

#[derive(Template)]
#[template(path = "acts/choose.html")]
struct ChoosePage {
    layout: Layout,
    collectivites: Vec<(String, String, bool)>,
    /// Legend and templates of each group.
    groups: Vec<(&'static str, Vec<Choice>)>,
    errors: Vec<(&'static str, &'static str)>,
}

/// The query of `GET /actes/nouveau` (the choice form is a GET form).
#[derive(Debug, Default, Deserialize)]
pub struct Chosen {
    collectivite: Option<String>,
    modele: Option<String>,
}

/// `GET /actes/nouveau`: the choice; once both are chosen, the form.
pub async fn choose(
    State(web): State<Arc<Web>>,
    Extension(visit): Extension<Visit>,
    Query(q): Query<Chosen>,
) -> Response {
    let Some(caller) = &visit.caller else { return see_other("/connexion") };
    let profiles: Vec<_> = web.acta.collectivites().iter().filter(|p| caller.acts_for(&p.siren)).collect();
    let submitted = q.collectivite.is_some() || q.modele.is_some();
    // One collectivité in scope: nothing to choose.
    let siren = q.collectivite.clone().filter(|s| !s.is_empty()).or_else(|| match profiles.as_slice() {
        [only] => Some(only.siren.to_string()),
        _ => None,
    });
    let template = q.modele.clone().filter(|t| !t.is_empty());
    let mut errors = Vec::new();
    let siren_ok = siren.as_ref().is_some_and(|s| profiles.iter().any(|p| p.siren.as_str() == s));
    let template_ok =
        template.as_ref().is_some_and(|t| t.parse().ok().and_then(|t| web.acta.catalog().get(&t)).is_some());
    if submitted && !siren_ok {
        errors.push(("collectivite", "Choisissez la collectivité pour laquelle l'acte est rédigé"));
    }
    if submitted && !template_ok {
        errors.push(("modele", "Choisissez un modèle d'acte"));
    }
    if let (true, true, Some(s), Some(t)) = (siren_ok, template_ok, &siren, &template) {
        return see_other(&format!("/actes/nouveau/{t}?collectivite={s}"));
    }
    let mut layout = Layout::new(&visit, "Nouvel acte", "/actes/nouveau");
    layout.has_errors = !errors.is_empty();
    let page = ChoosePage {
        layout,
        collectivites: profiles
            .iter()
            .map(|p| (p.siren.to_string(), p.nom.clone(), siren.as_deref() == Some(p.siren.as_str())))
            .collect(),
        groups: {
            let mut groups: Vec<_> = GROUPS.iter().map(|g| (*g, Vec::new())).collect();
            for t in web.acta.catalog().iter() {
                groups[group_of(t)].1.push(Choice {
                    id: t.id.to_string(),
                    title: t.title.clone(),
                    description: t.description.clone(),
                    checked: template.as_deref() == Some(t.id.as_str()),
                    first: false,
                });
            }
            groups.retain(|(_, g)| !g.is_empty());
            if let Some(c) = groups.first_mut().and_then(|(_, g)| g.first_mut()) {
                c.first = true;
            }
            groups
        },
        errors,
    };
    let status = if page.errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    render(status, &page)
}

/// The query of `GET /actes/nouveau/{template}`.
#[derive(Debug, Deserialize)]
pub struct For {
    #[serde(default)]
    collectivite: String,
    /// Start from the last sealed act of the agent with this matricule.
    matricule: Option<String>,
    /// The sealed act this one corrects (with `nature`).
    corrige: Option<String>,
    #[serde(default)]
    nature: String,
}

/// `GET /actes/nouveau/{template}?collectivite=…`: the empty form, with
/// what the collectivité's profile already says.
pub async fn form(
    State(web): State<Arc<Web>>,
    Extension(visit): Extension<Visit>,
    Path(template): Path<String>,
    Query(q): Query<For>,
) -> Response {
    if q.collectivite.is_empty() {
        return see_other(&format!("/actes/nouveau?modele={}", urlencode(&template)));
    }
    let (template, profile) = match writable(&web, &visit, &template, &q.collectivite) {
        Ok(found) => found,
        Err(page) => return page,
    };
    let node = Node::of_template(template);
    let mut value = Value::Object(Map::new());
    let mut prefill = Prefill::default();
    if let Some(raw) = &q.corrige {
        // A correction starts from the act it corrects.
        let Some(c) = Correcting::find(&web, &visit, raw, &q.nature).await else {
            return crate::web::page::not_found(&visit);
        };
        match web.acta.act_data(&c.act).await {
            Ok(data) => value = data,
            Err(e) => return crate::web::page::internal_error(&visit, &e),
        }
        prefill.correction = Some(c);
    } else if let (Some(m), Some(caller)) =
        (q.matricule.as_deref().map(str::trim).filter(|m| !m.is_empty()), &visit.caller)
    {
        prefill.matricule = m.to_owned();
        match web.acta.last_act_of_agent(&profile.siren, m, caller.scope()).await {
            Ok(Some(last)) => {
                let day = crate::register::day_in_paris(last.sealed_at).to_string();
                value = form::carry(&node, &last.data, last.number.as_str(), &day);
                prefill.outcome = Some(Ok(format!(
                    "Repris de l'acte n° {} scellé le {} : l'agent, sa situation et l'arrêté précédent. Vérifiez chaque champ et complétez le reste.",
                    last.number,
                    super::day(last.sealed_at)
                )));
            }
            Ok(None) => {
                prefill.outcome = Some(Err(format!(
                    "Aucun acte scellé de {} ne concerne le matricule « {m} »",
                    profile.nom
                )));
            }
            Err(e) => return crate::web::page::internal_error(&visit, &e),
        }
    }
    form::prefill(&node, &mut value, profile);
    let filled = Filled { template, profile, value, errors: BTreeMap::new(), focus: None };
    new_form_page(&visit, filled, prefill)
}

/// `POST /actes/nouveau/{template}`: a row added or removed (the form
/// again, input kept), or « Enregistrer le projet ».
pub async fn submit(
    State(web): State<Arc<Web>>,
    Extension(visit): Extension<Visit>,
    Path(template): Path<String>,
    Posted(pairs): Posted<Pairs>,
) -> Response {
    let siren = pairs.iter().find(|(k, _)| k == "collectivite").map_or("", |(_, v)| v.as_str());
    let (template, profile) = match writable(&web, &visit, &template, siren) {
        Ok(found) => found,
        Err(page) => return page,
    };
    let corrige = pairs.iter().find(|(k, _)| k == "corrige").map(|(_, v)| v.as_str());
    let nature = pairs.iter().find(|(k, _)| k == "nature").map_or("", |(_, v)| v.as_str());
    let correction = match corrige {
        Some(raw) => match Correcting::find(&web, &visit, raw, nature).await {
            Some(c) => Some(c),
            None => return crate::web::page::not_found(&visit),
        },
        None => None,
    };
    let again = |correction: Option<Correcting>| Prefill { correction, ..Prefill::default() };
    let (value, focus, save) = posted(template, &pairs);
    if !save {
        let filled = Filled { template, profile, value, errors: BTreeMap::new(), focus };
        return new_form_page(&visit, filled, again(correction));
    }
    let body = correcting_body(template, profile, value.clone(), correction.as_ref());
    match web.acta.create_draft(&body).await {
        Ok(act) => {
            web.record_act(&visit, "act.create", act.id, profile.siren.clone(), None).await;
            see_other(&format!("/actes/{}?enregistre=1", act.id))
        }
        Err(e) => match form_errors(&visit, e) {
            Ok(errors) => new_form_page(
                &visit,
                Filled { template, profile, value, errors, focus: None },
                again(correction),
            ),
            Err(page) => page,
        },
    }
}

fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
