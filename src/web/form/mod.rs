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
    /// The schema's `type` allows `null` (`["integer", "null"]`): a required
    /// member left empty is sent as `null` (e.g. the last échelon's duration).
    pub nullable: bool,
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
        /// The schema forbids line breaks (`pattern: ^[^\n]*$`): a text area
        /// wraps by itself, so the Enter key or a paste from a word processor
        /// must not make the person's paragraph an error.
        one_paragraph: bool,
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

/// The templates' pattern for text without line breaks.
const ONE_PARAGRAPH: &str = "^[^\\n]*$";

/// Longest text shown in a single-line input; longer ones get a text area.
const LINE_CHARS: u64 = 200;

impl Node {
    /// The form of `schema` (a template's whole schema: `$ref`s point into
    /// it), members in name order.
    pub fn of_schema(schema: &Value) -> Self {
        Self::build(schema, "", 0, &|_| None)
    }

    /// The form of a template, members in the order its schema lists them.
    pub fn of_template(t: &crate::catalog::Template) -> Self {
        Self::build(t.schema(), "", 0, &|p| t.property_order(p).map(<[String]>::to_vec))
    }

    /// The node of the schema object at `ptr`; `order` gives the written
    /// order of the `properties` of the schema object at a pointer.
    fn build(root: &Value, ptr: &str, depth: usize, order: &dyn Fn(&str) -> Option<Vec<String>>) -> Self {
        let (merged, (props_at, items_at)) = resolve(root, ptr, depth);
        let s = |k: &str| merged.get(k).and_then(Value::as_str).map(str::to_owned);
        let (title, description) = (s("title"), s("description"));
        let kind = if depth > 16 {
            Kind::Text { max_length: None, long: false, one_paragraph: false }
        } else if let Some(Value::Array(options)) = merged.get("enum") {
            Kind::Choice(options.clone())
        } else if let Some(c) = merged.get("const") {
            Kind::Fixed(c.clone())
        } else {
            // `"type": ["integer", "null"]`: the input is the non-null type's.
            let declared = match merged.get("type") {
                Some(Value::Array(types)) => types.iter().filter_map(Value::as_str).find(|t| *t != "null"),
                other => other.and_then(Value::as_str),
            };
            let ty = declared.unwrap_or(if merged.get("properties").is_some() {
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
                    let members = merged.get("properties").and_then(Value::as_object);
                    let mut keys: Vec<String> =
                        members.map(|m| m.keys().cloned().collect()).unwrap_or_default();
                    if let Some(written) = props_at.as_deref().and_then(order) {
                        keys.sort_by_key(|k| written.iter().position(|w| w == k).unwrap_or(usize::MAX));
                    }
                    let base = props_at.unwrap_or_default();
                    let props = keys
                        .into_iter()
                        .filter(|k| members.and_then(|m| m.get(k)).is_some_and(Value::is_object))
                        .map(|k| Prop {
                            node: Self::build(
                                root,
                                &format!("{base}/properties/{}", read::escape(&k)),
                                depth + 1,
                                order,
                            ),
                            required: required.contains(&k.as_str()),
                            key: k,
                        })
                        .collect();
                    Kind::Object(props)
                }
                "array" => Kind::Array {
                    item: Box::new(Self::build(
                        root,
                        &format!("{}/items", items_at.unwrap_or_default()),
                        depth + 1,
                        order,
                    )),
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
                    let one_paragraph = merged.get("pattern").and_then(Value::as_str) == Some(ONE_PARAGRAPH);
                    Kind::Text { max_length, long: max_length.is_some_and(|m| m > LINE_CHARS), one_paragraph }
                }
            }
        };
        let nullable =
            matches!(merged.get("type"), Some(Value::Array(types)) if types.iter().any(|t| t == "null"));
        Self { kind, title, description, nullable }
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

/// Where a merged schema's `properties` and `items` come from.
type Origins = (Option<String>, Option<String>);

/// The schema object at `ptr` with its `$ref` (a pointer into `root`)
/// followed: the referenced schema's members, overridden by its own (a
/// `description` beside a `$ref` wins); and the pointers of the objects
/// whose `properties` and `items` were kept.
fn resolve(root: &Value, ptr: &str, depth: usize) -> (Map<String, Value>, Origins) {
    let Some(own) = root.pointer(ptr).and_then(Value::as_object) else { return (Map::new(), (None, None)) };
    let (mut merged, (mut props_at, mut items_at)) =
        match own.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix('#')) {
            Some(target) if depth < 32 => resolve(root, target, depth + 1),
            _ => (Map::new(), (None, None)),
        };
    for (k, v) in own {
        if k != "$ref" {
            merged.insert(k.clone(), v.clone());
        }
    }
    if own.contains_key("properties") {
        props_at = Some(ptr.to_owned());
    }
    if own.contains_key("items") {
        items_at = Some(ptr.to_owned());
    }
    (merged, (props_at, items_at))
}

/// Prefill `value` (the data of a new act) with what the collectivité's
/// profile already says: the président de séance is its autorité.
pub fn prefill(root: &Node, value: &mut Value, profile: &crate::collectivite::Profile) {
    if let Some(Kind::Object(props)) = root.at("/president").map(|n| &n.kind) {
        let a = &profile.autorite;
        let facts =
            [("civilite", &a.civilite), ("prenom", &a.prenom), ("nom", &a.nom), ("qualite", &a.qualite)];
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

/// What the next act of a career takes from the agent's last one: who the
/// agent is and what their situation is; the rest (dates, the decision
/// itself) is this act's own.
const CAREER_MEMBERS: [&str; 7] =
    ["agent", "grade", "statut_particulier", "visas", "suivi_par", "imputation", "signataire"];

/// The data a new act starts from, given the agent's last sealed act
/// (`data`, numbered `number`, sealed on `day`, `AAAA-MM-JJ`): the career
/// members the new form has, that act as the « arrêté précédent », and its
/// new échelon as the old one.
pub fn carry(root: &Node, data: &Value, number: &str, day: &str) -> Value {
    let mut out = Map::new();
    for key in CAREER_MEMBERS {
        if let (Some(_), Some(v)) = (root.at(&format!("/{key}")), data.get(key)) {
            out.insert(key.to_owned(), v.clone());
        }
    }
    if root.at("/arrete_precedent/reference").is_some() && root.at("/arrete_precedent/date").is_some() {
        out.insert(
            "arrete_precedent".into(),
            serde_json::json!({"reference": format!("n° {number}"), "date": day}),
        );
    }
    if let (Some(_), Some(n)) = (root.at("/echelon/ancien"), data.pointer("/echelon/nouveau")) {
        out.insert("echelon".into(), serde_json::json!({ "ancien": n }));
    }
    Value::Object(out)
}
