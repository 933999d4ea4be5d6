//! The pages of acts: « Nouvel acte » (choose, then a form generated from
//! the template's schema), « Modifier le projet », « Supprimer le projet »,
//! the act page, « Aperçu », « Sceller » and the withdrawal. Every page
//! about one act is behind the gate's [`crate::http::access::Access::Act`]
//! rule, the API's; a page that names a collectivité checks it with the
//! caller's [`crate::auth::Caller::acts_for`], as the API's gate does.

pub mod edit;
pub mod live;
pub mod new;
pub mod seal;
pub mod show;

use std::collections::BTreeMap;

use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::Value;
use time::OffsetDateTime;

use crate::catalog::Template as ActTemplate;
use crate::collectivite::Profile;
use crate::domain::ActId;
use crate::service::ServiceError;
use crate::web::Web;
use crate::web::form::{self, Node, html};
use crate::web::gate::Visit;
use crate::web::page::{Layout, error_page, internal_error, not_found, render};

/// The act-data form of a template, for one collectivité.
#[derive(Template)]
#[template(path = "acts/form.html")]
pub struct FormPage {
    layout: Layout,
    heading: String,
    description: String,
    collectivite: String,
    siren: String,
    action: String,
    cancel: String,
    fields: String,
    summary: Vec<(String, String)>,
    facts: Vec<(&'static str, String)>,
    /// The error summary takes the focus (no other input asked for it).
    focus_summary: bool,
    /// « Reprendre le dernier acte de l'agent » (new acts with a matricule).
    prefill: Option<Prefill>,
    /// Where `acta.js` posts the form for the live « Aperçu » ([`live`]).
    live: String,
    /// The script's URL (content-hashed).
    script: &'static str,
}

/// The policy of the act forms: the pages' own, plus the one script of acta,
/// its requests to acta (the live « Aperçu ») and the images it makes of
/// their answers (`blob:` URLs of acta's own PNGs).
const FORM_POLICY: &str = "default-src 'none'; style-src 'self'; script-src 'self'; connect-src 'self'; img-src 'self' blob:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The form that starts a new act from the agent's last sealed one.
#[derive(Debug, Clone, Default)]
pub struct Prefill {
    /// The template's id (the form's address).
    pub template: String,
    /// The matricule typed.
    pub matricule: String,
    /// What happened: found (a notice) or not (an error beside the field).
    pub outcome: Option<Result<String, String>>,
    /// The sealed act this new one corrects, if any.
    pub correction: Option<Correcting>,
}

/// The correction a new act makes to a sealed one (`corrige` of the API).
#[derive(Debug, Clone)]
pub struct Correcting {
    /// The sealed act.
    pub act: ActId,
    /// `rectificatif` or `retrait`.
    pub nature: &'static str,
    /// Its number.
    pub number: String,
}

impl Correcting {
    /// The sealed act `raw` names, if the visitor may know it (the API's
    /// rule) and it is sealed, corrected as `nature` says.
    pub async fn find(web: &Web, visit: &Visit, raw: &str, nature: &str) -> Option<Self> {
        let nature = ["rectificatif", "retrait"].into_iter().find(|n| *n == nature)?;
        let (act, _) =
            crate::http::access::act_in_scope(&web.acta, raw, visit.caller.as_ref()?).await.ok()?;
        let number = web.acta.get(&act).await.ok()?.number?.to_string();
        Some(Self { act, nature, number })
    }

    /// What the form says about it.
    pub fn label(&self) -> String {
        let what = if self.nature == "rectificatif" { "un rectificatif" } else { "un acte de retrait" };
        format!("Cet acte sera {what} de l'acte n° {}, qui y sera cité.", self.number)
    }

    /// The `corrige` member of the request body.
    pub fn member(&self) -> Value {
        serde_json::json!({"acte": self.act.to_string(), "nature": self.nature})
    }
}

/// What a form page is for.
pub enum Target {
    /// A new draft.
    New,
    /// The new version of draft `id`.
    Edit(ActId),
}

/// Everything a form page shows.
pub struct Filled<'a> {
    /// The template.
    pub template: &'a ActTemplate,
    /// The collectivité.
    pub profile: &'a Profile,
    /// The person's input (or the draft, or the prefill).
    pub value: Value,
    /// Errors by pointer (relative to the data).
    pub errors: BTreeMap<String, Vec<String>>,
    /// The input to focus (after adding or removing a row).
    pub focus: Option<String>,
}

