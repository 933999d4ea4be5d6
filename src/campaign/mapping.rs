//! The column mapping: how a spreadsheet's columns fill a template's data.
//!
//! ```json
//! { "template": "arrete-avancement-echelon",
//!   "collectivite": "SIREN employeur",
//!   "columns": { "Nom": "/agent/nom", "Échelon actuel": "/echelon/ancien", … },
//!   "fixed": { "/statut_particulier": "le décret n° 2006-1691 …" },
//!   "changes": { "grade_nouveau": "/grade" } }
//! ```
//! `columns` maps a header (compared without regard to case or surrounding
//! spaces) to a JSON pointer into the act's data; `collectivite` names the
//! column holding the SIREN of the collectivité issuing each act; `fixed`
//! gives values every row shares; `changes` may point the change table at
//! other fields ([`super::changes`]). A cell is converted by the type the
//! template's schema expects at its pointer: whole and decimal numbers as
//! French spreadsheets write them (`1 234,56`), days as `15/03/2026`,
//! yes/no, lists separated by `|`; an empty cell leaves the field out.
//!
//! Saved mappings are versioned in the store, one create-only object per
//! change (`mappings/<template>/<version>.json`), the latest applies.

use std::collections::BTreeMap;

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::source::Table;
use super::{CampaignError, french};
use crate::catalog::Template;
use crate::domain::TemplateId;
use crate::store::{Store, StoreError};

/// How a spreadsheet's columns fill a template's data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    /// The template of every act.
    #[schema(value_type = String)]
    pub template: TemplateId,
    /// Header of the column holding the collectivité's SIREN.
    pub collectivite: String,
    /// Column header → JSON pointer into the act's data.
    pub columns: BTreeMap<String, String>,
    /// JSON pointer → value shared by every row.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub fixed: BTreeMap<String, Value>,
    /// Change-table column → JSON pointer, where the defaults do not fit.
    #[serde(default)]
    pub changes: BTreeMap<String, String>,
}

/// A cell that cannot be converted, or a column problem of one row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellProblem {
    /// The column header.
    pub column: String,
    /// The field, as a JSON pointer of the request body (`/data/agent/nom`).
    pub field: String,
    /// What is wrong, in French.
    pub message: String,
}

/// A mapping applied to one table.
#[derive(Debug)]
pub struct Bound<'a> {
    mapping: &'a Mapping,
    /// The collectivité column's index.
    collectivite: usize,
    /// Per mapped column: its index, header, pointer and expected kind.
    columns: Vec<(usize, &'a str, &'a str, Kind)>,
}

/// What the schema expects at a pointer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Integer,
    Number,
    Boolean,
    Date,
    List,
}

