//! A posted form back into act data: each input is named by its JSON
//! pointer; `#<pointer>` holds the number of rows of a list.
//!
//! Empty inputs are absent members (so the schema says « obligatoire »);
//! a number that does not parse is kept as typed (so the schema says « doit
//! être un nombre entier » and the person sees what they typed); an optional
//! group left empty is absent. While the person edits (adding or removing a
//! row) empty rows are kept; when saving they are dropped.

use std::collections::HashMap;

use serde_json::{Map, Number, Value};

use super::{Kind, Node};

/// What the person asked for with the button they pressed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// « Enregistrer le projet » (also the Enter key).
    Save,
    /// « Ajouter une ligne » to the list at this pointer.
    Add(String),
    /// « Supprimer » the row at this pointer.
    Remove(String),
}

/// The `action` field of a posted form.
pub fn read_action(pairs: &[(String, String)]) -> Action {
    let value = pairs.iter().find(|(k, _)| k == "action").map_or("", |(_, v)| v.as_str());
    if let Some(p) = value.strip_prefix("ajouter:") {
        Action::Add(p.to_owned())
    } else if let Some(p) = value.strip_prefix("supprimer:") {
        Action::Remove(p.to_owned())
    } else {
        Action::Save
    }
}

/// The data a posted form holds, as `root` describes it; `compact` drops
/// empty rows (when saving).
pub fn read(root: &Node, pairs: &[(String, String)], compact: bool) -> Value {
    let map: HashMap<&str, &str> = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let reader = Reader { map, compact };
    reader.node(root, "", true).unwrap_or_else(|| Value::Object(Map::new()))
}

struct Reader<'a> {
    map: HashMap<&'a str, &'a str>,
    compact: bool,
}

impl Reader<'_> {
    /// The value at `ptr`, `None` when nothing was typed there (`null` for a
    /// required member that may be null).
    fn node(&self, node: &Node, ptr: &str, required: bool) -> Option<Value> {
        let value = self.value(node, ptr, required);
        if value.is_none() && required && node.nullable { Some(Value::Null) } else { value }
    }

    fn value(&self, node: &Node, ptr: &str, required: bool) -> Option<Value> {
        match &node.kind {
            Kind::Object(props) => {
                let mut obj = Map::new();
                for p in props {
                    if let Some(v) = self.node(&p.node, &format!("{ptr}/{}", escape(&p.key)), p.required) {
                        obj.insert(p.key.clone(), v);
                    }
                }
                // An optional group is there when something was typed in
                // it (or, while editing, a row added): members it would
                // only have by default (an empty list, an unchecked box) do
                // not make it there, or rules about it would fire.
                (required || self.typed_in(ptr)).then_some(Value::Object(obj))
            }
            Kind::Array { item, .. } => {
                let rows = self
                    .map
                    .get(format!("#{ptr}").as_str())
                    .and_then(|n| n.parse::<usize>().ok())
                    .unwrap_or(0);
                let mut items = Vec::new();
                for i in 0..rows.min(MAX_ROWS) {
                    match self.node(item, &format!("{ptr}/{i}"), false) {
                        Some(v) => items.push(v),
                        None if !self.compact => items.push(Value::Null),
                        None => {}
                    }
                }
                (required || !items.is_empty()).then_some(Value::Array(items))
            }
            Kind::Bool => match self.map.contains_key(ptr) {
                true => Some(Value::Bool(true)),
                false => required.then_some(Value::Bool(false)),
            },
            Kind::Fixed(v) => required.then(|| v.clone()),
            Kind::Choice(options) => {
                let typed = self.text(ptr)?;
                let chosen = options.iter().find(|o| shown(o) == typed).cloned();
                Some(chosen.unwrap_or_else(|| Value::String(typed.to_owned())))
            }
            Kind::Number { integer, .. } => {
                let typed = self.text(ptr)?;
                // « 1 200 », « 12,5 »: as people write numbers in French.
                let plain: String =
                    typed.chars().filter(|c| !c.is_whitespace()).collect::<String>().replace(',', ".");
                let number = if *integer {
                    plain.parse::<i64>().ok().map(Number::from)
                } else {
                    plain.parse::<f64>().ok().and_then(Number::from_f64)
                };
                Some(number.map_or_else(|| Value::String(typed.to_owned()), Value::Number))
            }
            Kind::Text { one_paragraph: true, .. } => {
                // Line breaks typed or pasted into one paragraph become spaces.
                self.text(ptr).map(|t| Value::String(t.split_whitespace().collect::<Vec<_>>().join(" ")))
            }
            Kind::Text { .. } | Kind::Date => self.text(ptr).map(|t| Value::String(t.to_owned())),
        }
    }

    /// Whether anything was typed (or chosen, or checked) under `ptr`; while
    /// editing, a row added to a list under it counts too.
    fn typed_in(&self, ptr: &str) -> bool {
        let inside = format!("{ptr}/");
        let rows = format!("#{ptr}/");
        self.map.iter().any(|(k, v)| {
            (k.starts_with(&inside) && !v.trim().is_empty())
                || (!self.compact && k.starts_with(&rows) && v.parse::<usize>().is_ok_and(|n| n > 0))
        })
    }

    /// What was typed at `ptr`, trimmed (line ends made `\n`); `None` if empty.
    fn text(&self, ptr: &str) -> Option<&str> {
        self.map.get(ptr).map(|v| v.trim()).filter(|v| !v.is_empty())
    }
}

/// Most rows a list may post (schemas cap theirs far lower).
const MAX_ROWS: usize = 500;

/// How a value is written in an input or an option.
pub fn shown(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// A member name as a JSON pointer segment (RFC 6901).
pub fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// `value` with a row added to the list at `ptr`, or the row at `ptr`
/// removed (the person pressed « Ajouter une ligne » or « Supprimer »).
pub fn apply(value: &mut Value, action: &Action) {
    match action {
        Action::Add(ptr) => {
            let mut at = &mut *value;
            for part in ptr.split('/').skip(1) {
                if let Value::Array(items) = at {
                    match part.parse::<usize>().ok().and_then(|i| items.get_mut(i)) {
                        Some(row) => at = row,
                        None => return,
                    }
                    continue;
                }
                if !at.is_object() {
                    *at = Value::Object(Map::new());
                }
                let key = part.replace("~1", "/").replace("~0", "~");
                at = at.as_object_mut().expect("made an object").entry(key).or_insert(Value::Null);
            }
            match at {
                Value::Array(items) if items.len() < MAX_ROWS => items.push(Value::Null),
                Value::Array(_) => {}
                other => *other = Value::Array(vec![Value::Null]),
            }
        }
        Action::Remove(ptr) => {
            let Some((list, index)) = ptr.rsplit_once('/') else { return };
            if let (Some(Value::Array(items)), Ok(i)) = (value.pointer_mut(list), index.parse::<usize>())
                && i < items.len()
            {
                items.remove(i);
            }
        }
        Action::Save => {}
    }
}
