//! acta's leaves: what one entry of the register log says, as canonical
//! UTF-8 text with no personal data.
//!
//! A *seal leaf* (`acte-seal/v1`) records that a sealed document was
//! published; a *withdrawal leaf* (`acte-withdraw/v1`) records that one was
//! withdrawn, by pointing at the seal leaf's index. Nothing is ever deleted
//! from the log, so monitors can tell a declared removal from a silent one.
//!
//! Text form: the version line, then one `<key> <value>` line per field, in
//! the fixed order below, each ending with `\n`. Times are UTC, RFC 3339, to
//! the second (`2026-11-29T05:55:56Z`); sub-second precision is dropped.
//! [`SealLeaf::parse`] / [`WithdrawLeaf::parse`] accept exactly the bytes
//! `to_bytes` writes and nothing else, so one fact has exactly one leaf.

use std::fmt;
use std::str::FromStr;

use time::format_description::FormatItem;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};

use crate::domain::{ActId, ActNumber, Sha256Digest, Siren, TemplateId};

/// First line of a seal leaf.
pub const SEAL_V1: &str = "acte-seal/v1";
/// First line of a withdrawal leaf.
pub const WITHDRAW_V1: &str = "acte-withdraw/v1";

const TIME_FORMAT: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");

/// Bytes that are not a canonical leaf.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a canonical {kind} leaf: {reason}")]
pub struct LeafError {
    kind: &'static str,
    reason: String,
}

/// A sealed document, as the log records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealLeaf {
    /// The collectivité (SIREN).
    pub collectivite: Siren,
    /// The public act number.
    pub acte: ActNumber,
    /// The template (kind of act).
    pub kind: TemplateId,
    /// acta's id of the act.
    pub id: ActId,
    /// SHA-256 of the exact sealed PDF served to the public.
    pub sha256: Sha256Digest,
    /// SHA-256 of the DER sealing certificate.
    pub seal_cert_sha256: Sha256Digest,
    /// When it was sealed (kept to the second).
    pub sealed: OffsetDateTime,
}

/// Why a document was withdrawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WithdrawReason {
    /// `redaction`: personal data had to be removed (RGPD); a redacted
    /// version usually replaces it.
    Redaction,
    /// `annulment`: annulled by a court.
    Annulment,
    /// `withdrawal`: withdrawn (retrait) by the authority that issued it.
    Withdrawal,
    /// `publication-ended`: its legal publication period is over.
    PublicationEnded,
    /// `error`: published by mistake (wrong document or duplicate).
    Error,
}

impl WithdrawReason {
    /// The code written in leaves.
    pub fn code(self) -> &'static str {
        match self {
            Self::Redaction => "redaction",
            Self::Annulment => "annulment",
            Self::Withdrawal => "withdrawal",
            Self::PublicationEnded => "publication-ended",
            Self::Error => "error",
        }
    }
}

impl FromStr for WithdrawReason {
    type Err = LeafError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [Self::Redaction, Self::Annulment, Self::Withdrawal, Self::PublicationEnded, Self::Error]
            .into_iter()
            .find(|r| r.code() == s)
            .ok_or_else(|| err(WITHDRAW_V1, format!("unknown reason {s:?}")))
    }
}

impl fmt::Display for WithdrawReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A withdrawn document, as the log records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WithdrawLeaf {
    /// The collectivité (SIREN).
    pub collectivite: Siren,
    /// The public act number.
    pub acte: ActNumber,
    /// acta's id of the act.
    pub id: ActId,
    /// Index of the seal leaf withdrawn.
    pub leaf: u64,
    /// Why.
    pub reason: WithdrawReason,
    /// SHA-256 of the document replacing it, if any (e.g. a redacted version).
    pub replacement_sha256: Option<Sha256Digest>,
    /// When it was withdrawn (kept to the second).
    pub withdrawn: OffsetDateTime,
}

/// Any leaf of the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Leaf {
    /// `acte-seal/v1`.
    Seal(SealLeaf),
    /// `acte-withdraw/v1`.
    Withdraw(WithdrawLeaf),
}

impl Leaf {
    /// Parse a leaf of either kind (canonical text only).
    pub fn parse(bytes: &[u8]) -> Result<Self, LeafError> {
        if bytes.starts_with(format!("{WITHDRAW_V1}\n").as_bytes()) {
            WithdrawLeaf::parse(bytes).map(Self::Withdraw)
        } else {
            SealLeaf::parse(bytes).map(Self::Seal)
        }
    }

    /// The canonical text.
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            Self::Seal(l) => l.to_bytes(),
            Self::Withdraw(l) => l.to_bytes(),
        }
    }
}

fn err(kind: &'static str, reason: impl Into<String>) -> LeafError {
    LeafError { kind, reason: reason.into() }
}

fn format_time(t: OffsetDateTime) -> String {
    t.to_offset(UtcOffset::UTC).format(TIME_FORMAT).expect("years 0..=9999 format")
}

