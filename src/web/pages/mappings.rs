//! « Correspondance des colonnes » (`/campagnes/correspondances`, admin and
//! gestionnaire): for each template, which column of the HR software's
//! spreadsheet fills which field of its acts — the mapping a campaign reads
//! a spreadsheet with ([`crate::campaign::Mapping`]), saved per template as
//! `PUT /api/v1/campaigns/mappings/{template}` saves it (a new version).
//!
//! The editor lists every field of the template's schema that a column can
//! fill, prefilled from the saved mapping. Without a file each field takes a
//! column header typed in; after « Lire les en-têtes » of an example file
//! (its first line only is kept, as hidden fields of the form) each field is
//! a choice among that file's headers. Values the mapping fixes for every
//! row (`fixed`) and its change-table columns (`changes`) are kept as they
//! are. Plain forms: it works without JavaScript.

use std::collections::BTreeMap;
use std::sync::Arc;

use askama::Template;
use axum::extract::{Multipart, Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::{Extension, Form as Posted};

use crate::campaign::mapping::{SchemaField, fixed_text, fixed_value, schema_fields};
use crate::campaign::{CampaignError, Mapping, Source};
use crate::catalog::Template as ActTemplate;
use crate::domain::TemplateId;
use crate::web::Web;
use crate::web::gate::Visit;
use crate::web::page::{Layout, internal_error, not_found, render, see_other};

/// The list's address.
pub const PATH: &str = "/campagnes/correspondances";
/// A template's editor.
pub const EDIT: &str = "/campagnes/correspondances/{template}";
/// Reading the headers of an example file for a template's editor.
pub const HEADERS: &str = "/campagnes/correspondances/{template}/entetes";
/// The field of the collectivité's column.
const COLLECTIVITE: &str = "collectivite";

/// A template of the list.
pub struct TemplateRow {
    href: String,
    title: String,
    saved: bool,
}

#[derive(Template)]
#[template(path = "mappings.html")]
struct ListPage {
    layout: Layout,
    templates: Vec<TemplateRow>,
}

/// `GET /campagnes/correspondances`: every template, with or without a
/// saved mapping.
pub async fn list(State(web): State<Arc<Web>>, Extension(visit): Extension<Visit>) -> Response {
    let mut templates = Vec::new();
    for t in web.acta.catalog().iter() {
        let saved = match Mapping::load(web.acta.store(), &t.id).await {
            Ok(m) => m.is_some(),
            Err(e) => return internal_error(&visit, &e),
        };
        templates.push(TemplateRow { href: format!("{PATH}/{}", t.id), title: t.title.clone(), saved });
    }
    let layout = Layout::new(&visit, "Correspondance des colonnes", super::campaigns::PATH);
    render(StatusCode::OK, &ListPage { layout, templates })
}

/// One field of the editor: its column, and the value every row shares
/// when no column is chosen or the cell is empty.
pub struct FieldRow {
    /// HTML id and name of the column's input.
    id: String,
    label: String,
    hint: String,
    required: bool,
    /// The column header chosen or typed.
    value: String,
    /// Whether the field takes a common value (not the collectivité).
    has_fixed: bool,
    /// The common value, as a cell would hold it.
    fixed: String,
    error: Option<String>,
    /// The id of the input the error is about.
    error_at: String,
}

impl FieldRow {
    fn fixed_id(&self) -> String {
        format!("{}-commune", self.id)
    }

    fn described_by(&self) -> String {
        let mut s = format!("{}-hint", self.id);
        if self.error.is_some() {
            s.push_str(&format!(" {}-error", self.id));
        }
        s
    }
}

/// Fields under one legend.
pub struct Group {
    legend: String,
    fields: Vec<FieldRow>,
}

/// A problem, for the error summary.
pub struct Problem {
    anchor: String,
    message: String,
}

#[derive(Template)]
#[template(path = "mapping.html")]
struct EditPage {
    layout: Layout,
    action: String,
    title: String,
    saved: bool,
    notice: Option<&'static str>,
    /// The example file's headers (none: columns are typed in).
    headers: Vec<String>,
    example: Option<String>,
    /// What is wrong with the example file.
    file_error: Option<String>,
    collectivite: FieldRow,
    groups: Vec<Group>,
    problems: Vec<Problem>,
}

impl EditPage {
    fn options(&self, value: &str) -> Vec<(String, String, bool)> {
        let mut out = vec![(String::new(), "— aucune colonne —".to_owned(), value.is_empty())];
        out.extend(self.headers.iter().map(|h| (h.clone(), h.clone(), same(h, value))));
        if !value.is_empty() && !self.headers.iter().any(|h| same(h, value)) {
            out.push((value.to_owned(), format!("{value} (absente du fichier)"), true));
        }
        out
    }
}

/// Headers are compared as the import compares them.
fn same(a: &str, b: &str) -> bool {
    a.trim().to_lowercase() == b.trim().to_lowercase()
}

fn field_id(pointer: &str) -> String {
    format!("champ{}", pointer.replace('/', "--").replace('~', "-"))
}

fn label_of(f: &SchemaField) -> String {
    f.title.clone().unwrap_or_else(|| {
        let words: Vec<String> = f.pointer.split('/').skip(1).map(|p| p.replace('_', " ")).collect();
        super::setup::capitalise(&words.join(" › "))
    })
}

fn group_of(pointer: &str) -> String {
    match pointer.trim_start_matches('/').split_once('/') {
        Some((head, _)) => super::setup::capitalise(&head.replace('_', " ")),
        None => "Acte".to_owned(),
    }
}

/// The editor of template `t`, from `mapping` (saved or posted).
fn edit_page(visit: &Visit, t: &ActTemplate, mapping: Option<&Mapping>, headers: Vec<String>) -> EditPage {
    let column_of = |pointer: &str| {
        mapping
            .and_then(|m| m.columns.iter().find(|(_, p)| p.as_str() == pointer))
            .map_or_else(String::new, |(h, _)| h.clone())
    };
    let mut groups: Vec<Group> = Vec::new();
    for f in schema_fields(t.schema()) {
        let legend = group_of(&f.pointer);
        let kind = if f.required { format!("{}, obligatoire", f.kind) } else { f.kind.to_owned() };
        let hint = match &f.description {
            Some(d) => format!("{d} ({kind})"),
            None => super::setup::capitalise(&kind),
        };
        let id = field_id(&f.pointer);
        let row = FieldRow {
            error_at: id.clone(),
            id,
            label: label_of(&f),
            hint,
            required: f.required,
            value: column_of(&f.pointer),
            has_fixed: true,
            fixed: mapping
                .and_then(|m| m.fixed.get(&f.pointer))
                .map(|v| fixed_text(t.schema(), &f.pointer, v))
                .unwrap_or_default(),
            error: None,
        };
        match groups.iter_mut().find(|g| g.legend == legend) {
            Some(g) => g.fields.push(row),
            None => groups.push(Group { legend, fields: vec![row] }),
        }
    }
    let collectivite = FieldRow {
        id: COLLECTIVITE.to_owned(),
        label: "SIREN de la collectivité".to_owned(),
        hint: "La colonne qui donne, à chaque ligne, le SIREN de la collectivité employeur (les espaces y sont permis : 216 295 105)".to_owned(),
        required: true,
        value: mapping.map(|m| m.collectivite.clone()).unwrap_or_default(),
        has_fixed: false,
        fixed: String::new(),
        error: None,
        error_at: COLLECTIVITE.to_owned(),
    };
    EditPage {
        layout: Layout::new(
            visit,
            format!("Correspondance des colonnes : {}", t.title),
            super::campaigns::PATH,
        ),
        action: format!("{PATH}/{}", t.id),
        title: t.title.clone(),
        saved: mapping.is_some(),
        notice: None,
        example: None,
        file_error: None,
        headers,
        collectivite,
        groups,
        problems: Vec::new(),
    }
}

fn template_of<'w>(web: &'w Web, id: &str) -> Option<&'w ActTemplate> {
    id.parse::<TemplateId>().ok().and_then(|t| web.acta.catalog().get(&t))
}