impl Mapping {
    /// Check the mapping against `template` and bind it to `table`'s headers.
    pub fn bind<'a>(&'a self, template: &Template, table: &Table) -> Result<Bound<'a>, CampaignError> {
        if self.template != template.id {
            return Err(CampaignError::Mapping(format!(
                "la correspondance de colonnes est celle du modèle « {} », pas de « {} »",
                self.template, template.id
            )));
        }
        self.check_pointers(template)?;
        let find = |header: &str| {
            let wanted = header.trim().to_lowercase();
            table.headers.iter().position(|h| h.trim().to_lowercase() == wanted).ok_or_else(|| {
                CampaignError::Mapping(format!("la colonne « {header} » est absente de l’en-tête du fichier"))
            })
        };
        let collectivite = find(&self.collectivite)?;
        let mut columns = Vec::new();
        for (header, pointer) in &self.columns {
            let kind = kind_at(template.schema(), pointer);
            columns.push((find(header)?, header.as_str(), pointer.as_str(), kind));
        }
        Ok(Bound { mapping: self, collectivite, columns })
    }

    /// Every pointer must name a field of the template's data.
    fn check_pointers(&self, template: &Template) -> Result<(), CampaignError> {
        for pointer in self.columns.values().chain(self.fixed.keys()) {
            if !pointer.starts_with('/') || subschema(template.schema(), pointer).is_none() {
                return Err(CampaignError::Mapping(format!(
                    "« {pointer} » ne désigne aucun champ du modèle « {} »",
                    template.id
                )));
            }
        }
        Ok(())
    }

    /// Read a mapping file (JSON).
    pub fn parse(bytes: &[u8]) -> Result<Self, CampaignError> {
        serde_json::from_slice(bytes)
            .map_err(|e| CampaignError::Mapping(format!("correspondance de colonnes illisible : {e}")))
    }

    /// Save as the template's current mapping (a new version).
    pub async fn save(&self, store: &Store) -> Result<u64, CampaignError> {
        let prefix = format!("mappings/{}/", self.template);
        let last = versions(store, &prefix).await?.into_iter().max().unwrap_or(0);
        let body = Bytes::from(serde_json::to_vec_pretty(self).expect("mappings serialise"));
        let mut version = last + 1;
        loop {
            match store.create(&format!("{prefix}{version:010}.json"), body.clone()).await {
                Ok(()) => return Ok(version),
                Err(StoreError::AlreadyExists(_)) => version += 1,
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// The template's current mapping, if one was saved.
    pub async fn load(store: &Store, template: &TemplateId) -> Result<Option<Self>, CampaignError> {
        let prefix = format!("mappings/{template}/");
        let Some(last) = versions(store, &prefix).await?.into_iter().max() else { return Ok(None) };
        let key = format!("{prefix}{last:010}.json");
        let bytes =
            store.get(&key).await?.ok_or_else(|| CampaignError::Corrupt(format!("{key} vanished")))?;
        serde_json::from_slice(&bytes).map(Some).map_err(|e| CampaignError::Corrupt(format!("{key}: {e}")))
    }
}

async fn versions(store: &Store, prefix: &str) -> Result<Vec<u64>, CampaignError> {
    Ok(store
        .list(prefix)
        .await?
        .iter()
        .filter_map(|k| k.rsplit('/').next()?.strip_suffix(".json")?.parse().ok())
        .collect())
}

impl Bound<'_> {
    /// The request body of one row, and the cells that could not be read.
    pub fn body(&self, cells: &[String]) -> (Value, Vec<CellProblem>) {
        let mut data = Value::Object(Map::new());
        let mut problems = Vec::new();
        for (pointer, value) in &self.mapping.fixed {
            set(&mut data, pointer, value.clone());
        }
        for &(index, header, pointer, kind) in &self.columns {
            let cell = cells.get(index).map_or("", |c| c.trim());
            if cell.is_empty() {
                continue;
            }
            match convert(cell, kind) {
                Ok(v) => set(&mut data, pointer, v),
                Err(message) => problems.push(CellProblem {
                    column: header.to_owned(),
                    field: format!("/data{pointer}"),
                    message,
                }),
            }
        }
        let siren = cells.get(self.collectivite).map_or("", |c| c.trim());
        // Spaces are common in SIRENs typed by hand (`216 295 105`).
        let siren: String = siren.chars().filter(|c| !c.is_whitespace()).collect();
        let body = json!({ "template": self.mapping.template.as_str(), "collectivite": siren, "data": data });
        (body, problems)
    }

    /// The column a field of the request body comes from, if any.
    pub fn column_of(&self, field: &str) -> Option<&str> {
        if field == "/collectivite" {
            return Some(&self.mapping.collectivite);
        }
        let pointer = field.strip_prefix("/data")?;
        // The column of the field itself, else of a field inside it (a
        // required object left out because all its cells are empty), else of
        // the object holding it.
        let exact = self.columns.iter().find(|c| c.2 == pointer);
        let inner = || self.columns.iter().find(|c| c.2.starts_with(&format!("{pointer}/")));
        let outer = || self.columns.iter().rfind(|c| pointer.starts_with(&format!("{}/", c.2)));
        exact.or_else(inner).or_else(outer).map(|c| c.1)
    }
}

fn convert(cell: &str, kind: Kind) -> Result<Value, String> {
    match kind {
        Kind::Text => Ok(Value::String(cell.to_owned())),
        Kind::Integer => french::integer(cell)
            .map(Value::from)
            .ok_or_else(|| format!("« {cell} » n’est pas un nombre entier")),
        Kind::Number => french::decimal(cell)
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number)
            .ok_or_else(|| format!("« {cell} » n’est pas un nombre (attendu p. ex. 1 234,56)")),
        Kind::Boolean => {
            french::boolean(cell).map(Value::Bool).ok_or_else(|| format!("« {cell} » : attendu oui ou non"))
        }
        Kind::Date => french::date(cell)
            .map(Value::String)
            .ok_or_else(|| format!("« {cell} » n’est pas une date valide (attendu JJ/MM/AAAA)")),
        Kind::List => Ok(Value::Array(
            cell.split('|')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| Value::String(s.into()))
                .collect(),
        )),
    }
}

