//! Just enough PDF syntax to read the trailer, the catalog and a page of a
//! classic-xref PDF, and to copy their values byte for byte.
//!
//! A *node* is a parsed value together with its *span*: the byte range it
//! occupies in the file. Rewritten dictionaries are emitted from the spans of
//! the values they keep, so nothing is re-serialised and nothing can drift
//! (names with `#xx` escapes, reals, strings all stay exactly as written).
//!
//! The bytes may come from anyone (the public verification endpoint): the
//! [`Lexer`] that reads them is bounded (see [`super::lexer`]).

use std::ops::Range;

pub(crate) use super::lexer::{Lexer, SyntaxError};
#[cfg(test)]
use super::limits::{Budget, Limit, MAX_DEPTH, MAX_STRING_BYTES};

/// A PDF value, as far as the seal needs to understand it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Obj {
    /// `<< /Key value … >>`: entries in file order; the key is the name
    /// without its slash, as written (escapes not decoded).
    Dict(Vec<(Vec<u8>, Node)>),
    /// `[ … ]`.
    Array(Vec<Node>),
    /// `n g R`.
    Ref(u32, u16),
    /// An integer.
    Int(i64),
    /// A literal string `( … )`, escapes decoded.
    Str(Vec<u8>),
    /// Anything else the seal never looks into: reals, names, hex strings,
    /// booleans, null.
    Other,
}

/// A value and where it is in the file.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    pub obj: Obj,
    pub span: Range<usize>,
}

impl Node {
    /// The bytes of this value as written in `src` (the file it was read
    /// from; empty for another file).
    pub fn raw<'s>(&self, src: &'s [u8]) -> &'s [u8] {
        src.get(self.span.clone()).unwrap_or_default()
    }

    /// The entry `key` of a dictionary.
    pub fn get(&self, key: &[u8]) -> Option<&Node> {
        match &self.obj {
            Obj::Dict(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The entry `key` when it is an indirect reference.
    pub fn get_ref(&self, key: &[u8]) -> Option<(u32, u16)> {
        match self.get(key)?.obj {
            Obj::Ref(n, g) => Some((n, g)),
            _ => None,
        }
    }

    /// The entry `key` when it is an integer.
    pub fn get_int(&self, key: &[u8]) -> Option<i64> {
        match self.get(key)?.obj {
            Obj::Int(i) => Some(i),
            _ => None,
        }
    }

    /// Whether the entry `key` is the name `/value`.
    pub fn name_is(&self, key: &[u8], value: &[u8], src: &[u8]) -> bool {
        self.get(key).is_some_and(|n| n.raw(src).strip_prefix(b"/") == Some(value))
    }
}

/// Encode `text` as a PDF text string: a literal string when it is plain
/// ASCII, otherwise UTF-16BE with a byte order mark (the only Unicode form
/// every PDF reader accepts).
pub(crate) fn text_string(text: &str) -> String {
    if text.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        let mut s = String::from("(");
        for c in text.chars() {
            if matches!(c, '(' | ')' | '\\') {
                s.push('\\');
            }
            s.push(c);
        }
        s.push(')');
        s
    } else {
        let mut s = String::from("<FEFF");
        for unit in text.encode_utf16() {
            s.push_str(&format!("{unit:04X}"));
        }
        s.push('>');
        s
    }
}

#[cfg(test)]
#[path = "syntax_tests.rs"]
mod tests;