/// Render the form page of a new act, with its « reprendre » form.
pub fn new_form_page(visit: &Visit, f: Filled<'_>, mut prefill: Prefill) -> Response {
    let has_matricule = Node::of_template(f.template).at("/agent/matricule").is_some();
    prefill.template = f.template.id.to_string();
    form_page_with(visit, &Target::New, f, has_matricule.then_some(prefill))
}

/// Render the form page.
pub fn form_page(visit: &Visit, target: &Target, f: Filled<'_>) -> Response {
    form_page_with(visit, target, f, None)
}

fn form_page_with(visit: &Visit, target: &Target, f: Filled<'_>, prefill: Option<Prefill>) -> Response {
    let node = Node::of_template(f.template);
    let rendered = html::render(&node, &f.value, &f.errors, f.focus.as_deref());
    let (title, action, cancel) = match target {
        Target::New => (
            format!("Nouvel acte : {}", f.template.title),
            format!("/actes/nouveau/{}", f.template.id),
            "/actes/nouveau".to_owned(),
        ),
        Target::Edit(id) => (
            format!("Modifier le projet : {}", f.template.title),
            format!("/actes/{id}/modifier"),
            format!("/actes/{id}"),
        ),
    };
    let current = if matches!(target, Target::New) { "/actes/nouveau" } else { "" };
    let mut layout = Layout::new(visit, title.clone(), current);
    layout.has_errors = !rendered.summary.is_empty();
    let p = f.profile;
    let page = FormPage {
        live: match target {
            Target::New => format!("/actes/nouveau/{}/apercu", f.template.id),
            Target::Edit(id) => format!("/actes/{id}/apercu"),
        },
        script: crate::web::assets::js_url(),
        prefill,
        focus_summary: !rendered.summary.is_empty() && f.focus.is_none(),
        layout,
        heading: title,
        description: f.template.description.clone(),
        collectivite: p.nom.clone(),
        siren: p.siren.to_string(),
        action,
        cancel,
        fields: rendered.html,
        summary: rendered.summary,
        facts: vec![
            ("Collectivité", format!("{} (SIREN {})", p.nom, p.siren)),
            (
                "Autorité",
                format!(
                    "{} {} {}, {}",
                    p.autorite.civilite, p.autorite.prenom, p.autorite.nom, p.autorite.qualite
                ),
            ),
            ("Fait à", p.ville.clone()),
            ("Chargé de l'exécution", p.charge_execution.clone()),
            ("Tribunal administratif", p.tribunal_administratif.clone()),
        ],
    };
    let status = if page.summary.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let mut resp = render(status, &page);
    resp.headers_mut().insert(
        axum::http::header::CONTENT_SECURITY_POLICY,
        axum::http::HeaderValue::from_static(FORM_POLICY),
    );
    resp
}

/// The posted pairs of a form (in order, repeated names kept).
pub type Pairs = Vec<(String, String)>;

/// What the form posted, as act data; with the row edit applied when the
/// person pressed « Ajouter une ligne » or « Supprimer » (`None` for « Enregistrer »).
pub fn posted(template: &ActTemplate, pairs: &Pairs) -> (Value, Option<String>, bool) {
    let node = Node::of_template(template);
    let action = form::read_action(pairs);
    match &action {
        form::Action::Save => (form::read(&node, pairs, true), None, true),
        form::Action::Add(ptr) => {
            let mut value = form::read(&node, pairs, false);
            form::apply(&mut value, &action);
            let rows = value.pointer(ptr).and_then(Value::as_array).map_or(0, Vec::len);
            // The new row's first input takes the focus.
            let focus = first_input(&node, &format!("{ptr}/{}", rows.saturating_sub(1)));
            (value, Some(focus), false)
        }
        form::Action::Remove(ptr) => {
            let mut value = form::read(&node, pairs, false);
            form::apply(&mut value, &action);
            let list = ptr.rsplit_once('/').map_or("", |(l, _)| l).to_owned();
            (value, Some(list), false)
        }
    }
}

/// The pointer of the first input under `ptr`.
fn first_input(node: &Node, ptr: &str) -> String {
    match node.at(ptr).map(|n| &n.kind) {
        Some(form::Kind::Object(props)) => match props.first() {
            Some(p) => first_input(node, &format!("{ptr}/{}", p.key)),
            None => ptr.to_owned(),
        },
        _ => ptr.to_owned(),
    }
}

