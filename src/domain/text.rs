//! The one policy for characters in text that people send to acta (act data,
//! transfer comments): characters that print nothing, or that change how the
//! rest of a line prints, are **refused**, never silently removed, because the
//! sender must see and fix what they pasted (a refused field is named with the
//! code point; a silently edited one would differ from what they checked).
//!
//! Refused:
//! - control characters (C0, C1, DEL), except the line feed: whether a field
//!   may span several lines is the template's decision (its schema's
//!   single-line `pattern`), made on `\n` alone;
//! - the Unicode line and paragraph separators (U+2028, U+2029), which would
//!   break a line behind the back of the single-line rule;
//! - every *default-ignorable* code point (Unicode `DerivedCoreProperties`):
//!   bidirectional controls (U+061C, U+200E/F, U+202A–202E, U+2066–2069),
//!   zero-width characters (U+200B–200D, U+2060, U+FEFF), the soft hyphen
//!   (U+00AD), variation selectors, tag characters, Hangul fillers… They are
//!   invisible in the PDF, yet make two identical-looking names differ for
//!   search, masking and comparison, or reorder what a reader sees;
//! - noncharacters (U+FDD0–FDEF, U+xFFFE/xFFFF);
//! - the replacement character U+FFFD: a program put it where it could not
//!   read a letter (a Windows-1252 file read as UTF-8, a bad copy-paste), so
//!   the text has lost letters that only the sender can type again.
//!
//! Ordinary and non-breaking spaces (U+00A0, U+202F, which French
//! typography needs), letters, marks and punctuation all pass.

/// Why a character is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// A C0/C1 control character other than the line feed.
    Control,
    /// U+2028 or U+2029.
    Separator,
    /// A bidirectional formatting character.
    Bidi,
    /// Any other default-ignorable (invisible) code point.
    Invisible,
    /// A Unicode noncharacter.
    Noncharacter,
    /// U+FFFD, the mark of letters lost in a conversion.
    Replacement,
}

/// Why `c` is refused, if it is.
pub fn refused(c: char) -> Option<Refused> {
    let cp = u32::from(c);
    if c.is_control() {
        return (c != '\n').then_some(Refused::Control);
    }
    match cp {
        0x2028 | 0x2029 => Some(Refused::Separator),
        0x061C | 0x200E | 0x200F | 0x202A..=0x202E | 0x2066..=0x2069 => Some(Refused::Bidi),
        0x00AD
        | 0x034F
        | 0x115F
        | 0x1160
        | 0x17B4
        | 0x17B5
        | 0x180B..=0x180F
        | 0x200B..=0x200D
        | 0x2060..=0x2065
        | 0x206A..=0x206F
        | 0x3164
        | 0xFE00..=0xFE0F
        | 0xFEFF
        | 0xFFA0
        | 0xFFF0..=0xFFF8
        | 0x1BCA0..=0x1BCA3
        | 0x1D173..=0x1D17A
        | 0xE0000..=0xE0FFF => Some(Refused::Invisible),
        0xFDD0..=0xFDEF => Some(Refused::Noncharacter),
        0xFFFD => Some(Refused::Replacement),
        _ if (cp & 0xFFFE) == 0xFFFE => Some(Refused::Noncharacter),
        _ => None,
    }
}

/// The first refused character of `s`, as the French message a form shows
/// beside the field, e.g. « contient le caractère invisible U+200D (zero
/// width joiner) ; … ».
pub fn check(s: &str) -> Result<(), String> {
    match s.chars().find_map(|c| refused(c).map(|why| (c, why))) {
        None => Ok(()),
        Some((c, why)) => Err(message(c, why)),
    }
}

fn message(c: char, why: Refused) -> String {
    let kind = match why {
        Refused::Control => "de contrôle",
        Refused::Separator => "séparateur de ligne",
        Refused::Bidi => "invisible de direction du texte",
        Refused::Invisible => "invisible",
        Refused::Noncharacter => "non attribué",
        Refused::Replacement => "de remplacement",
    };
    let name = name(c).map(|n| format!(" ({n})")).unwrap_or_default();
    let hint = match why {
        Refused::Separator => "remplacez-le par un retour à la ligne ordinaire, si le champ en admet",
        Refused::Replacement => {
            "des lettres ont été perdues en passant d'un logiciel à l'autre (encodage) : retapez-les"
        }
        _ => "supprimez-le (il provient souvent d'un copier-coller)",
    };
    format!("contient le caractère {kind} U+{:04X}{name} ; {hint}", u32::from(c))
}

/// The Unicode name of the refused characters people actually paste.
fn name(c: char) -> Option<&'static str> {
    Some(match c {
        '\t' => "character tabulation",
        '\r' => "carriage return",
        '\u{0B}' => "line tabulation",
        '\u{0C}' => "form feed",
        '\u{85}' => "next line",
        '\u{AD}' => "soft hyphen",
        '\u{061C}' => "arabic letter mark",
        '\u{200B}' => "zero width space",
        '\u{200C}' => "zero width non-joiner",
        '\u{200D}' => "zero width joiner",
        '\u{200E}' => "left-to-right mark",
        '\u{200F}' => "right-to-left mark",
        '\u{2028}' => "line separator",
        '\u{2029}' => "paragraph separator",
        '\u{202A}' => "left-to-right embedding",
        '\u{202B}' => "right-to-left embedding",
        '\u{202C}' => "pop directional formatting",
        '\u{202D}' => "left-to-right override",
        '\u{202E}' => "right-to-left override",
        '\u{2060}' => "word joiner",
        '\u{2066}' => "left-to-right isolate",
        '\u{2067}' => "right-to-left isolate",
        '\u{2068}' => "first strong isolate",
        '\u{2069}' => "pop directional isolate",
        '\u{FEFF}' => "zero width no-break space",
        '\u{FFFD}' => "replacement character",
        _ => return None,
    })
}

/// The months in French, as acts, archive titles and searches write them.
pub const MONTHS: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_typography_passes() {
        for s in ["M. Jean-Éric L’HÔPITAL\u{00A0}: « ok »\u{202F}!", "Cœur d'Alène\nligne 2", "1ʳᵉ classe"]
        {
            assert_eq!(check(s), Ok(()), "{s:?}");
        }
    }

    #[test]
    fn every_class_is_refused_and_named() {
        let cases = [
            ('\t', "de contrôle U+0009 (character tabulation)"),
            ('\u{9F}', "de contrôle U+009F"),
            ('\u{2028}', "séparateur de ligne U+2028 (line separator)"),
            ('\u{2029}', "séparateur de ligne U+2029 (paragraph separator)"),
            ('\u{202E}', "direction du texte U+202E (right-to-left override)"),
            ('\u{2067}', "direction du texte U+2067 (right-to-left isolate)"),
            ('\u{061C}', "direction du texte U+061C (arabic letter mark)"),
            ('\u{200D}', "invisible U+200D (zero width joiner)"),
            ('\u{FEFF}', "invisible U+FEFF (zero width no-break space)"),
            ('\u{AD}', "invisible U+00AD (soft hyphen)"),
            ('\u{FE0F}', "invisible U+FE0F"),
            ('\u{E0041}', "invisible U+E0041"),
            ('\u{FFFF}', "non attribué U+FFFF"),
            ('\u{FFFD}', "de remplacement U+FFFD (replacement character) ; des lettres ont été perdues"),
        ];
        for (c, expected) in cases {
            let message = check(&format!("DUR{c}AND")).unwrap_err();
            assert!(message.contains(expected), "{c:?}: {message}");
        }
    }
}
