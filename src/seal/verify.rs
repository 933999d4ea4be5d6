//! Checking a sealed PDF in pure Rust: the *last* signature of the file (the
//! one an incremental update would have to come after) must cover the whole
//! file, its CMS `messageDigest` must be the SHA-256 of the ByteRange, and its
//! ECDSA signature over the signed attributes must verify with the embedded
//! seal certificate. Optionally ([`verify_issued_by`]) that certificate must
//! chain, by signatures, to a given root.
//!
//! This is the seal's own self-check and a quick answer for people ("is this
//! the document we published?"). It does not replace a PAdES validator: no
//! revocation, no validity periods, no policy, and the timestamp token is
//! only matched to the signature, its own signature is not checked.

use cms::cert::CertificateChoices;
use cms::content_info::ContentInfo;
use cms::signed_data::{SignedData, SignerIdentifier, SignerInfo};
use der::asn1::OctetString;
use der::{Decode, Encode, Reader, SliceReader};
use p256::ecdsa::signature::Verifier as _;
use p256::ecdsa::{DerSignature, VerifyingKey};
use sha2_10::{Digest, Sha256};
use time::OffsetDateTime;
use x509_cert::Certificate;

use super::cms::{SigningCertificateV2, oid};
use super::limits::{Budget, Limit};
use super::pdf::digest_ranges;
use super::syntax::{Lexer, Node, Obj, SyntaxError};
use super::tsa;
use crate::domain::Sha256Digest;

/// What a valid seal says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealReport {
    /// SHA-256 fingerprint of the seal certificate (DER).
    pub signer_sha256: Sha256Digest,
    /// Subject of the seal certificate (RFC 4514 string).
    pub signer_subject: String,
    /// The claimed sealing time, `/M` (absent or unreadable: `None`).
    pub claimed_time: Option<OffsetDateTime>,
    /// Whether an RFC 3161 signature timestamp is attached (PAdES-B-T).
    pub timestamped: bool,
    /// The timestamp's time (`genTime`), when attached.
    pub timestamp_time: Option<OffsetDateTime>,
    /// The signature's `/ByteRange`.
    pub byte_range: [usize; 4],
}

/// Why a PDF does not carry a valid seal.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// No signature dictionary at all.
    #[error("no electronic seal found")]
    NoSignature,
    /// The signature or its CMS cannot be read.
    #[error("unreadable seal: {0}")]
    Malformed(String),
    /// Something other than the seal's formats.
    #[error("unsupported seal: {0}")]
    Unsupported(String),
    /// The file goes on after the signed bytes.
    #[error("{appended} bytes were appended after the signed bytes")]
    BytesAppended {
        /// Bytes past the end of the ByteRange.
        appended: usize,
    },
    /// The file ends before the signed bytes do.
    #[error("the file is truncated: the signature covers {signed} bytes, the file has {len}")]
    Truncated {
        /// End of the ByteRange.
        signed: usize,
        /// Length of the file.
        len: usize,
    },
    /// The ByteRange leaves out more than the signature itself.
    #[error("the signature does not cover the whole document (ByteRange {0:?})")]
    PartialCoverage([usize; 4]),
    /// The signed bytes changed.
    #[error("the document was modified after sealing (digest mismatch)")]
    DigestMismatch,
    /// The signature does not verify with the seal certificate.
    #[error("the seal's signature is invalid")]
    BadSignature,
    /// The signing-certificate-v2 attribute names another certificate.
    #[error("the seal certificate does not match the signing-certificate-v2 attribute")]
    CertificateMismatch,
    /// The seal certificate does not chain to the expected root.
    #[error("the seal certificate is not issued by the expected authority")]
    Untrusted,
    /// The timestamp is not over this signature.
    #[error("the signature timestamp does not match the signature")]
    TimestampMismatch,
    /// The file exceeds a bound of the reader (see [`super::limits`]): it is
    /// refused unread rather than judged.
    #[error("the PDF exceeds a reading limit: {0}")]
    TooComplex(Limit),
}

impl VerifyError {
    /// A short French message for people.
    pub fn french(&self) -> String {
        match self {
            Self::NoSignature => "aucun cachet électronique trouvé",
            Self::Malformed(_) => "le cachet électronique est illisible",
            Self::Unsupported(_) => "ce type de cachet électronique n’est pas pris en charge",
            Self::BytesAppended { .. } => "des octets ont été ajoutés après la signature",
            Self::Truncated { .. } => "le document est tronqué",
            Self::PartialCoverage(_) => "la signature ne couvre pas tout le document",
            Self::DigestMismatch => "le document a été modifié après son scellement",
            Self::BadSignature => "la signature du cachet est invalide",
            Self::CertificateMismatch => "le certificat du cachet ne correspond pas à la signature",
            Self::Untrusted => "le certificat du cachet n’est pas émis par l’autorité attendue",
            Self::TimestampMismatch => "l’horodatage ne correspond pas à la signature",
            Self::TooComplex(limit) => return format!("le PDF ne peut pas être lu : {}", limit.french()),
        }
        .to_owned()
    }
}