/// Reads `key value` lines in a fixed order.
struct Lines<'a> {
    kind: &'static str,
    lines: std::str::Split<'a, char>,
}

impl<'a> Lines<'a> {
    fn new(kind: &'static str, bytes: &'a [u8]) -> Result<Self, LeafError> {
        let text = std::str::from_utf8(bytes).map_err(|_| err(kind, "not UTF-8"))?;
        let body = text.strip_suffix('\n').ok_or_else(|| err(kind, "no final newline"))?;
        let mut lines = body.split('\n');
        if lines.next() != Some(kind) {
            return Err(err(kind, format!("first line is not {kind}")));
        }
        Ok(Self { kind, lines })
    }

    fn peek_key(&self, key: &str) -> bool {
        self.lines.clone().next().is_some_and(|l| l.split_once(' ').is_some_and(|(k, _)| k == key))
    }

    fn value(&mut self, key: &str) -> Result<&'a str, LeafError> {
        let line = self.lines.next().ok_or_else(|| err(self.kind, format!("missing {key}")))?;
        match line.split_once(' ') {
            Some((k, v)) if k == key => Ok(v),
            _ => Err(err(self.kind, format!("expected {key}, found {line:?}"))),
        }
    }

    fn parsed<T: FromStr>(&mut self, key: &str) -> Result<T, LeafError> {
        let kind = self.kind;
        self.value(key)?.parse().map_err(|_| err(kind, format!("invalid {key}")))
    }

    fn time(&mut self, key: &str) -> Result<OffsetDateTime, LeafError> {
        let kind = self.kind;
        let t = PrimitiveDateTime::parse(self.value(key)?, TIME_FORMAT)
            .map_err(|_| err(kind, format!("{key} is not a UTC RFC 3339 time to the second")))?;
        Ok(t.assume_utc())
    }

    fn end(mut self) -> Result<(), LeafError> {
        match self.lines.next() {
            None => Ok(()),
            Some(extra) => Err(err(self.kind, format!("unexpected line {extra:?}"))),
        }
    }
}

/// Accept `bytes` only if it is exactly what `leaf` writes: catches spaces,
/// leading zeros, other spellings of the same values.
fn canonical<T>(
    kind: &'static str,
    bytes: &[u8],
    leaf: T,
    to_bytes: impl Fn(&T) -> Vec<u8>,
) -> Result<T, LeafError> {
    if to_bytes(&leaf) != bytes {
        return Err(err(kind, "not in canonical form"));
    }
    Ok(leaf)
}

impl SealLeaf {
    /// The canonical text.
    pub fn to_bytes(&self) -> Vec<u8> {
        format!(
            "{SEAL_V1}\ncollectivite {}\nacte {}\nkind {}\nid {}\nsha256 {}\nseal-cert-sha256 {}\nsealed {}\n",
            self.collectivite,
            self.acte,
            self.kind,
            self.id,
            self.sha256,
            self.seal_cert_sha256,
            format_time(self.sealed)
        )
        .into_bytes()
    }

    /// Parse canonical text, refusing anything else.
    pub fn parse(bytes: &[u8]) -> Result<Self, LeafError> {
        let mut lines = Lines::new(SEAL_V1, bytes)?;
        let leaf = Self {
            collectivite: lines.parsed("collectivite")?,
            acte: lines.parsed("acte")?,
            kind: lines.parsed("kind")?,
            id: lines.parsed("id")?,
            sha256: lines.parsed("sha256")?,
            seal_cert_sha256: lines.parsed("seal-cert-sha256")?,
            sealed: lines.time("sealed")?,
        };
        lines.end()?;
        canonical(SEAL_V1, bytes, leaf, Self::to_bytes)
    }
}