/// Set `pointer` in `root`, creating the objects on the way.
fn set(root: &mut Value, pointer: &str, value: Value) {
    let mut at = root;
    let parts: Vec<String> =
        pointer.split('/').skip(1).map(|p| p.replace("~1", "/").replace("~0", "~")).collect();
    for (i, part) in parts.iter().enumerate() {
        if !at.is_object() {
            *at = Value::Object(Map::new());
        }
        let obj = at.as_object_mut().expect("made an object");
        if i + 1 == parts.len() {
            obj.insert(part.clone(), value);
            return;
        }
        at = obj.entry(part.clone()).or_insert_with(|| Value::Object(Map::new()));
    }
}

/// A field of a template's data a column can fill (a leaf of its schema).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaField {
    /// Its JSON pointer into the data (`/agent/nom`).
    pub pointer: String,
    /// Its title in the schema, if it has one.
    pub title: Option<String>,
    /// Its description in the schema, if it has one.
    pub description: Option<String>,
    /// Whether every act must have it (required here and in every object
    /// holding it).
    pub required: bool,
    /// How a cell is read for it, in French (« date JJ/MM/AAAA »…).
    pub kind: &'static str,
}

/// A value every row shares, typed as a cell is (`1 234`, `15/03/2026`,
/// `oui`, `a | b`), as the schema's type at `pointer` wants it.
pub fn fixed_value(schema: &Value, pointer: &str, text: &str) -> Result<Value, String> {
    convert(text.trim(), kind_at(schema, pointer))
}

/// A shared value written back as a cell would be (for an editor): what
/// [`fixed_value`] reads back to the same value.
pub fn fixed_text(schema: &Value, pointer: &str, value: &Value) -> String {
    match value {
        Value::String(s) if kind_at(schema, pointer) == Kind::Date => {
            match s.split('-').collect::<Vec<_>>().as_slice() {
                [y, m, d] => format!("{d}/{m}/{y}"),
                _ => s.clone(),
            }
        }
        Value::String(s) => s.clone(),
        Value::Bool(b) => if *b { "oui" } else { "non" }.to_owned(),
        Value::Array(items) => items
            .iter()
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
            .collect::<Vec<_>>()
            .join(" | "),
        Value::Null => String::new(),
        // Numbers as French spreadsheets write them (`1234,5`).
        Value::Number(n) => n.to_string().replace('.', ","),
        other => other.to_string(),
    }
}

/// Every field of `schema` a column can fill, in the schema's order: the
/// values that are not objects (lists included).
pub fn schema_fields(schema: &Value) -> Vec<SchemaField> {
    fn walk(root: &Value, at: &Value, prefix: &str, required: bool, out: &mut Vec<SchemaField>) {
        let Some(props) = at.get("properties").and_then(Value::as_object) else { return };
        let needed: Vec<&str> = at
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        for (name, raw) in props {
            let Some(sub) = resolve(root, raw) else { continue };
            let pointer = format!("{prefix}/{}", name.replace('~', "~0").replace('/', "~1"));
            let req = required && needed.contains(&name.as_str());
            if sub.get("properties").is_some() {
                walk(root, sub, &pointer, req, out);
                continue;
            }
            let text = |k: &str| raw.get(k).or_else(|| sub.get(k)).and_then(Value::as_str).map(str::to_owned);
            let kind = match kind_at(root, &pointer) {
                Kind::Text => "texte",
                Kind::Integer => "nombre entier",
                Kind::Number => "nombre (1 234,56)",
                Kind::Boolean => "oui ou non",
                Kind::Date => "date JJ/MM/AAAA",
                Kind::List => "liste, éléments séparés par |",
            };
            out.push(SchemaField {
                pointer,
                title: text("title"),
                description: text("description"),
                required: req,
                kind,
            });
        }
    }
    let mut out = Vec::new();
    if let Some(top) = resolve(schema, schema) {
        walk(schema, top, "", true, &mut out);
    }
    out
}