fn malformed(what: impl std::fmt::Display) -> VerifyError {
    VerifyError::Malformed(what.to_string())
}

impl From<der::Error> for VerifyError {
    fn from(e: der::Error) -> Self {
        malformed(e)
    }
}

/// The last signature dictionary of a file.
struct Located {
    dict: Node,
    byte_range: [usize; 4],
}

/// Find the last signature dictionary: the value of the last object whose
/// header precedes the last `/ByteRange` (no xref is read: the seal covers
/// the whole file, so where it lies is enough).
fn locate(pdf: &[u8]) -> Result<Located, VerifyError> {
    let at = pdf.windows(10).rposition(|w| w == b"/ByteRange").ok_or(VerifyError::NoSignature)?;
    let before = pdf.get(..at).unwrap_or_default();
    let obj = before.windows(3).rposition(|w| w == b"obj").ok_or_else(|| malformed("no object"))?;
    let budget = Budget::default();
    let dict = Lexer::at(pdf, obj + 3, &budget).value().map_err(|e| match e {
        SyntaxError::Limit { limit, .. } => VerifyError::TooComplex(limit),
        malformed_syntax => malformed(malformed_syntax),
    })?;
    let range = match dict.get(b"ByteRange").map(|n| &n.obj) {
        Some(Obj::Array(items)) if items.len() == 4 => items
            .iter()
            .map(|n| match n.obj {
                Obj::Int(i) => usize::try_from(i).ok(),
                _ => None,
            })
            .collect::<Option<Vec<_>>>(),
        _ => None,
    };
    let byte_range: [usize; 4] =
        range.and_then(|r| r.try_into().ok()).ok_or_else(|| malformed("/ByteRange is not four integers"))?;
    Ok(Located { dict, byte_range })
}

/// The seal's `/Contents` bytes (the CMS, zero-padded) once the ByteRange is
/// known to cover exactly `pdf`.
fn contents(pdf: &[u8], loc: &Located) -> Result<Vec<u8>, VerifyError> {
    let [start, a, b, c] = loc.byte_range;
    let end = b.checked_add(c).ok_or_else(|| malformed("ByteRange overflows"))?;
    if end > pdf.len() {
        return Err(VerifyError::Truncated { signed: end, len: pdf.len() });
    }
    if end < pdf.len() {
        return Err(VerifyError::BytesAppended { appended: pdf.len() - end });
    }
    let gap = loc.dict.get(b"Contents").map(|n| n.span.clone());
    if start != 0 || a >= b || gap != Some(a..b) {
        return Err(VerifyError::PartialCoverage(loc.byte_range));
    }
    let digits = hex_digits(pdf, loc).ok_or_else(|| malformed("/Contents is not a hex string"))?;
    hex::decode(pdf.get(digits).unwrap_or_default()).map_err(|e| malformed(format!("/Contents: {e}")))
}

/// Where the hex digits of the `/Contents` placeholder `<…>` lie, when the
/// ByteRange's gap is exactly that value (whatever type a hostile file gave
/// it, the range is checked, never assumed).
fn hex_digits(pdf: &[u8], loc: &Located) -> Option<std::ops::Range<usize>> {
    let [_, a, b, _] = loc.byte_range;
    let contents = loc.dict.get(b"Contents")?;
    let raw = contents.raw(pdf);
    if contents.span != (a..b) || contents.obj != Obj::Other || raw.starts_with(b"<<") {
        return None;
    }
    raw.strip_prefix(b"<")?.strip_suffix(b">")?;
    Some(a.checked_add(1)?..b.checked_sub(1)?)
}

/// `D:YYYYMMDDHHmmSS` followed by `Z`, `+HH'mm'`, `-HH'mm'` or nothing.
fn parse_pdf_date(s: &[u8]) -> Option<OffsetDateTime> {
    let s = std::str::from_utf8(s).ok()?.strip_prefix("D:")?;
    let n = |r: std::ops::Range<usize>| s.get(r)?.parse::<i32>().ok();
    let date =
        time::Date::from_calendar_date(n(0..4)?, time::Month::try_from(n(4..6)? as u8).ok()?, n(6..8)? as u8)
            .ok()?;
    let t = time::Time::from_hms(n(8..10)? as u8, n(10..12)? as u8, n(12..14)? as u8).ok()?;
    let offset = match s.as_bytes().get(14) {
        None | Some(b'Z') => time::UtcOffset::UTC,
        Some(sign @ (b'+' | b'-')) => {
            let (h, m) = (n(15..17)?, s.get(18..20).and_then(|m| m.parse().ok()).unwrap_or(0));
            let k = if *sign == b'-' { -1 } else { 1 };
            time::UtcOffset::from_hms((k * h) as i8, (k * m) as i8, 0).ok()?
        }
        Some(_) => return None,
    };
    Some(date.with_time(t).assume_offset(offset))
}

