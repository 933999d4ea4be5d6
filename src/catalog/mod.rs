//! The catalogue of act templates.
//!
//! A *template* is one model of act (`arrete-avancement-echelon`): a Typst source
//! `templates/<id>.typ`, a JSON Schema `schemas/<id>.schema.json` describing the
//! `data` a request must carry, and metadata kept in the schema under `x-acta`
//! (register series, @ctes nature and matière, title). The catalogue compiles
//! every schema once at start-up and validates request data against it before
//! anything is rendered or stored.

mod order;
mod validate;

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

pub use validate::FieldError;

use crate::assets::FileTree;
use crate::domain::{Series, TemplateId};

/// Metadata of a template, read from the `x-acta` member of its schema.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Meta {
    serie: Series,
    nature: u8,
    matiere: String,
    titre: String,
    #[serde(default)]
    sujet: Vec<String>,
    #[serde(default)]
    secret_medical: bool,
    #[serde(default)]
    matieres: Option<MatiereRule>,
}

/// `x-acta.matieres`: the @ctes matière that depends on the act's content
/// (`{"pointeur": "/delegataire/statut", "valeurs": {"adjoint au maire":
/// "5.4"}}`): when the data at `pointeur` is one of `valeurs`, its matière
/// replaces the template's `matiere`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct MatiereRule {
    pointeur: String,
    valeurs: BTreeMap<String, String>,
}

/// One template of the catalogue.
#[derive(Debug)]
pub struct Template {
    /// Its id.
    pub id: TemplateId,
    /// One line for people choosing a model (the schema's `description`).
    pub description: String,
    /// Kind of act, as a title: "Arrêté portant avancement d'échelon".
    pub title: String,
    /// Register series its acts are numbered in.
    pub series: Series,
    /// @ctes nature code (1 délibération … 6 autres).
    pub nature: u8,
    /// @ctes matière code ("4.1").
    pub matiere: String,
    /// The act's content is covered by medical secrecy (conseil médical):
    /// it is never full-text indexed (`x-acta.secret_medical: true`).
    pub secret_medical: bool,
    /// The matière chosen by the act's content, if the template has such a rule.
    matieres: Option<MatiereRule>,
    /// JSON pointers into the data whose values name the act's subject
    /// ("Mme Camille DURAND"), appended to the title.
    subject: Vec<String>,
    schema: Value,
    /// The order of each `properties`, by the pointer of its object.
    property_order: std::collections::HashMap<String, Vec<String>>,
    validator: jsonschema::Validator,
}

/// A problem with the catalogue itself (a developer's error, found at start-up).
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// A schema file is not JSON.
    #[error("{path}: not valid JSON")]
    Json {
        /// Schema path.
        path: String,
        /// Cause.
        source: serde_json::Error,
    },
    /// A schema is not a valid JSON Schema.
    #[error("{path}: invalid JSON Schema: {message}")]
    Schema {
        /// Schema path.
        path: String,
        /// What the compiler said.
        message: String,
    },
    /// The `x-acta` metadata is missing or wrong.
    #[error("{path}: invalid x-acta metadata: {message}")]
    Meta {
        /// Schema path.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// A schema has no Typst template beside it.
    #[error("template {0}.typ is missing for schema {0}.schema.json")]
    MissingTemplate(String),
}

/// Every template, by id.
#[derive(Debug)]
pub struct Catalog(BTreeMap<TemplateId, Template>);

const SCHEMA_SUFFIX: &str = ".schema.json";

impl Catalog {
    /// Compile every `<id>.schema.json` of `schemas`, checking that `templates`
    /// holds the matching `<id>.typ`.
    pub fn load(schemas: &FileTree, templates: &FileTree) -> Result<Self, CatalogError> {
        let mut map = BTreeMap::new();
        for (path, bytes) in schemas.iter() {
            let Some(name) = path.strip_prefix('/').and_then(|p| p.strip_suffix(SCHEMA_SUFFIX)) else {
                continue;
            };
            let meta_err = |message: String| CatalogError::Meta { path: path.into(), message };
            let id: TemplateId = name.parse().map_err(|e| meta_err(format!("{e}")))?;
            if templates.get(&format!("/{id}.typ")).is_none() {
                return Err(CatalogError::MissingTemplate(id.to_string()));
            }
            let schema: Value = serde_json::from_slice(bytes)
                .map_err(|source| CatalogError::Json { path: path.into(), source })?;
            let meta: Meta = serde_json::from_value(schema.get("x-acta").cloned().unwrap_or_default())
                .map_err(|e| meta_err(e.to_string()))?;
            let description = schema
                .get("description")
                .and_then(Value::as_str)
                .ok_or_else(|| meta_err("missing description".into()))?
                .to_owned();
            let validator = validate::options()
                .build(&schema)
                .map_err(|e| CatalogError::Schema { path: path.into(), message: e.to_string() })?;
            let template = Template {
                id: id.clone(),
                description,
                title: meta.titre,
                series: meta.serie,
                nature: meta.nature,
                matiere: meta.matiere,
                subject: meta.sujet,
                secret_medical: meta.secret_medical,
                matieres: meta.matieres,
                schema,
                property_order: order::property_orders(bytes),
                validator,
            };
            map.insert(id, template);
        }
        Ok(Self(map))
    }

    /// The template `id`, if it exists.
    pub fn get(&self, id: &TemplateId) -> Option<&Template> {
        self.0.get(id)
    }

    /// Every template, ordered by id.
    pub fn iter(&self) -> impl Iterator<Item = &Template> {
        self.0.values()
    }
}

impl Template {
    /// Check `data` against the schema and the text rules every field obeys.
    /// Returns every problem at once, each located by a JSON pointer that starts
    /// at `prefix` (the position of `data` in the request body, e.g. `/data`).
    pub fn validate(&self, data: &Value, prefix: &str) -> Result<(), Vec<FieldError>> {
        validate::validate(&self.validator, &self.schema, data, prefix)
    }

    /// The @ctes matière of an act of this template: the data's own
    /// `matiere` (a délibération names it), else the one `x-acta.matieres`
    /// picks from the content (a délégation de fonctions to an adjoint is
    /// 5.4), else the template's.
    pub fn matiere_of(&self, data: &Value) -> String {
        if let Some(m) = data.get("matiere").and_then(Value::as_str) {
            return m.to_owned();
        }
        self.matieres
            .as_ref()
            .and_then(|r| r.valeurs.get(data.pointer(&r.pointeur)?.as_str()?))
            .unwrap_or(&self.matiere)
            .clone()
    }

    /// The JSON Schema of the act's data (the pages generate forms from it;
    /// a campaign's column mapping reads each field's expected type in it).
    pub fn schema(&self) -> &Value {
        &self.schema
    }

    /// The names of the `properties` of the schema object at `pointer`, in
    /// the order the schema's author wrote them.
    pub fn property_order(&self, pointer: &str) -> Option<&[String]> {
        self.property_order.get(pointer).map(Vec::as_slice)
    }

    /// The act's title: the template title followed by its subject, e.g.
    /// "Arrêté portant avancement d'échelon — Mme Camille DURAND".
    pub fn act_title(&self, data: &Value) -> String {
        let subject: Vec<&str> =
            self.subject.iter().filter_map(|p| data.pointer(p).and_then(Value::as_str)).collect();
        if subject.is_empty() {
            self.title.clone()
        } else {
            format!("{} — {}", self.title, subject.join(" "))
        }
    }
}
