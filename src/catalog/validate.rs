//! Validation of request data: the template's JSON Schema, then the text rules
//! that hold for every string (no blank values, no overlong words, and the
//! characters of [`crate::domain::text`]: no control, bidirectional,
//! zero-width or other invisible characters; line feeds only where the
//! schema allows them). Every problem is reported, in French, with the JSON
//! pointer of the faulty field, so a form can highlight all of them at once.

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::{JsonType, ValidationError, Validator};
use serde::Serialize;
use serde_json::Value;

/// One faulty field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    /// JSON pointer of the field in the request body (`/data/agent/nom`).
    pub path: String,
    /// What is wrong, in French, for the person who filled the form.
    pub message: String,
}

/// Schema member holding a custom French message for a failed `pattern`.
const CUSTOM_MESSAGE: &str = "x-message";
/// Longest word (run of non-blank characters) accepted in any field: a longer
/// one cannot be hyphenated and would run past the page margin.
pub const MAX_WORD_CHARS: usize = 50;

pub(super) fn validate(
    validator: &Validator,
    schema: &Value,
    data: &Value,
    prefix: &str,
) -> Result<(), Vec<FieldError>> {
    let mut errors: Vec<FieldError> = Vec::new();
    for e in validator.iter_errors(data) {
        errors.extend(describe(&e, schema, prefix));
    }
    check_strings(data, &mut prefix.to_owned(), &mut errors);
    if errors.is_empty() {
        return Ok(());
    }
    errors.sort_by(|a, b| a.path.cmp(&b.path));
    errors.dedup();
    Err(errors)
}

fn describe(e: &ValidationError<'_>, schema: &Value, prefix: &str) -> Vec<FieldError> {
    let path = format!("{prefix}{}", e.instance_path().as_str());
    let at = |p: String, message: String| FieldError { path: p, message };
    let one = |message: String| vec![at(path.clone(), message)];
    match e.kind() {
        ValidationErrorKind::Required { property } => {
            let name = property.as_str().unwrap_or_default();
            vec![at(format!("{path}/{name}"), "champ obligatoire manquant".into())]
        }
        ValidationErrorKind::AdditionalProperties { unexpected } => unexpected
            .iter()
            .map(|name| at(format!("{path}/{name}"), "champ inconnu pour ce modèle".into()))
            .collect(),
        ValidationErrorKind::Type { kind } => one(format!("doit être {}", type_name(kind))),
        ValidationErrorKind::MinLength { limit: 1 } => one("ne doit pas être vide".into()),
        ValidationErrorKind::MinLength { limit } => {
            one(format!("doit comporter au moins {limit} caractères"))
        }
        ValidationErrorKind::MaxLength { limit } => one(format!("ne doit pas dépasser {limit} caractères")),
        ValidationErrorKind::Pattern { .. } => one(custom_message(schema, e.schema_path().as_str())
            .unwrap_or_else(|| "ne respecte pas le format attendu".into())),
        ValidationErrorKind::Format { format } if format == "date" => one(format!(
            "doit être une date valide au format AAAA-MM-JJ, d'une année entre {MIN_YEAR} et {MAX_YEAR}"
        )),
        ValidationErrorKind::Format { format } => one(format!("doit respecter le format {format}")),
        ValidationErrorKind::Enum { options } => {
            one(format!("doit valoir l'une des valeurs suivantes : {}", list_values(options)))
        }
        ValidationErrorKind::Minimum { limit } => one(format!("doit être au moins {limit}")),
        ValidationErrorKind::Maximum { limit } => one(format!("doit être au plus {limit}")),
        ValidationErrorKind::MinItems { limit } => one(format!("doit contenir au moins {limit} élément(s)")),
        ValidationErrorKind::MaxItems { limit } => one(format!("doit contenir au plus {limit} élément(s)")),
        // Composite rules (`not`, `oneOf`, `if`/`then`…) relate several fields:
        // their subschema's `x-message` says which rule, in the schema's words.
        _ => one(custom_message(schema, e.schema_path().as_str()).unwrap_or_else(|| {
            format!("valeur incompatible avec les règles du modèle ({})", e.kind().keyword())
        })),
    }
}

fn type_name(kind: &TypeKind) -> String {
    let name = |t: &JsonType| match t {
        JsonType::String => "un texte",
        JsonType::Integer => "un nombre entier",
        JsonType::Number => "un nombre",
        JsonType::Object => "un objet",
        JsonType::Array => "une liste",
        JsonType::Boolean => "un booléen (true ou false)",
        JsonType::Null => "null",
    };
    match kind {
        TypeKind::Single(t) => name(t).to_owned(),
        TypeKind::Multiple(set) => set.iter().map(|t| name(&t)).collect::<Vec<_>>().join(" ou "),
    }
}

fn list_values(options: &Value) -> String {
    match options {
        Value::Array(items) => items
            .iter()
            .map(|v| v.as_str().map(str::to_owned).unwrap_or_else(|| v.to_string()))
            .collect::<Vec<_>>()
            .join(", "),
        other => other.to_string(),
    }
}

/// The `x-message` of the subschema holding the failed keyword, if any.
fn custom_message(schema: &Value, keyword_path: &str) -> Option<String> {
    let parent = &keyword_path[..keyword_path.rfind('/')?];
    schema.pointer(parent)?.get(CUSTOM_MESSAGE)?.as_str().map(str::to_owned)
}