/// `GET /campagnes/correspondances/{template}`: the editor, prefilled from
/// the saved mapping.
pub async fn edit(
    State(web): State<Arc<Web>>,
    Extension(visit): Extension<Visit>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let Some(t) = template_of(&web, &id) else { return not_found(&visit) };
    let saved = match Mapping::load(web.acta.store(), &t.id).await {
        Ok(m) => m,
        Err(e) => return internal_error(&visit, &e),
    };
    let mut page = edit_page(&visit, t, saved.as_ref(), Vec::new());
    if raw.as_deref() == Some("enregistree=1") {
        page.notice = Some("Correspondance enregistrée : les prochaines campagnes de ce modèle la suivent.");
    }
    render(StatusCode::OK, &page)
}

/// `POST /campagnes/correspondances/{template}/entetes` (multipart:
/// `fichier`): the editor again, each field a choice among the headers of
/// the example file (only its first line is read and kept).
pub async fn headers(
    State(web): State<Arc<Web>>,
    Extension(visit): Extension<Visit>,
    Path(id): Path<String>,
    mut posted: Multipart,
) -> Response {
    let Some(t) = template_of(&web, &id) else { return not_found(&visit) };
    let (mut name, mut bytes) = (String::new(), Vec::new());
    while let Ok(Some(field)) = posted.next_field().await {
        let is_file = field.name() == Some("fichier");
        let file_name = field.file_name().map(str::to_owned);
        let Ok(value) = field.bytes().await else { break };
        if is_file {
            name = file_name.unwrap_or_default();
            bytes = value.to_vec();
        }
    }
    let saved = match Mapping::load(web.acta.store(), &t.id).await {
        Ok(m) => m,
        Err(e) => return internal_error(&visit, &e),
    };
    let read = if bytes.is_empty() {
        Err("Choisissez un fichier d'exemple (CSV ou XLSX) dont la première ligne porte les en-têtes"
            .to_owned())
    } else {
        match Source::read(&name, &bytes) {
            Ok(Source::Table(table)) => Ok(table.headers),
            Ok(_) => {
                Err("Un fichier JSON Lines n'a pas de colonnes : choisissez un tableur CSV ou XLSX".into())
            }
            Err(e) => Err(format!("Fichier illisible : {e}")),
        }
    };
    match read {
        Ok(headers) => {
            let mut page = edit_page(&visit, t, saved.as_ref(), headers);
            page.example = Some(name);
            render(StatusCode::OK, &page)
        }
        Err(message) => {
            let mut page = edit_page(&visit, t, saved.as_ref(), Vec::new());
            page.problems.push(Problem { anchor: "fichier".into(), message: message.clone() });
            page.file_error = Some(message);
            page.layout.has_errors = true;
            render(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
    }
}

/// Field id → (the input at fault, the problem).
type Errors = BTreeMap<String, (String, String)>;

/// The form's values (trimmed; empty when absent).
fn form_value(pairs: &[(String, String)], name: &str) -> String {
    pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim().to_owned()).unwrap_or_default()
}

/// The example file's headers carried by the form.
fn form_headers(pairs: &[(String, String)]) -> Vec<String> {
    pairs.iter().filter(|(k, _)| k == "entete").map(|(_, v)| v.clone()).collect()
}

/// The mapping the editor's form of template `t` describes, from the saved
/// one, and the problems of each field.
fn read_form(t: &ActTemplate, saved: Option<&Mapping>, pairs: &[(String, String)]) -> (Mapping, Errors) {
    let headers = form_headers(pairs);
    let value = |name: &str| form_value(pairs, name);
    let fields = schema_fields(t.schema());
    let edited = |p: &str| fields.iter().any(|f| f.pointer == p);
    // What the form does not edit is kept: columns and common values of
    // other pointers, change-table columns.
    let mut columns: BTreeMap<String, String> = saved
        .map(|m| m.columns.iter().filter(|(_, p)| !edited(p)).map(|(h, p)| (h.clone(), p.clone())).collect())
        .unwrap_or_default();
    let mut fixed: BTreeMap<String, serde_json::Value> = saved
        .map(|m| m.fixed.iter().filter(|(p, _)| !edited(p)).map(|(p, v)| (p.clone(), v.clone())).collect())
        .unwrap_or_default();
    let mut errors = Errors::new();
    let mut owner: BTreeMap<String, String> = BTreeMap::new();
    let collectivite = value(COLLECTIVITE);
    let known = |h: &str| headers.is_empty() || headers.iter().any(|x| same(x, h));
    if collectivite.is_empty() {
        errors.insert(
            COLLECTIVITE.into(),
            (COLLECTIVITE.into(), "Indiquez la colonne du SIREN de la collectivité".into()),
        );
    } else if !known(&collectivite) {
        errors.insert(
            COLLECTIVITE.into(),
            (COLLECTIVITE.into(), format!("La colonne « {collectivite} » est absente du fichier d'exemple")),
        );
    }
    for f in &fields {
        let id = field_id(&f.pointer);
        let fixed_id = format!("{id}-commune");
        let (header, common) = (value(&id), value(&fixed_id));
        let label = label_of(f);
        if !common.is_empty() {
            match fixed_value(t.schema(), &f.pointer, &common) {
                Ok(v) => {
                    fixed.insert(f.pointer.clone(), v);
                }
                Err(m) => {
                    errors.insert(id.clone(), (fixed_id.clone(), format!("{label} : valeur commune {m}")));
                    continue;
                }
            }
        }
        if header.is_empty() {
            if f.required && common.is_empty() {
                errors.insert(
                    id.clone(),
                    (id, format!("{label} : champ obligatoire, choisissez sa colonne ou une valeur commune")),
                );
            }
            continue;
        }
        let problem = if !known(&header) {
            Some(format!("{label} : la colonne « {header} » est absente du fichier d'exemple"))
        } else if let Some(first) = owner.get(&header.to_lowercase()) {
            Some(format!("{label} : la colonne « {header} » remplit déjà le champ « {first} »"))
        } else if same(&header, &collectivite) {
            Some(format!("{label} : la colonne « {header} » est celle du SIREN de la collectivité"))
        } else {
            None
        };
        if let Some(m) = problem {
            errors.insert(id.clone(), (id.clone(), m));
            continue;
        }
        owner.insert(header.to_lowercase(), label);
        columns.retain(|h, _| !same(h, &header));
        columns.insert(header, f.pointer.clone());
    }
    let mapping = Mapping {
        template: t.id.clone(),
        collectivite: collectivite.clone(),
        columns,
        fixed,
        changes: saved.map(|m| m.changes.clone()).unwrap_or_default(),
    };
    (mapping, errors)
}

/// `POST /campagnes/correspondances/{template}`: check and save the mapping
/// (a new version); the editor with the problems next to their fields
/// otherwise.
pub async fn save(
    State(web): State<Arc<Web>>,
    Extension(visit): Extension<Visit>,
    Path(id): Path<String>,
    Posted(pairs): Posted<Vec<(String, String)>>,
) -> Response {
    let Some(t) = template_of(&web, &id) else { return not_found(&visit) };
    let saved = match Mapping::load(web.acta.store(), &t.id).await {
        Ok(m) => m,
        Err(e) => return internal_error(&visit, &e),
    };
    let headers = form_headers(&pairs);
    let value = |name: &str| form_value(&pairs, name);
    let example = pairs.iter().find(|(k, _)| k == "exemple").map(|(_, v)| v.clone());
    let collectivite = value(COLLECTIVITE);
    let (mapping, mut errors) = read_form(t, saved.as_ref(), &pairs);
    if errors.is_empty() {
        let table_headers = mapping.columns.keys().chain([&mapping.collectivite]).cloned().collect();
        match mapping.bind(t, &crate::campaign::source::Table { headers: table_headers, rows: Vec::new() }) {
            Ok(_) => match mapping.save(web.acta.store()).await {
                Ok(version) => {
                    web.record(
                        &visit,
                        None,
                        "campaign.mapping",
                        Some(format!("{} (version {version})", t.id)),
                    )
                    .await;
                    return see_other(&format!("{PATH}/{}?enregistree=1", t.id));
                }
                Err(e) => return internal_error(&visit, &e),
            },
            Err(CampaignError::Mapping(m)) => {
                errors.insert(COLLECTIVITE.into(), (COLLECTIVITE.into(), super::setup::capitalise(&m)));
            }
            Err(e) => return internal_error(&visit, &e),
        }
    }
    // The editor again, with what was posted and the problems.
    let mut page = edit_page(&visit, t, Some(&mapping), headers);
    page.saved = saved.is_some();
    page.example = example;
    page.collectivite.value = collectivite;
    let mut rows: Vec<&mut FieldRow> = vec![&mut page.collectivite];
    rows.extend(page.groups.iter_mut().flat_map(|g| g.fields.iter_mut()));
    for f in rows {
        if f.has_fixed {
            f.value = value(&f.id);
            f.fixed = value(&f.fixed_id());
        }
        if let Some((input, message)) = errors.get(&f.id) {
            f.error = Some(message.clone());
            f.error_at = input.clone();
            page.problems.push(Problem { anchor: input.clone(), message: message.clone() });
        }
    }
    page.layout.has_errors = true;
    render(StatusCode::UNPROCESSABLE_ENTITY, &page)
}
