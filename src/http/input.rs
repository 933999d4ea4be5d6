//! Hostile input: limits checked on every JSON body before anything else
//! reads it (schema validation, templates, the store).
//!
//! The body size is bounded by `max_body_bytes`; then the nesting depth is
//! measured on the raw bytes (so that a deeply nested body is refused before
//! a parser recurses into it); the parser refuses an object that repeats a
//! member name (which of the two a reader keeps is up to the reader: the
//! access gate, a proxy and the handler must never disagree on which
//! `collectivite` a body names); then, once parsed, every string's length and
//! every array's or object's number of items. Each limit has its own stable
//! error code (see `docs/errors.md`).

use std::cell::RefCell;
use std::fmt;

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use super::error::ApiError;
use super::server::BodyRefused;

/// Deepest nesting of arrays and objects accepted.
pub const MAX_DEPTH: usize = 32;
/// Longest string accepted (characters), member names included.
pub const MAX_STRING_CHARS: usize = 65_536;
/// Most items accepted in one array or members in one object.
pub const MAX_ITEMS: usize = 5_000;

/// Which limit a body exceeds, and where (a JSON pointer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputError {
    /// Nested deeper than [`MAX_DEPTH`].
    TooDeep,
    /// A string longer than [`MAX_STRING_CHARS`], at this pointer.
    StringTooLong(String),
    /// An array or object with more than [`MAX_ITEMS`] items, at this pointer.
    TooManyItems(String),
    /// An object that names this member (a pointer) a second time.
    DuplicateMember(String),
}

/// Parse a JSON body within the limits.
pub fn parse(bytes: &[u8]) -> Result<Value, ApiError> {
    if depth(bytes) > MAX_DEPTH {
        return Err(ApiError::Input(InputError::TooDeep));
    }
    let duplicate = RefCell::new(None);
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = Unique { path: String::new(), duplicate: &duplicate }
        .deserialize(&mut de)
        .and_then(|v| de.end().map(|()| v))
        .map_err(|e| match duplicate.take() {
            Some(path) => ApiError::Input(InputError::DuplicateMember(path)),
            None => ApiError::MalformedJson(e.to_string()),
        })?;
    check(&value, &mut String::new()).map_err(ApiError::Input)?;
    Ok(value)
}

/// Deserializes a [`Value`] like serde_json does, but fails on an object
/// that repeats a member name, leaving the member's pointer in `duplicate`.
struct Unique<'a> {
    /// Pointer of the value being read.
    path: String,
    duplicate: &'a RefCell<Option<String>>,
}

impl<'de> DeserializeSeed<'de> for Unique<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Unique<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(Unique {
            path: format!("{}/{}", self.path, items.len()),
            duplicate: self.duplicate,
        })? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut members = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let path = format!("{}/{}", self.path, key.replace('~', "~0").replace('/', "~1"));
            if members.contains_key(&key) {
                *self.duplicate.borrow_mut() = Some(path);
                return Err(de::Error::custom("duplicate member"));
            }
            let value = map.next_value_seed(Unique { path, duplicate: self.duplicate })?;
            members.insert(key, value);
        }
        Ok(Value::Object(members))
    }
}

/// The deepest nesting of `[`/`{` outside strings (malformed JSON is left to
/// the parser).
fn depth(bytes: &[u8]) -> usize {
    let (mut depth, mut max, mut in_string, mut escaped) = (0usize, 0usize, false, false);
    for &b in bytes {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                max = max.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

fn check(v: &Value, path: &mut String) -> Result<(), InputError> {
    let long = |s: &str| s.len() > MAX_STRING_CHARS && s.chars().count() > MAX_STRING_CHARS;
    match v {
        Value::String(s) if long(s) => Err(InputError::StringTooLong(path.clone())),
        Value::Array(items) if items.len() > MAX_ITEMS => Err(InputError::TooManyItems(path.clone())),
        Value::Object(map) if map.len() > MAX_ITEMS => Err(InputError::TooManyItems(path.clone())),
        Value::Array(items) => items.iter().enumerate().try_for_each(|(i, item)| {
            let len = path.len();
            path.push_str(&format!("/{i}"));
            let r = check(item, path);
            path.truncate(len);
            r
        }),
        Value::Object(map) => map.iter().try_for_each(|(k, item)| {
            let len = path.len();
            path.push('/');
            path.push_str(&k.replace('~', "~0").replace('/', "~1"));
            let r = if long(k) { Err(InputError::StringTooLong(path.clone())) } else { check(item, path) };
            path.truncate(len);
            r
        }),
        _ => Ok(()),
    }
}

/// The JSON body of a request, within the limits. On a route whose access
/// gate already read the body (to find the collectivité it names), that
/// checked body is taken over instead of read again.
#[derive(Debug, Clone)]
pub struct JsonBody(pub Value);

/// A body read and checked by the access gate, handed over to [`JsonBody`].
#[derive(Debug, Clone)]
pub(super) struct CheckedBody(pub Value);

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(mut req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if let Some(CheckedBody(v)) = req.extensions_mut().remove::<CheckedBody>() {
            return Ok(Self(v));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|r| match r.status() {
            _ if timed_out(&r) => ApiError::BodyTimeout,
            _ if refused(&r, BodyRefused::Busy) => ApiError::ServerBusy,
            StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge,
            _ => ApiError::MalformedJson(r.body_text()),
        })?;
        parse(&bytes).map(Self)
    }
}

/// A raw request body (a PDF to verify, an archive's XML reply), read within
/// `max_body_bytes` and the server's body-read timeout; a failure is a
/// problem like any other (408, 413, 400), never axum's plain-text rejection.
#[derive(Debug, Clone)]
pub struct RawBody(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for RawBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        Bytes::from_request(req, state).await.map(Self).map_err(|r| match r.status() {
            _ if timed_out(&r) => ApiError::BodyTimeout,
            _ if refused(&r, BodyRefused::Busy) => ApiError::ServerBusy,
            StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge,
            _ => ApiError::UnreadableBody(r.body_text()),
        })
    }
}