/// The subschema at a data pointer, following `properties` and local `$ref`s.
fn subschema<'s>(schema: &'s Value, pointer: &str) -> Option<&'s Value> {
    let mut at = resolve(schema, schema)?;
    for part in pointer.split('/').skip(1) {
        at = resolve(schema, at.get("properties")?.get(part)?)?;
    }
    Some(at)
}

fn resolve<'s>(root: &'s Value, mut s: &'s Value) -> Option<&'s Value> {
    for _ in 0..8 {
        match s.get("$ref").and_then(Value::as_str) {
            Some(r) => s = root.pointer(r.strip_prefix('#')?)?,
            None => return Some(s),
        }
    }
    None
}

fn kind_at(schema: &Value, pointer: &str) -> Kind {
    let Some(s) = subschema(schema, pointer) else { return Kind::Text };
    if s.get("format").and_then(Value::as_str) == Some("date") {
        return Kind::Date;
    }
    // `["integer", "null"]`: a value that may be left out is still typed.
    let ty = match s.get("type") {
        Some(Value::Array(types)) => types.iter().filter_map(Value::as_str).find(|t| *t != "null"),
        other => other.and_then(Value::as_str),
    };
    match ty {
        Some("integer") => Kind::Integer,
        Some("number") => Kind::Number,
        Some("boolean") => Kind::Boolean,
        Some("array") => Kind::List,
        _ => Kind::Text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pointer_creates_the_objects_on_its_way() {
        let mut v = json!({});
        set(&mut v, "/agent/nom", json!("Durand"));
        set(&mut v, "/agent/prenom", json!("Anne"));
        set(&mut v, "/date_effet", json!("2026-04-01"));
        assert_eq!(v, json!({"agent": {"nom": "Durand", "prenom": "Anne"}, "date_effet": "2026-04-01"}));
    }

    #[test]
    fn the_fields_a_column_can_fill_are_the_leaves_of_the_schema() {
        let schema = json!({"required": ["agent"], "properties": {
            "agent": {"type": "object", "required": ["nom"], "properties": {
                "nom": {"$ref": "#/$defs/t", "title": "Nom"}, "prenom": {"type": "string"}}},
            "date_effet": {"$ref": "#/$defs/date", "description": "Date d'effet"},
            "visas": {"type": "array", "items": {"type": "string"}}},
            "$defs": {"t": {"type": "string"}, "date": {"type": "string", "format": "date"}}});
        let fields = schema_fields(&schema);
        let pointers: Vec<&str> = fields.iter().map(|f| f.pointer.as_str()).collect();
        assert_eq!(pointers, ["/agent/nom", "/agent/prenom", "/date_effet", "/visas"]);
        assert!(fields[0].required && !fields[1].required && !fields[2].required);
        assert_eq!(fields[0].title.as_deref(), Some("Nom"));
        assert_eq!(fields[2].kind, "date JJ/MM/AAAA");
        assert_eq!(fields[3].kind, "liste, éléments séparés par |");
    }

    #[test]
    fn the_expected_type_is_read_through_refs() {
        let schema = json!({"properties": {"e": {"type": "object", "properties": {"n": {"type": "integer"}}},
            "d": {"$ref": "#/$defs/date"}}, "$defs": {"date": {"type": "string", "format": "date"}}});
        assert_eq!(kind_at(&schema, "/e/n"), Kind::Integer);
        assert_eq!(kind_at(&schema, "/d"), Kind::Date);
        assert_eq!(
            kind_at(&json!({"properties": {"m": {"type": ["integer", "null"]}}}), "/m"),
            Kind::Integer
        );
        assert!(subschema(&schema, "/nope").is_none());
    }
}
