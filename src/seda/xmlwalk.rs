//! A small namespace-aware walk over an XML document, shared by the SIP checks
//! and the reply parser.
//!
//! The walk reports each element's *path*: the local names from the root down
//! to it. Elements outside the root's namespace appear as [`FOREIGN`], so a
//! `Name` in another namespace never passes for a SEDA element. The *text* of
//! an element is its direct character data with entity and character
//! references resolved. Nothing is validated: readers decide what they need.

use std::io::BufRead;

use quick_xml::NsReader;
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;

/// Path component standing for an element of another namespace.
pub const FOREIGN: &str = "#foreign";

/// Deepest nesting walked: SEDA messages nest a few levels (a séance unit,
/// an act's unit, its proof's); a document nested deeper is refused rather
/// than walked, so hostile input cannot make paths grow without bound.
pub const MAX_DEPTH: usize = 256;

/// Callbacks of a walk. `path` ends with the current element.
pub trait Visitor {
    /// An element starts; `attrs` are its (unprefixed) attributes.
    fn start(&mut self, path: &[String], attrs: &[(String, String)]);
    /// An element ends; `text` is its direct text.
    fn end(&mut self, path: &[String], text: &str);
}

/// The root element: local name and namespace (empty if none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Root {
    /// Local name.
    pub name: String,
    /// Namespace URI.
    pub namespace: String,
}

/// Walk the whole document; the error is a human description of the XML problem.
pub fn walk<R: BufRead>(input: R, visitor: &mut impl Visitor) -> Result<Root, String> {
    let mut reader = NsReader::from_reader(input);
    let mut buf = Vec::new();
    let mut path: Vec<String> = Vec::new();
    let mut texts: Vec<String> = Vec::new();
    let mut root: Option<Root> = None;
    loop {
        let position = reader.buffer_position();
        let (ns, event) = reader
            .read_resolved_event_into(&mut buf)
            .map_err(|e| format!("{e} (après l'octet {position})"))?;
        let namespace = match ns {
            ResolveResult::Bound(n) => n.as_ref().to_owned(),
            ResolveResult::Unbound => String::new(),
            ResolveResult::Unknown(p) => return Err(format!("préfixe d'espace de noms inconnu : {p}")),
        };
        match event {
            Event::Start(e) | Event::Empty(e) if root.as_ref().is_some_and(|_| path.is_empty()) => {
                return Err(format!("contenu après l'élément racine : <{}>", e.local_name().as_ref()));
            }
            Event::Start(ref e) | Event::Empty(ref e) => {
                let local = e.local_name().as_ref().to_owned();
                let root =
                    root.get_or_insert_with(|| Root { name: local.clone(), namespace: namespace.clone() });
                if path.len() >= MAX_DEPTH {
                    return Err(format!("imbrication trop profonde (plus de {MAX_DEPTH} niveaux)"));
                }
                path.push(if namespace == root.namespace { local } else { FOREIGN.to_owned() });
                texts.push(String::new());
                visitor.start(&path, &attributes(e)?);
                if matches!(event, Event::Empty(_)) {
                    visitor.end(&path, "");
                    path.pop();
                    texts.pop();
                }
            }
            Event::End(_) => {
                let text = texts.pop().unwrap_or_default();
                visitor.end(&path, &text);
                path.pop();
            }
            Event::Text(t) => push_text(&mut texts, &t.xml10_content()),
            Event::CData(t) => push_text(&mut texts, &t.xml10_content()),
            Event::GeneralRef(r) => {
                let name = r.xml10_content();
                let resolved =
                    resolve_reference(&name).ok_or_else(|| format!("entité inconnue : &{name};"))?;
                push_text(&mut texts, &resolved);
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    if !path.is_empty() {
        return Err("document tronqué".into());
    }
    root.ok_or_else(|| "document vide".into())
}

fn push_text(texts: &mut [String], s: &str) {
    if let Some(t) = texts.last_mut() {
        t.push_str(s);
    }
}

fn attributes(e: &BytesStart<'_>) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    for a in e.attributes() {
        let a = a.map_err(|e| e.to_string())?;
        let key = a.key.as_ref();
        if key.contains(':') || key == "xmlns" {
            continue;
        }
        let value = a.normalized_value(quick_xml::XmlVersion::Implicit1_0).map_err(|e| e.to_string())?;
        out.push((key.to_owned(), value.into_owned()));
    }
    Ok(out)
}

/// `amp` → `&`, `#233` → `é`, `#xE9` → `é`.
fn resolve_reference(name: &str) -> Option<String> {
    if let Some(num) = name.strip_prefix('#') {
        let code = match num.strip_prefix('x') {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => num.parse().ok()?,
        };
        return char::from_u32(code).map(String::from);
    }
    resolve_predefined_entity(name).map(str::to_owned)
}

/// The value of attribute `name`.
pub fn attr<'a>(attrs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    attrs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// Whether `path` ends with `suffix`.
pub fn ends_with(path: &[String], suffix: &[&str]) -> bool {
    path.len() >= suffix.len() && path[path.len() - suffix.len()..].iter().zip(suffix).all(|(a, b)| a == b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Texts(Vec<(String, String)>);

    impl Visitor for Texts {
        fn start(&mut self, _: &[String], _: &[(String, String)]) {}
        fn end(&mut self, path: &[String], text: &str) {
            self.0.push((path.join("/"), text.to_owned()));
        }
    }

    #[test]
    fn references_are_resolved_and_foreign_elements_are_marked() {
        let xml = r#"<a xmlns="urn:x" xmlns:o="urn:o"><b>R&amp;D &#233;t&#xE9;</b><o:c>x</o:c></a>"#;
        let mut v = Texts::default();
        let root = walk(xml.as_bytes(), &mut v).unwrap();
        assert_eq!(root, Root { name: "a".into(), namespace: "urn:x".into() });
        assert_eq!(v.0[0], ("a/b".into(), "R&D été".into()));
        assert_eq!(v.0[1], (format!("a/{FOREIGN}"), "x".into()));
    }

    #[test]
    fn malformed_documents_are_errors() {
        for bad in ["", "<a><b></a>", "<a>", "<a>&bogus;</a>", "<a/><b/>", "<p:a/>"] {
            assert!(walk(bad.as_bytes(), &mut Texts::default()).is_err(), "{bad:?}");
        }
        let deep = format!("{}{}", "<a>".repeat(MAX_DEPTH + 1), "</a>".repeat(MAX_DEPTH + 1));
        assert!(walk(deep.as_bytes(), &mut Texts::default()).unwrap_err().contains("profonde"));
        let ok = format!("{}{}", "<a>".repeat(MAX_DEPTH), "</a>".repeat(MAX_DEPTH));
        assert!(walk(ok.as_bytes(), &mut Texts::default()).is_ok());
    }
}