/// Everything checked, plus what a chain check needs.
struct Checked {
    report: SealReport,
    signer: Certificate,
    certs: Vec<Certificate>,
}

fn signer_info(sd: &SignedData) -> Result<&SignerInfo, VerifyError> {
    let mut infos = sd.signer_infos.0.iter();
    match (infos.next(), infos.next()) {
        (Some(si), None) => Ok(si),
        _ => Err(malformed("expected exactly one SignerInfo")),
    }
}

fn attr(si: &SignerInfo, oid: const_oid::ObjectIdentifier) -> Option<&der::Any> {
    si.signed_attrs.as_ref()?.iter().find(|a| a.oid == oid)?.values.iter().next()
}

fn check(pdf: &[u8]) -> Result<Checked, VerifyError> {
    let loc = locate(pdf)?;
    let raw = contents(pdf, &loc)?;
    let sub_filter = loc.dict.get(b"SubFilter").map(|n| n.raw(pdf));
    if !matches!(sub_filter, Some(b"/ETSI.CAdES.detached" | b"/adbe.pkcs7.detached")) {
        return Err(VerifyError::Unsupported("SubFilter other than ETSI.CAdES.detached".into()));
    }
    let claimed_time = match loc.dict.get(b"M").map(|n| &n.obj) {
        Some(Obj::Str(s)) => parse_pdf_date(s),
        _ => None,
    };

    // The placeholder is zero-padded: read one DER value and ignore the rest.
    let mut reader = SliceReader::new(&raw)?;
    let ci = ContentInfo::decode(&mut reader)?;
    if ci.content_type != oid::SIGNED_DATA {
        return Err(malformed("the CMS is not SignedData"));
    }
    let sd: SignedData = ci.content.decode_as()?;
    let si = signer_info(&sd)?;
    if si.digest_alg.oid != oid::SHA256 {
        return Err(VerifyError::Unsupported(format!("digest algorithm {}", si.digest_alg.oid)));
    }
    let md: OctetString =
        attr(si, oid::MESSAGE_DIGEST).ok_or_else(|| malformed("no messageDigest"))?.decode_as()?;
    let digest = digest_ranges(pdf, loc.byte_range).ok_or(VerifyError::PartialCoverage(loc.byte_range))?;
    if md.as_bytes() != digest {
        return Err(VerifyError::DigestMismatch);
    }

    let certs: Vec<Certificate> = sd
        .certificates
        .iter()
        .flat_map(|set| set.0.iter())
        .filter_map(|c| match c {
            CertificateChoices::Certificate(c) => Some(c.clone()),
            CertificateChoices::Other(_) => None,
        })
        .collect();
    let SignerIdentifier::IssuerAndSerialNumber(sid) = &si.sid else {
        return Err(VerifyError::Unsupported("signer identified by key identifier".into()));
    };
    let signer = certs
        .iter()
        .find(|c| {
            c.tbs_certificate.issuer == sid.issuer && c.tbs_certificate.serial_number == sid.serial_number
        })
        .ok_or_else(|| malformed("the seal certificate is not in the CMS"))?
        .clone();
    let signer_der = signer.to_der()?;
    let ess: SigningCertificateV2 = attr(si, oid::SIGNING_CERTIFICATE_V2)
        .ok_or_else(|| malformed("no signing-certificate-v2"))?
        .decode_as()?;
    let named = ess.certs.first().ok_or_else(|| malformed("empty signing-certificate-v2"))?;
    if named.hash_algorithm.is_some() || named.cert_hash.as_bytes() != Sha256::digest(&signer_der).as_slice()
    {
        return Err(VerifyError::CertificateMismatch);
    }

    if si.signature_algorithm.oid != oid::ECDSA_WITH_SHA256 {
        return Err(VerifyError::Unsupported(format!("signature algorithm {}", si.signature_algorithm.oid)));
    }
    let tbs = si.signed_attrs.as_ref().ok_or_else(|| malformed("no signed attributes"))?.to_der()?;
    verify_ecdsa(&signer, &tbs, si.signature.as_bytes()).map_err(|_| VerifyError::BadSignature)?;

    let token = si
        .unsigned_attrs
        .iter()
        .flat_map(|set| set.iter())
        .find(|a| a.oid == oid::SIGNATURE_TIME_STAMP_TOKEN)
        .and_then(|a| a.values.iter().next());
    let timestamp_time = match token {
        None => None,
        Some(any) => {
            let info = tsa::tst_info(&any.to_der()?).map_err(malformed)?;
            let imprint = Sha256::digest(si.signature.as_bytes());
            if info.message_imprint.hashed_message.as_bytes() != imprint.as_slice() {
                return Err(VerifyError::TimestampMismatch);
            }
            Some(tsa::gen_time(&info))
        }
    };
    let report = SealReport {
        signer_sha256: Sha256Digest::of(&signer_der),
        signer_subject: signer.tbs_certificate.subject.to_string(),
        claimed_time,
        timestamped: timestamp_time.is_some(),
        timestamp_time,
        byte_range: loc.byte_range,
    };
    let after = raw.get(usize::try_from(reader.position())?..).unwrap_or_default();
    if after.iter().any(|&b| b != 0) {
        return Err(malformed("data after the CMS in /Contents"));
    }
    Ok(Checked { report, signer, certs })
}