/// Whether reading a body failed because it did not arrive in time (the
/// server's `body_read_timeout`, or its minimum rate), whatever wraps the
/// timeout.
pub(crate) fn timed_out(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(e);
    while let Some(e) = cause {
        if e.is::<tower_http::timeout::TimeoutError>() || e.downcast_ref() == Some(&BodyRefused::TooSlow) {
            return true;
        }
        cause = e.source();
    }
    false
}

/// Whether reading a body failed because the server refused it as `why`
/// while it arrived (see `super::server`), whatever wraps the refusal.
pub(crate) fn refused(e: &(dyn std::error::Error + 'static), why: BodyRefused) -> bool {
    let mut cause = Some(e);
    while let Some(e) = cause {
        if e.downcast_ref() == Some(&why) {
            return true;
        }
        cause = e.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_ignores_brackets_inside_strings() {
        assert_eq!(depth(br#"{"a":[1,{"b":"[[[{{{\"]]"}]}"#), 3);
        let deep = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
        assert!(matches!(parse(deep.as_bytes()), Err(ApiError::Input(InputError::TooDeep))));
    }

    #[test]
    fn limits_name_the_faulty_member() {
        let long = "é".repeat(MAX_STRING_CHARS + 1);
        let body = serde_json::json!({ "data": { "a/b": [0, long] } }).to_string();
        match parse(body.as_bytes()) {
            Err(ApiError::Input(InputError::StringTooLong(p))) => assert_eq!(p, "/data/a~1b/1"),
            other => panic!("{other:?}"),
        }
        let many = serde_json::json!({ "items": vec![0; MAX_ITEMS + 1] }).to_string();
        assert!(
            matches!(parse(many.as_bytes()), Err(ApiError::Input(InputError::TooManyItems(p))) if p == "/items")
        );
        let twice = br#"{"data": {"a": 1, "list": [{"n": 1, "n": 2}]}}"#;
        assert!(
            matches!(parse(twice), Err(ApiError::Input(InputError::DuplicateMember(p))) if p == "/data/list/0/n")
        );
        let just_right = "x".repeat(MAX_STRING_CHARS);
        assert!(parse(serde_json::json!({ "s": just_right }).to_string().as_bytes()).is_ok());
    }
}

/// The parameters of a request's address as `T`; a refusal is the API's
/// `400 invalid_parameter` naming the parameter in French, never axum's
/// English plain text (`Failed to deserialize query string: duplicate field`).
#[derive(Debug, Clone)]
pub struct Params<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> axum::extract::FromRequestParts<S> for Params<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, _: &S) -> Result<Self, ApiError> {
        axum::extract::Query::<T>::try_from_uri(&parts.uri)
            .map(|q| Self(q.0))
            .map_err(|e| ApiError::InvalidParameter(query_refusal(&e.body_text())))
    }
}

/// An address's parameters as given, once each: one named twice is refused
/// (400 `invalid_parameter` naming it), since which one counts would be up
/// to the reader.
pub fn once(params: &[(String, String)]) -> Result<&[(String, String)], ApiError> {
    for (i, (k, _)) in params.iter().enumerate() {
        if params[..i].iter().any(|(seen, _)| seen == k) {
            return Err(ApiError::InvalidParameter(format!("le paramètre « {k} » est donné plusieurs fois")));
        }
    }
    Ok(params)
}

/// What is wrong with an address's parameters, in French, from the query
/// deserializer's message (`duplicate field `x``, `missing field `x``…).
pub fn query_refusal(message: &str) -> String {
    let named = |what: &str| {
        let rest = &message[message.find(what)? + what.len()..];
        rest.split('`').next().map(str::to_owned)
    };
    if let Some(key) = named("duplicate field `") {
        format!("{key} : le paramètre est donné plusieurs fois")
    } else if let Some(key) = named("missing field `") {
        format!("{key} : paramètre obligatoire manquant")
    } else if let Some(key) = named("unknown field `") {
        format!("{key} : paramètre inconnu")
    } else {
        "les paramètres de l'adresse ne peuvent pas être lus".into()
    }
}