fn check_strings(v: &Value, path: &mut String, errors: &mut Vec<FieldError>) {
    match v {
        Value::String(s) => {
            // The characters of every string follow the one text policy.
            if let Err(message) = crate::domain::text::check(s) {
                errors.push(FieldError { path: path.clone(), message });
            } else if s.trim().is_empty() && !s.is_empty() {
                errors.push(FieldError { path: path.clone(), message: "ne doit pas être vide".into() });
            } else if s.split_whitespace().any(|w| w.chars().count() > MAX_WORD_CHARS) {
                errors.push(FieldError {
                    path: path.clone(),
                    message: format!(
                        "contient un mot de plus de {MAX_WORD_CHARS} caractères, qui ne tiendrait pas dans la page"
                    ),
                });
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("/{i}"));
                check_strings(item, path, errors);
                path.truncate(len);
            }
        }
        Value::Object(map) => {
            for (k, item) in map {
                let len = path.len();
                // JSON pointer escaping (RFC 6901).
                path.push('/');
                path.push_str(&k.replace('~', "~0").replace('/', "~1"));
                // Member names follow the text policy too.
                match crate::domain::text::check(k) {
                    Err(message) => errors.push(FieldError { path: path.clone(), message }),
                    Ok(()) => check_strings(item, path, errors),
                }
                path.truncate(len);
            }
        }
        _ => {}
    }
}

/// Earliest year of a date in an act's data.
pub const MIN_YEAR: i32 = 1800;
/// Latest year of a date in an act's data. Beyond these years a date is a
/// typing error (`0026`, `20026`), and the search index could not hold it
/// (tantivy dates are nanoseconds in an `i64`: 1677–2262), nor could the
/// search's own date filters (1800–2200) reach it.
pub const MAX_YEAR: i32 = 2200;

/// How every template's schema is checked: formats too, and `date` is a
/// real day of a year between [`MIN_YEAR`] and [`MAX_YEAR`].
pub(crate) fn options<'i>() -> jsonschema::ValidationOptions<'i> {
    jsonschema::options().should_validate_formats(true).with_format("date", |s: &str| {
        let shape = s.len() == 10
            && s.bytes()
                .enumerate()
                .all(|(i, b)| if i == 4 || i == 7 { b == b'-' } else { b.is_ascii_digit() });
        let day = time::macros::format_description!("[year]-[month]-[day]");
        shape && time::Date::parse(s, day).is_ok_and(|d| (MIN_YEAR..=MAX_YEAR).contains(&d.year()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(schema: Value, data: Value) -> Vec<FieldError> {
        let v = options().build(&schema).unwrap();
        validate(&v, &schema, &data, "/data").err().unwrap_or_default()
    }

    #[test]
    fn every_missing_field_is_named_by_its_path() {
        let schema = json!({"type": "object", "required": ["a", "b"],
            "properties": {"a": {"type": "string"}, "b": {"type": "object", "required": ["c"]}}});
        let errs = check(schema, json!({"b": {}}));
        let paths: Vec<_> = errs.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(paths, ["/data/a", "/data/b/c"]);
        assert!(errs.iter().all(|e| e.message == "champ obligatoire manquant"));
    }

    #[test]
    fn a_bidi_override_is_refused_wherever_it_hides() {
        let errs = check(json!({}), json!({"l": ["ok", "A-\u{202E}00417"]}));
        assert_eq!(errs[0].path, "/data/l/1");
        assert!(errs[0].message.contains("U+202E"), "{}", errs[0].message);
    }

    #[test]
    fn a_member_name_hiding_an_invisible_character_is_refused() {
        let errs = check(json!({}), json!({"agent": {"no\u{200D}m": "Durand"}}));
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].path, "/data/agent/no\u{200D}m");
        assert!(errs[0].message.contains("U+200D (zero width joiner)"), "{}", errs[0].message);
    }

    #[test]
    fn an_unbreakable_word_wider_than_the_page_is_refused() {
        let errs = check(json!({}), json!({"nom": "X".repeat(MAX_WORD_CHARS + 1)}));
        assert_eq!(errs.len(), 1);
        assert!(check(json!({}), json!({"nom": "X".repeat(MAX_WORD_CHARS)})).is_empty());
    }

    #[test]
    fn blank_strings_are_refused() {
        let errs = check(json!({}), json!({"nom": "   "}));
        assert_eq!(errs, [FieldError { path: "/data/nom".into(), message: "ne doit pas être vide".into() }]);
    }

    #[test]
    fn a_pattern_failure_uses_the_schema_message_when_there_is_one() {
        let schema = json!({"$defs": {"ligne": {"type": "string", "pattern": "^[^\\n]*$",
            "x-message": "doit tenir sur une seule ligne"}},
            "properties": {"nom": {"$ref": "#/$defs/ligne"}}});
        let errs = check(schema, json!({"nom": "a\nb"}));
        assert_eq!(errs[0].message, "doit tenir sur une seule ligne");
    }

    #[test]
    fn dates_are_checked_for_real_not_only_for_shape() {
        let schema = json!({"properties": {"d": {"type": "string", "format": "date"}}});
        assert!(check(schema.clone(), json!({"d": "2026-04-01"})).is_empty());
        assert_eq!(check(schema.clone(), json!({"d": "2026-02-30"})).len(), 1);
        for odd in
            ["0000-01-01", "0026-04-01", "9999-12-31", "2201-01-01", "+2026-04-01", "2026-4-01", "2026/04/01"]
        {
            assert_eq!(check(schema.clone(), json!({ "d": odd })).len(), 1, "{odd}");
        }
        assert!(check(schema.clone(), json!({"d": "1800-01-01"})).is_empty());
        assert!(check(schema, json!({"d": "2200-12-31"})).is_empty());
    }
}
