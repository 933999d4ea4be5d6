//! Names that must obey XML Schema and archive-system rules.
//!
//! - An *XML id* ([`XmlId`]) is the value of an `id` attribute or of an IDREF
//!   element: an `xs:ID`, i.e. an NCName (no leading digit, no `:`, no space).
//!   We restrict it further to ASCII letters, digits, `.`, `-` and `_`.
//! - An *entry name* is the path of a file inside the SIP zip and the value of
//!   `Uri`: `content/` followed by ASCII `[A-Za-z0-9._-]` only, because Vitam
//!   parses it as a URI and old zip tools mangle non-ASCII names.
//! - A *file name* (`FileInfo/Filename`) is the human name, accents allowed.
//! - `xs:dateTime` (`Date`, `LastModified`, event times) needs a time and an
//!   offset; rule `StartDate` and descriptive dates are `xs:date`.
//! - *Free text* (comments, titles, names) may hold any character XML 1.0
//!   allows; the writer makes any other one XML-safe ([`xml_safe`]), and
//!   requests refuse what the one text policy refuses
//!   ([`crate::domain::text`]) with a message naming the character.

use std::fmt;

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, OffsetDateTime};

use super::SedaError;
use crate::domain::ActId;

/// Folder of the SIP that holds every object.
pub const CONTENT_DIR: &str = "content/";
/// Name of the manifest at the root of the SIP.
pub const MANIFEST_NAME: &str = "manifest.xml";
/// Longest human file name we write (in characters, before the extension).
const FILE_NAME_MAX_CHARS: usize = 120;

/// Whether XML 1.0 allows `c` in a document (§2.2 `Char`): not the C0
/// controls other than tab, line feed and carriage return, nor U+FFFE/U+FFFF
/// (surrogates cannot occur in a Rust string).
pub fn xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// `text` with every character XML 1.0 forbids replaced by U+FFFD, so that
/// whatever a configuration or an old record holds, the manifest stays
/// well-formed and valid. Borrowed when nothing needs replacing.
pub fn xml_safe(text: &str) -> std::borrow::Cow<'_, str> {
    if text.chars().all(xml_char) {
        std::borrow::Cow::Borrowed(text)
    } else {
        std::borrow::Cow::Owned(text.chars().map(|c| if xml_char(c) { c } else { '\u{FFFD}' }).collect())
    }
}

/// A valid `xs:ID` value, restricted to ASCII.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct XmlId(String);

impl XmlId {
    /// Accept `s` if it is an ASCII NCName.
    pub fn new(s: &str) -> Result<Self, SedaError> {
        let mut bytes = s.bytes();
        let first_ok = bytes.next().is_some_and(|b| b.is_ascii_alphabetic() || b == b'_');
        if first_ok && bytes.all(is_name_byte) {
            Ok(Self(s.to_owned()))
        } else {
            Err(SedaError::InvalidId(s.to_owned()))
        }
    }