impl WithdrawLeaf {
    /// The canonical text.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut text = format!(
            "{WITHDRAW_V1}\ncollectivite {}\nacte {}\nid {}\nleaf {}\nreason {}\n",
            self.collectivite, self.acte, self.id, self.leaf, self.reason
        );
        if let Some(sha) = &self.replacement_sha256 {
            text.push_str(&format!("replacement-sha256 {sha}\n"));
        }
        text.push_str(&format!("withdrawn {}\n", format_time(self.withdrawn)));
        text.into_bytes()
    }

    /// Parse canonical text, refusing anything else.
    pub fn parse(bytes: &[u8]) -> Result<Self, LeafError> {
        let mut lines = Lines::new(WITHDRAW_V1, bytes)?;
        let collectivite = lines.parsed("collectivite")?;
        let acte = lines.parsed("acte")?;
        let id = lines.parsed("id")?;
        let leaf = lines.parsed("leaf")?;
        let reason = lines.parsed("reason")?;
        let replacement_sha256 = if lines.peek_key("replacement-sha256") {
            Some(lines.parsed("replacement-sha256")?)
        } else {
            None
        };
        let withdrawn = lines.time("withdrawn")?;
        lines.end()?;
        let parsed = Self { collectivite, acte, id, leaf, reason, replacement_sha256, withdrawn };
        canonical(WITHDRAW_V1, bytes, parsed, Self::to_bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn seal() -> SealLeaf {
        SealLeaf {
            collectivite: "216295105".parse().unwrap(),
            acte: "2026_DEL_00042".parse().unwrap(),
            kind: "deliberation".parse().unwrap(),
            id: "01890a5d-ac96-774b-bcce-b302099a8057".parse().unwrap(),
            sha256: Sha256Digest::of(b"pdf"),
            seal_cert_sha256: Sha256Digest::of(b"cert"),
            sealed: datetime!(2026-11-29 06:55:56 +01:00),
        }
    }

    fn withdraw(replacement: bool) -> WithdrawLeaf {
        let s = seal();
        WithdrawLeaf {
            collectivite: s.collectivite,
            acte: s.acte,
            id: s.id,
            leaf: 12,
            reason: WithdrawReason::Redaction,
            replacement_sha256: replacement.then(|| Sha256Digest::of(b"redacted")),
            withdrawn: datetime!(2027-01-02 03:04:05 UTC),
        }
    }

    #[test]
    fn a_seal_leaf_is_the_documented_text() {
        let leaf = seal();
        let text = String::from_utf8(leaf.to_bytes()).unwrap();
        let want = format!(
            "acte-seal/v1\ncollectivite {}\nacte 2026_DEL_00042\nkind deliberation\n\
             id 01890a5d-ac96-774b-bcce-b302099a8057\nsha256 {}\nseal-cert-sha256 {}\nsealed 2026-11-29T05:55:56Z\n",
            leaf.collectivite,
            Sha256Digest::of(b"pdf"),
            Sha256Digest::of(b"cert")
        );
        assert_eq!(text, want);
        assert_eq!(SealLeaf::parse(text.as_bytes()).unwrap(), leaf);
        assert_eq!(Leaf::parse(text.as_bytes()).unwrap(), Leaf::Seal(leaf));
    }

    #[test]
    fn withdrawal_leaves_round_trip_with_and_without_replacement() {
        for replacement in [false, true] {
            let leaf = withdraw(replacement);
            let bytes = leaf.to_bytes();
            assert_eq!(WithdrawLeaf::parse(&bytes).unwrap(), leaf);
            assert_eq!(Leaf::parse(&bytes).unwrap().to_bytes(), bytes);
            let text = String::from_utf8(bytes).unwrap();
            assert!(text.contains("\nleaf 12\nreason redaction\n"), "{text}");
            assert_eq!(text.contains("replacement-sha256"), replacement);
        }
    }

    #[test]
    fn sub_second_times_are_dropped() {
        let leaf = SealLeaf { sealed: datetime!(2026-11-29 05:55:56.789 UTC), ..seal() };
        assert_eq!(SealLeaf::parse(&leaf.to_bytes()).unwrap().sealed, datetime!(2026-11-29 05:55:56 UTC));
    }

    #[test]
    fn non_canonical_text_is_rejected() {
        let good = String::from_utf8(seal().to_bytes()).unwrap();
        let sha = Sha256Digest::of(b"pdf").to_string();
        let bad = [
            good.trim_end().to_owned(),                   // no final newline
            format!("{good}\n"),                          // trailing blank line
            format!("{good}extra line\n"),                // unknown field
            good.replace("acte-seal/v1", "acte-seal/v2"), // version
            good.replace("\nacte ", "\nacte  "),          // double space
            good.replace("kind deliberation\n", "").replace("\nid ", "\nkind deliberation\nid "), // same
            good.replace("\n", "\r\n"),                   // CRLF
            good.replace(&sha, &sha.to_uppercase()),      // uppercase hex
            good.replace("2026-11-29T05:55:56Z", "2026-11-29T06:55:56+01:00"), // offset
            good.replace("2026-11-29T05:55:56Z", "2026-11-29T05:55:56.000Z"), // fraction
            good.replace("2026-11-29T05:55:56Z", "2026-11-29 05:55:56Z"), // separator
            good.replace("\nid ", "\nsha256 ").replacen("\nsha256 ", "\nid ", 1), // order
        ];
        for (i, text) in bad.iter().enumerate() {
            if *text == good {
                continue;
            }
            assert!(SealLeaf::parse(text.as_bytes()).is_err(), "case {i}: {text:?}");
        }
        assert!(SealLeaf::parse(b"\xff").is_err());
        let w = String::from_utf8(withdraw(false).to_bytes()).unwrap();
        for text in [
            w.replace("leaf 12", "leaf 012"),
            w.replace("leaf 12", "leaf +12"),
            w.replace("reason redaction", "reason gdpr"),
            w.replace(
                "\nwithdrawn ",
                &format!("\nreplacement-sha256 {sha}\nreplacement-sha256 {sha}\nwithdrawn "),
            ),
        ] {
            assert!(WithdrawLeaf::parse(text.as_bytes()).is_err(), "{text:?}");
        }
    }
}
