//! How the finding pages (search, espace collectivité, transfers,
//! administration) name things for people: kinds, statuses, collectivités,
//! templates and days, in French; and the highlighted snippets of search,
//! turned into text segments the templates escape again.

use time::Date;

use crate::domain::Siren;
use crate::service::Acta;

/// `n` with its noun, singular for 0 and 1 as French has it: « 1 minute »,
/// « 15 minutes ».
pub fn plural(n: impl Into<u64>, one: &str, many: &str) -> String {
    let n = n.into();
    format!("{n} {}", if n <= 1 { one } else { many })
}

/// A size for people: « 812 octets », « 75 Ko », « 1,4 Mo » (1 Ko = 1024 octets).
pub fn size_label(bytes: u64) -> String {
    const KIB: u64 = 1024;
    match bytes {
        b if b < KIB => plural(b, "octet", "octets"),
        b if b < KIB * KIB => format!("{} Ko", b.div_ceil(KIB)),
        b => {
            let tenths = (b * 10).div_ceil(KIB * KIB);
            format!("{},{} Mo", tenths / 10, tenths % 10)
        }
    }
}

/// A kind of act (`arrete`, `deliberation`…) as people say it.
pub fn kind_label(kind: &str) -> String {
    match kind {
        "arrete" => "Arrêté",
        "deliberation" => "Délibération",
        "convocation" => "Convocation",
        "proces-verbal" => "Procès-verbal",
        "liste-deliberations" => "Liste des délibérations",
        "decision" => "Décision",
        "autre" => "Autre",
        "contrat" => "Contrat",
        other => return other.to_owned(),
    }
    .to_owned()
}

/// A register series (`ARR`, `DEL`…) as people say it, in the plural.
pub fn series_label(series: &str) -> String {
    match series {
        "ARR" => "Arrêtés",
        "DEL" => "Délibérations",
        "CONV" => "Convocations",
        "PV" => "Procès-verbaux",
        "LD" => "Listes des délibérations",
        "DEC" => "Décisions",
        "CTR" => "Contrats",
        other => return other.to_owned(),
    }
    .to_owned()
}

/// `draft` / `sealed` as people say it.
pub fn status_label(status: &str) -> &'static str {
    match status {
        "sealed" => "Acte scellé",
        "draft" => "Projet",
        _ => "Autre",
    }
}

/// The collectivité's name, or its SIREN if it is not served any more.
pub fn collectivite_name(acta: &Acta, siren: &str) -> String {
    siren
        .parse::<Siren>()
        .ok()
        .and_then(|s| acta.collectivites().get(&s).map(|p| p.nom.clone()))
        .unwrap_or_else(|| siren.to_owned())
}

/// A template's title (« Arrêté portant avancement d'échelon »), or its id.
pub fn template_label(acta: &Acta, id: &str) -> String {
    id.parse()
        .ok()
        .and_then(|t| acta.catalog().get(&t).map(|t| t.title.clone()))
        .unwrap_or_else(|| id.to_owned())
}

/// `YYYY-MM-DD` as « 2 mars 2026 » (left as is if it is not a day).
pub fn day_label(day: &str) -> String {
    parse_day(day).map_or_else(|| day.to_owned(), crate::service::french_date)
}

/// An instant as people read it: « 5 décembre 2026 à 14 h 05 », Paris time.
pub fn moment_label(at: time::OffsetDateTime) -> String {
    let paris = crate::register::in_paris(at);
    format!("{} à {:02} h {:02}", crate::service::french_date(paris.date()), paris.hour(), paris.minute())
}

/// A `YYYY-MM-DD` day.
pub fn parse_day(day: &str) -> Option<Date> {
    Date::parse(day, time::macros::format_description!("[year]-[month]-[day]")).ok()
}

/// A piece of a snippet: text, and whether it is a word found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    /// The text (plain: the template escapes it).
    pub text: String,
    /// Whether the search found it (shown in `<mark>`).
    pub found: bool,
}

/// The search index's snippet (HTML-escaped, words found in `<b>…</b>`) as
/// plain segments: the page escapes every one again and marks the words
/// found itself, so nothing in an act's text can ever become markup, even
/// if the snippet's escaping changed.
pub fn snippet_segments(html: &str) -> Vec<Segment> {
    let mut out = Vec::new();
    let mut rest = html;
    let mut found = false;
    while !rest.is_empty() {
        let mark = if found { "</b>" } else { "<b>" };
        let (text, next) = rest.split_once(mark).unwrap_or((rest, ""));
        if !text.is_empty() {
            out.push(Segment { text: unescape(text), found });
        }
        if next.is_empty() && !rest.contains(mark) {
            break;
        }
        rest = next;
        found = !found;
    }
    out
}

/// The entities an HTML escaper writes, back to characters.
fn unescape(s: &str) -> String {
    if !s.contains('&') {
        return s.to_owned();
    }
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&#x2F;", "/")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippets_keep_only_the_marks_of_the_words_found() {
        let s = snippet_segments("le <b>maire</b> &lt;script&gt; &amp; <b>conseil</b>");
        let plain: Vec<_> = s.iter().map(|s| (s.text.as_str(), s.found)).collect();
        assert_eq!(
            plain,
            [("le ", false), ("maire", true), (" <script> & ", false), ("conseil", true)],
            "escaped text comes back as text, to be escaped once by the page"
        );
        assert_eq!(snippet_segments(""), []);
        assert_eq!(snippet_segments("sans mot"), [Segment { text: "sans mot".into(), found: false }]);
    }

    #[test]
    fn kinds_and_days_read_in_french() {
        assert_eq!(kind_label("deliberation"), "Délibération");
        assert_eq!(kind_label("contrat"), "Contrat");
        assert_eq!(series_label("CTR"), "Contrats");
        assert_eq!(plural(1u64, "minute", "minutes"), "1 minute");
        assert_eq!(plural(15u64, "minute", "minutes"), "15 minutes");
        assert_eq!(size_label(812), "812 octets");
        assert_eq!(size_label(76_667), "75 Ko");
        assert_eq!(size_label(1_468_006), "1,4 Mo");
        assert_eq!(day_label("2026-03-01"), "1er mars 2026");
        assert_eq!(day_label("n'importe"), "n'importe");
    }
}