    /// `PREFIX-raw`, with every character of `raw` outside `[A-Za-z0-9._-]`
    /// replaced by `_`. `prefix` must start with a letter.
    pub fn derive(prefix: &str, raw: &str) -> Self {
        debug_assert!(prefix.starts_with(|c: char| c.is_ascii_alphabetic()));
        let mut s = String::with_capacity(prefix.len() + 1 + raw.len());
        s.push_str(prefix);
        s.push('-');
        s.extend(raw.chars().map(|c| if c.is_ascii() && is_name_byte(c as u8) { c } else { '_' }));
        Self(s)
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for XmlId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_')
}

/// Prefix of the archive unit of an act: `AU-<act id>`.
const ACT_UNIT_PREFIX: &str = "AU";

/// The `ArchiveUnit@id` an act gets in every SIP (stable, so that a reply can
/// be mapped back to the act).
pub fn act_unit_id(act: &ActId) -> XmlId {
    XmlId::derive(ACT_UNIT_PREFIX, &act.to_string())
}

/// The act whose unit has this id, if it is an act unit ([`act_unit_id`]).
pub fn act_of_unit_id(unit_id: &str) -> Option<ActId> {
    unit_id.strip_prefix("AU-")?.parse().ok()
}

/// `content/<safe>.<ext>`: `stem` reduced to `[A-Za-z0-9._-]` (other characters
/// become `_`, accents are dropped), never empty.
pub fn entry_name(stem: &str, ext: &str) -> String {
    let mut safe = String::with_capacity(stem.len());
    for c in stem.chars() {
        let c = fold_accent(c);
        if c.is_ascii() && is_name_byte(c as u8) {
            safe.push(c);
        } else if !safe.ends_with('_') {
            safe.push('_');
        }
    }
    let safe = safe.trim_matches(|c| c == '_' || c == '.');
    let safe = if safe.is_empty() { "objet" } else { safe };
    format!("{CONTENT_DIR}{safe}.{ext}")
}

fn fold_accent(c: char) -> char {
    match c {
        'à' | 'â' | 'ä' => 'a',
        'é' | 'è' | 'ê' | 'ë' => 'e',
        'î' | 'ï' => 'i',
        'ô' | 'ö' => 'o',
        'ù' | 'û' | 'ü' => 'u',
        'ç' => 'c',
        'À' | 'Â' | 'Ä' => 'A',
        'É' | 'È' | 'Ê' | 'Ë' => 'E',
        'Î' | 'Ï' => 'I',
        'Ô' | 'Ö' => 'O',
        'Ù' | 'Û' | 'Ü' => 'U',
        'Ç' => 'C',
        other => other,
    }
}

/// A human file name: `text` without path separators or control characters,
/// cut at [`FILE_NAME_MAX_CHARS`] characters, plus `.ext`.
pub fn file_name(text: &str, ext: &str) -> String {
    let cleaned: String = text
        .chars()
        .map(|c| if c == '/' || c == '\\' || c.is_control() { ' ' } else { c })
        .take(FILE_NAME_MAX_CHARS)
        .collect();
    format!("{}.{ext}", cleaned.trim())
}

/// `xs:dateTime` with offset, e.g. `2024-10-15T10:30:00Z`.
pub fn xsd_date_time(t: OffsetDateTime) -> Result<String, SedaError> {
    t.format(&Rfc3339).map_err(|e| SedaError::InvalidDate(e.to_string()))
}

/// `xs:date`, e.g. `2024-10-02`.
pub fn xsd_date(d: Date) -> Result<String, SedaError> {
    d.format(format_description!("[year]-[month]-[day]")).map_err(|e| SedaError::InvalidDate(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    #[test]
    fn ids_are_ncnames_whatever_the_raw_text() {
        assert!(XmlId::new("2024-AR-0042").is_err());
        assert!(XmlId::new("AU:1").is_err());
        assert!(XmlId::new("").is_err());
        assert_eq!(XmlId::derive("AU", "2024 AR:é/42").as_str(), "AU-2024_AR___42");
        assert!(XmlId::new(XmlId::derive("GOT", "0 1").as_str()).is_ok());
    }

    #[test]
    fn act_unit_ids_map_back_to_their_act() {
        let act = ActId::generate();
        let id = act_unit_id(&act);
        assert!(XmlId::new(id.as_str()).is_ok());
        assert_eq!(act_of_unit_id(id.as_str()), Some(act));
        assert_eq!(act_of_unit_id("AU-SEANCE-x"), None);
    }

    #[test]
    fn entry_names_are_ascii_and_file_names_keep_accents() {
        assert_eq!(entry_name("Délibération n° 2024/045", "pdf"), "content/Deliberation_n_2024_045.pdf");
        assert_eq!(entry_name("ééé", "pdf"), "content/eee.pdf");
        assert_eq!(entry_name("«»", "pdf"), "content/objet.pdf");
        assert_eq!(file_name("Arrêté 2024/12\n", "pdf"), "Arrêté 2024 12.pdf");
    }

    #[test]
    fn dates_follow_xml_schema_lexical_forms() {
        assert_eq!(xsd_date_time(datetime!(2024-10-15 08:30:00 UTC)).unwrap(), "2024-10-15T08:30:00Z");
        assert_eq!(xsd_date_time(datetime!(2024-10-15 10:30:00 +2)).unwrap(), "2024-10-15T10:30:00+02:00");
        assert_eq!(xsd_date(date!(2024 - 01 - 02)).unwrap(), "2024-01-02");
    }
}
