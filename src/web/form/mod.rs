//! Forms generated from a template's JSON Schema, so that a new template
//! needs no page code: the schema's `title`s (else French labels of its
//! member names, [`labels`]) label the fields, its `description`s are hints.
//!
//! Terms: a [`Node`] is one part of the schema as a form sees it (an object
//! is a fieldset, an array a list of rows with « Ajouter une ligne » and
//! « Supprimer » buttons, an `enum` a select or radios, a `format: date` a
//! date input, a number an input with its bounds, a boolean a checkbox).
//! Every input is named by its JSON pointer in the act's data (`/agent/nom`),
//! so the errors of the validation, which are JSON pointers too, land beside
//! their field. The person's input travels as a JSON value (what [`read`]
//! makes of the posted form, what [`html::render`] shows): a draft to edit,
//! a previous act to start from and a refused input are all shown alike.

pub mod html;
pub mod labels;
mod read;

use serde_json::{Map, Value};

pub use read::{Action, apply, read, read_action};

/// One part of a schema, as a form shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// What kind of input.
    pub kind: Kind,
    /// The schema's `title`.
    pub title: Option<String>,
    /// The schema's `description`: the hint.
    pub description: Option<String>,
}

/// The kinds of input.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// A group of members: a fieldset.
    Object(Vec<Prop>),
    /// A list of rows.
    Array {
        /// Each row.
        item: Box<Node>,
        /// `maxItems`.
        max: Option<usize>,
    },
    /// Text; `long` for a paragraph (a text area).
    Text {
        /// `maxLength`.
        max_length: Option<u64>,
        /// Whether the text is long enough to deserve a text area.
        long: bool,
    },
    /// A day (`format: date`).
    Date,
    /// A number; `integer` for whole numbers.
    Number {
        /// Whole numbers only.
        integer: bool,
        /// `minimum`.
        min: Option<f64>,
        /// `maximum`.
        max: Option<f64>,
    },
    /// One of `enum`'s values.
    Choice(Vec<Value>),
    /// A yes/no.
    Bool,
    /// A `const`: nothing to type.
    Fixed(Value),
}

/// A member of an object.
#[derive(Debug, Clone, PartialEq)]
pub struct Prop {
    /// Its name in the data.
    pub key: String,
    /// What it holds.
    pub node: Node,
    /// Whether the schema requires it (within its object).
    pub required: bool,
}

/// Longest text shown in a single-line input; longer ones get a text area.
const LINE_CHARS: u64 = 200;

impl Node {
    /// The form of `schema` (a template's whole schema: `$ref`s point into it).
    pub fn of_schema(schema: &Value) -> Self {
        Self::build(schema, schema, 0)
    }

    fn build(root: &Value, at: &Value, depth: usize) -> Self {
        let merged = resolve(root, at, depth);
        let s = |k: &str| merged.get(k).and_then(Value::as_str).map(str::to_owned);
        let (title, description) = (s("title"), s("description"));
        let kind = if depth > 16 {
            Kind::Text { max_length: None, long: false }
        } else if let Some(Value::Array(options)) = merged.get("enum") {
            Kind::Choice(options.clone())
        } else if let Some(c) = merged.get("const") {
            Kind::Fixed(c.clone())
        } else {
            let ty = merged.get("type").and_then(Value::as_str).unwrap_or(if merged.get("properties").is_some() {
                "object"
            } else if merged.get("items").is_some() {
                "array"
            } else {
                "string"
            });
            match ty {
                "object" => {
                    let required: Vec<&str> = merged
                        .get("required")
                        .and_then(Value::as_array)
                        .map(|r| r.iter().filter_map(Value::as_str).collect())
                        .unwrap_or_default();
                    let props = merged
                        .get("properties")
                        .and_then(Value::as_object)
                        .map(|p| {
                            p.iter()
                                .filter(|(_, v)| v.is_object())
                                .map(|(k, v)| Prop {
                                    key: k.clone(),
                                    node: Self::build(root, v, depth + 1),
                                    required: required.contains(&k.as_str()),
                                })
                                .collect()
                        })
                        .unwrap_or_default();
                    Kind::Object(props)
                }
                "array" => Kind::Array {
                    item: Box::new(Self::build(root, merged.get("items").unwrap_or(&Value::Null), depth + 1)),
                    max: merged.get("maxItems").and_then(Value::as_u64).map(|n| n as usize),
                },
                "integer" | "number" => Kind::Number {
                    integer: ty == "integer",
                    min: merged.get("minimum").and_then(Value::as_f64),
                    max: merged.get("maximum").and_then(Value::as_f64),
                },
                "boolean" => Kind::Bool,
                _ if merged.get("format").and_then(Value::as_str) == Some("date") => Kind::Date,
                _ => {
                    let max_length = merged.get("maxLength").and_then(Value::as_u64);
                    Kind::Text { max_length, long: max_length.is_some_and(|m| m > LINE_CHARS) }
                }
            }
        };
        Self { kind, title, description }
    }

    /// The node at `pointer` (array rows by any index), if any.
    pub fn at(&self, pointer: &str) -> Option<&Node> {
        let mut node = self;
        for part in pointer.split('/').skip(1) {
            node = match &node.kind {
                Kind::Object(props) => &props.iter().find(|p| p.key == part)?.node,
                Kind::Array { item, .. } if part.parse::<usize>().is_ok() => item,
                _ => return None,
            };
        }
        Some(node)
    }
}

/// `at` with its `$ref` (a pointer into `root`) followed: the referenced
/// schema's members, overridden by `at`'s own (a `description` beside a
/// `$ref` wins).
fn resolve(root: &Value, at: &Value, depth: usize) -> Map<String, Value> {
    let Some(own) = at.as_object() else { return Map::new() };
    let mut merged = match own.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix('#')) {
        Some(pointer) if depth < 32 => root.pointer(pointer).map(|t| resolve(root, t, depth + 1)).unwrap_or_default(),
        _ => Map::new(),
    };
    for (k, v) in own {
        if k != "$ref" {
            merged.insert(k.clone(), v.clone());
        }
    }
    merged
}

/// Prefill `value` (the data of a new act) with what the collectivité's
/// profile already says: the président de séance is its autorité.
pub fn prefill(root: &Node, value: &mut Value, profile: &crate::collectivite::Profile) {
    if let Some(Kind::Object(props)) = root.at("/president").map(|n| &n.kind) {
        let a = &profile.autorite;
        let facts = [("civilite", &a.civilite), ("prenom", &a.prenom), ("nom", &a.nom), ("qualite", &a.qualite)];
        let mut president = Map::new();
        for (k, v) in facts {
            if props.iter().any(|p| p.key == k) {
                president.insert(k.to_owned(), Value::String(v.clone()));
            }
        }
        if let Some(obj) = value.as_object_mut() {
            obj.entry("president").or_insert(Value::Object(president));
        }
    }
}

#[cfg(test)]
mod tests;