/// Verify an ECDSA P-256 signature by `cert`'s key.
fn verify_ecdsa(cert: &Certificate, msg: &[u8], sig: &[u8]) -> Result<(), ()> {
    let spk = cert.tbs_certificate.subject_public_key_info.subject_public_key.raw_bytes();
    let key = VerifyingKey::from_sec1_bytes(spk).map_err(|_| ())?;
    let sig = DerSignature::try_from(sig).map_err(|_| ())?;
    key.verify(msg, &sig).map_err(|_| ())
}

/// Check the last seal of `pdf` (see the module documentation).
pub fn verify(pdf: &[u8]) -> Result<SealReport, VerifyError> {
    check(pdf).map(|c| c.report)
}

/// [`verify`], and the seal certificate must chain to `root` (DER) through
/// the certificates of the CMS, each signed by the next.
pub fn verify_issued_by(pdf: &[u8], root: &[u8]) -> Result<SealReport, VerifyError> {
    let checked = check(pdf)?;
    let root = Certificate::from_der(root).map_err(|e| malformed(format!("root: {e}")))?;
    if chains_to(&checked, &root) { Ok(checked.report) } else { Err(VerifyError::Untrusted) }
}

/// [`verify`], and whether the seal certificate chains to one of `roots`:
/// the file is checked once, whatever the number of roots.
pub fn verify_against(pdf: &[u8], roots: &[Certificate]) -> Result<(SealReport, bool), VerifyError> {
    let checked = check(pdf)?;
    let trusted = roots.iter().any(|root| chains_to(&checked, root));
    Ok((checked.report, trusted))
}

/// Whether the seal certificate of `checked` chains to `root` through the
/// certificates of the CMS, each signed by the next (ECDSA P-256 only).
fn chains_to(checked: &Checked, root: &Certificate) -> bool {
    let mut current = &checked.signer;
    for _ in 0..8 {
        let Ok(tbs) = current.tbs_certificate.to_der() else { return false };
        let sig = current.signature.raw_bytes();
        if current.signature_algorithm.oid != oid::ECDSA_WITH_SHA256 {
            return false;
        }
        if current.tbs_certificate.issuer == root.tbs_certificate.subject {
            return verify_ecdsa(root, &tbs, sig).is_ok();
        }
        let issuer = checked
            .certs
            .iter()
            .find(|c| c.tbs_certificate.subject == current.tbs_certificate.issuer && *c != current);
        match issuer {
            Some(issuer) if verify_ecdsa(issuer, &tbs, sig).is_ok() => current = issuer,
            _ => return false,
        }
    }
    false
}

/// `pdf` with the hex digits of its last seal's `/Contents` zeroed: what it
/// was before the CMS was embedded. Two sealings of the same prepared bytes
/// have the same unsigned form even when their timestamps differ.
pub fn unsigned_form(pdf: &[u8]) -> Option<Vec<u8>> {
    let loc = locate(pdf).ok()?;
    let digits = hex_digits(pdf, &loc)?;
    let mut out = pdf.to_vec();
    out.get_mut(digits)?.fill(b'0');
    Some(out)
}

/// Whether `a` and `b` are the same sealed document, up to their signatures.
pub fn same_document(a: &[u8], b: &[u8]) -> bool {
    matches!((unsigned_form(a), unsigned_form(b)), (Some(x), Some(y)) if x == y)
}