/// The body the API's `POST /api/v1/acts` takes: the same service call.
pub fn request_body(template: &ActTemplate, profile: &Profile, data: Value) -> Value {
    serde_json::json!({"template": template.id.to_string(), "collectivite": profile.siren.to_string(), "data": data})
}

/// [`request_body`] of an act correcting a sealed one.
pub fn correcting_body(
    template: &ActTemplate,
    profile: &Profile,
    data: Value,
    c: Option<&Correcting>,
) -> Value {
    let mut body = request_body(template, profile, data);
    if let Some(c) = c {
        body["corrige"] = c.member();
    }
    body
}

/// A refusal of the service as form errors (pointers relative to the data),
/// or the page to answer for the others.
#[allow(clippy::result_large_err)] // the page to answer instead
pub fn form_errors(visit: &Visit, e: ServiceError) -> Result<BTreeMap<String, Vec<String>>, Response> {
    let mut errors: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut whole = |m: String| errors.entry(String::new()).or_default().push(m);
    match e {
        ServiceError::Invalid(list) => {
            for fe in list {
                let ptr = fe.path.strip_prefix("/data").map_or_else(String::new, str::to_owned);
                errors.entry(ptr).or_default().push(fe.message);
            }
        }
        ServiceError::ProfileIncomplete { message, .. } => whole(format!(
            "le profil de la collectivité est incomplet ({message}) ; demandez à l'administrateur de le compléter"
        )),
        ServiceError::TooManyPages { max, .. } => {
            whole(format!("l'acte dépasserait {max} pages ; raccourcissez les textes les plus longs"))
        }
        ServiceError::RenderTooLong { .. } | ServiceError::RenderQueueFull { .. } => {
            whole("le service est très sollicité ; enregistrez à nouveau dans un instant".into())
        }
        ServiceError::ActSealed => return Err(sealed_page(visit)),
        ServiceError::ActNotFound
        | ServiceError::UnknownTemplate(_)
        | ServiceError::UnknownCollectivite(_) => {
            return Err(not_found(visit));
        }
        other => return Err(internal_error(visit, &other)),
    }
    Ok(errors)
}

/// « Acte scellé »: a draft operation on a sealed act.
pub fn sealed_page(visit: &Visit) -> Response {
    error_page(
        visit,
        StatusCode::CONFLICT,
        "Acte scellé",
        "Cet acte est scellé : il ne se modifie ni ne se supprime. Pour le corriger, rédigez un rectificatif ou un retrait.",
    )
}

/// The template and the collectivité a form is for, if the visitor may
/// write for it (else the not-found page: what the visitor may not reach
/// does not exist for them).
#[allow(clippy::result_large_err)] // the page to answer instead
pub fn writable<'a>(
    web: &'a Web,
    visit: &Visit,
    template: &str,
    siren: &str,
) -> Result<(&'a ActTemplate, &'a Profile), Response> {
    let acta = &web.acta;
    let template = template.parse().ok().and_then(|t| acta.catalog().get(&t));
    let profile = siren.parse().ok().and_then(|s| acta.collectivites().get(&s));
    match (template, profile, &visit.caller) {
        (Some(t), Some(p), Some(caller)) if caller.acts_for(&p.siren) => Ok((t, p)),
        _ => Err(not_found(visit)),
    }
}

/// `05/12/2026` (the day in Paris).
pub fn day(t: OffsetDateTime) -> String {
    let d = crate::register::day_in_paris(t);
    format!("{:02}/{:02}/{}", d.day(), u8::from(d.month()), d.year())
}

/// `05/12/2026 à 22:04` (Paris time, as people in a mairie read it).
pub fn moment(t: OffsetDateTime) -> String {
    crate::service::french_moment(t)
}

/// The register of a series, for people.
pub fn register_name(series: &str) -> String {
    let kind = match series {
        "ARR" => "des arrêtés",
        "DEL" => "des délibérations",
        "CONV" => "des convocations",
        "PV" => "des procès-verbaux",
        "LD" => "des listes de délibérations",
        _ => "",
    };
    if kind.is_empty() { format!("Registre {series}") } else { format!("Registre {kind} ({series})") }
}
