//! The PDF side of a seal: an *incremental update* appended to the original
//! bytes, which are kept verbatim (so PDF/A-2b metadata, XMP and `/Info`, is
//! untouched).
//!
//! The update adds a signature dictionary (`/Type /Sig`, `ETSI.CAdES.detached`)
//! with a zero-filled `/Contents` *placeholder* of fixed capacity, an invisible
//! signature *widget* (`/F 132`: print + locked, as PDF/A requires) with an
//! empty appearance, rewrites the catalog with an `/AcroForm` and the first page
//! with the widget appended to its `/Annots`, then a classic xref section and a
//! trailer pointing back (`/Prev`) at the original one.
//!
//! The *ByteRange* `[0 a b c]` is everything but the `<…>` placeholder; its
//! numbers are written at a fixed width and patched in place once the file
//! length is known. [`Prepared::embed`] then writes the CMS into the
//! placeholder as hex: nothing else changes, and nothing follows `%%EOF`.

use std::fmt::Write as _;

use sha2_10::{Digest, Sha256};
use time::OffsetDateTime;

use super::limits::{Budget, Limit};
use super::syntax::{Node, Obj, SyntaxError, text_string};
use super::xref::Original;

/// Default `/Contents` capacity in bytes of CMS: room for a P-256 signature, a
/// certificate chain and an RFC 3161 token with its own chain.
pub const DEFAULT_CAPACITY: usize = 16 * 1024;

/// The name of the signature field.
const FIELD_NAME: &str = "Cachet";

/// Width of each ByteRange number: enough for files up to 10 GB.
const WIDTH: usize = 10;

/// Why a PDF cannot be prepared or filled.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    /// Not a PDF, or a structure this module does not understand.
    #[error("malformed PDF at byte {at}: expected {what}")]
    Malformed {
        /// Offset of the problem.
        at: usize,
        /// What was expected there.
        what: &'static str,
    },
    /// The file uses cross-reference streams (PDF 1.5 compressed xref), which
    /// this module does not write yet.
    #[error("the PDF uses cross-reference streams; only classic xref tables are supported")]
    XrefStream,
    /// The file is encrypted: sealing it would need its keys.
    #[error("the PDF is encrypted; encrypted documents cannot be sealed")]
    Encrypted,
    /// The file already has an interactive form (possibly a signature).
    #[error("the PDF already has an interactive form (/AcroForm); it cannot be sealed again")]
    HasForm,
    /// The file exceeds a bound of the reader (see [`super::limits`]).
    #[error("the PDF exceeds a reading limit: {0}")]
    TooComplex(Limit),
    /// The CMS does not fit the placeholder.
    #[error("the signature ({needed} bytes) does not fit the {capacity}-byte placeholder")]
    TooLarge {
        /// Size of the CMS.
        needed: usize,
        /// Capacity of the placeholder.
        capacity: usize,
    },
}

impl From<SyntaxError> for PdfError {
    fn from(e: SyntaxError) -> Self {
        match e {
            SyntaxError::Malformed { at, what } => PdfError::Malformed { at, what },
            SyntaxError::Limit { limit, .. } => PdfError::TooComplex(limit),
        }
    }
}

/// What goes into the signature dictionary besides the signature.
#[derive(Debug, Clone)]
pub struct SigFields<'a> {
    /// Claimed sealing time, written as `/M` (in UTC).
    pub at: OffsetDateTime,
    /// `/Reason`.
    pub reason: &'a str,
    /// `/Contents` capacity in bytes of CMS.
    pub capacity: usize,
}

/// A PDF with its incremental update and an empty placeholder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prepared {
    bytes: Vec<u8>,
    byte_range: [usize; 4],
}

impl Prepared {
    /// The whole file, placeholder included.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// `[0 a b c]`: the signed ranges are `0..a` and `b..b+c`.
    pub fn byte_range(&self) -> [usize; 4] {
        self.byte_range
    }

    /// Capacity of the placeholder, in bytes of CMS.
    pub fn capacity(&self) -> usize {
        (self.byte_range[2] - self.byte_range[1] - 2) / 2
    }

    /// SHA-256 of the signed ranges: the CMS `messageDigest`.
    pub fn digest(&self) -> [u8; 32] {
        digest_ranges(&self.bytes, self.byte_range).expect("prepare's ByteRange lies within its bytes")
    }

    /// Write `cms` (DER) into the placeholder.
    pub fn embed(mut self, cms: &[u8]) -> Result<Vec<u8>, PdfError> {
        let capacity = self.capacity();
        if cms.len() > capacity {
            return Err(PdfError::TooLarge { needed: cms.len(), capacity });
        }
        let start = self.byte_range[1] + 1;
        let hex = hex::encode(cms);
        self.bytes[start..start + hex.len()].copy_from_slice(hex.as_bytes());
        Ok(self.bytes)
    }
}

/// SHA-256 of `[a b c d]`'s two ranges `a..a+b` and `c..c+d` of `bytes`;
/// `None` when they do not lie within `bytes`.
pub(crate) fn digest_ranges(bytes: &[u8], [a, b, c, d]: [usize; 4]) -> Option<[u8; 32]> {
    let mut h = Sha256::new();
    h.update(bytes.get(a..a.checked_add(b)?)?);
    h.update(bytes.get(c..c.checked_add(d)?)?);
    Some(h.finalize().into())
}

/// `what` at `at`.
pub(super) fn malformed(at: usize, what: &'static str) -> PdfError {
    PdfError::Malformed { at, what }
}

/// `D:YYYYMMDDHHmmSSZ` in UTC.
pub(crate) fn pdf_date(at: OffsetDateTime) -> String {
    let t = at.to_offset(time::UtcOffset::UTC);
    format!(
        "D:{:04}{:02}{:02}{:02}{:02}{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// A dictionary rewritten: its entries except `drop`, as written, then `add`.
fn rewrite_dict(src: &[u8], dict: &Node, drop: &[u8], add: &str) -> Result<Vec<u8>, PdfError> {
    let Obj::Dict(entries) = &dict.obj else {
        return Err(malformed(dict.span.start, "a dictionary"));
    };
    let mut out = b"<<".to_vec();
    for (k, v) in entries.iter().filter(|(k, _)| k != drop) {
        out.push(b' ');
        out.push(b'/');
        out.extend_from_slice(k);
        out.push(b' ');
        out.extend_from_slice(v.raw(src));
    }
    out.extend_from_slice(add.as_bytes());
    out.extend_from_slice(b" >>");
    Ok(out)
}

/// Append the seal's incremental update to `pdf`, with an empty placeholder.
pub fn prepare(pdf: &[u8], fields: &SigFields<'_>) -> Result<Prepared, PdfError> {
    let budget = Budget::default();
    let orig = Original::read(pdf, &budget)?;
    // Three new objects follow the last one: `/Size` must leave room for them.
    let size = orig
        .trailer
        .get_int(b"Size")
        .and_then(|s| u32::try_from(s).ok())
        .filter(|s| s.checked_add(3).is_some())
        .ok_or_else(|| malformed(orig.trailer.span.start, "/Size"))?;
    let (root, _) =
        orig.trailer.get_ref(b"Root").ok_or_else(|| malformed(orig.trailer.span.start, "/Root"))?;
    let (root_gen, catalog) = orig.object(root)?;
    if catalog.get(b"AcroForm").is_some() {
        return Err(PdfError::HasForm);
    }
    let (page, page_gen, page_dict) = orig.first_page(&catalog)?;
    let (sig, field, ap) = (size, size + 1, size + 2);

    // (number, generation, body) of every object written.
    let mut objects: Vec<(u32, u16, Vec<u8>)> = Vec::new();
    let placeholder_range = format!("[0 {z} {z} {z}]", z = "0".repeat(WIDTH));
    let sig_dict = format!(
        "<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached /ByteRange {placeholder_range} \
         /Contents <{}> /M ({}) /Reason {} >>",
        "0".repeat(fields.capacity * 2),
        pdf_date(fields.at),
        text_string(fields.reason),
    );
    objects.push((sig, 0, sig_dict.into_bytes()));
    let widget = format!(
        "<< /Type /Annot /Subtype /Widget /FT /Sig /T {} /V {sig} 0 R /P {page} {page_gen} R \
         /Rect [0 0 0 0] /F 132 /AP << /N {ap} 0 R >> >>",
        text_string(FIELD_NAME)
    );
    objects.push((field, 0, widget.into_bytes()));
    objects.push((
        ap,
        0,
        b"<< /Type /XObject /Subtype /Form /BBox [0 0 0 0] /Length 0 >>\nstream\n\nendstream".to_vec(),
    ));
    let acroform = format!(" /AcroForm << /Fields [{field} 0 R] /SigFlags 3 >>");
    objects.push((root, root_gen, rewrite_dict(pdf, &catalog, b"AcroForm", &acroform)?));
    // The widget joins the page's annotations, wherever that array lives.
    match page_dict.get(b"Annots") {
        None => {
            let annots = format!(" /Annots [{field} 0 R]");
            objects.push((page, page_gen, rewrite_dict(pdf, &page_dict, b"Annots", &annots)?));
        }
        Some(array @ Node { obj: Obj::Array(_), .. }) => {
            let inner = array_inner(pdf, array)?;
            let annots = format!(" /Annots [{} {field} 0 R]", String::from_utf8_lossy(inner).trim());
            objects.push((page, page_gen, rewrite_dict(pdf, &page_dict, b"Annots", &annots)?));
        }
        Some(Node { obj: Obj::Ref(n, _), .. }) => {
            let (g, array) = orig.object(*n)?;
            let inner = array_inner(pdf, &array)?;
            let body = format!("[{} {field} 0 R]", String::from_utf8_lossy(inner).trim());
            objects.push((*n, g, body.into_bytes()));
        }
        Some(other) => return Err(malformed(other.span.start, "an /Annots array")),
    }

    let mut out = pdf.to_vec();
    if !matches!(out.last(), Some(b'\n' | b'\r')) {
        out.push(b'\n');
    }
    let mut xref: Vec<(u32, u16, usize)> = Vec::new();
    for (n, g, body) in &objects {
        xref.push((*n, *g, out.len()));
        out.extend_from_slice(format!("{n} {g} obj\n").as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref_at = out.len();
    out.extend_from_slice(xref_table(xref.clone()).as_bytes());
    let mut trailer = format!("trailer\n<< /Size {} /Root {root} {root_gen} R", size + 3);
    for key in [&b"Info"[..], b"ID"] {
        if let Some(v) = orig.trailer.get(key) {
            let _ = write!(
                trailer,
                " /{} {}",
                String::from_utf8_lossy(key),
                String::from_utf8_lossy(orig.raw(v))
            );
        }
    }
    let _ = write!(trailer, " /Prev {} >>\nstartxref\n{xref_at}\n%%EOF\n", orig.startxref);
    out.extend_from_slice(trailer.as_bytes());

    // Patch the ByteRange now that every offset is known.
    let sig_at = xref.iter().find(|(n, ..)| *n == sig).map(|x| x.2).expect("the signature was written");
    let range_at = sig_at + find(&out[sig_at..], placeholder_range.as_bytes()).expect("placeholder written");
    let lt = sig_at + find(&out[sig_at..], b"/Contents <").expect("contents written") + b"/Contents ".len();
    let gt = lt + 1 + fields.capacity * 2;
    let byte_range = [0, lt, gt + 1, out.len() - gt - 1];
    let patched = format!("[0 {:0w$} {:0w$} {:0w$}]", byte_range[1], byte_range[2], byte_range[3], w = WIDTH);
    debug_assert_eq!(patched.len(), placeholder_range.len());
    out[range_at..range_at + patched.len()].copy_from_slice(patched.as_bytes());
    Ok(Prepared { bytes: out, byte_range })
}

/// What is between the brackets of an array, as written.
fn array_inner<'s>(src: &'s [u8], array: &Node) -> Result<&'s [u8], PdfError> {
    match array.obj {
        Obj::Array(_) => array.raw(src).strip_prefix(b"[").and_then(|r| r.strip_suffix(b"]")),
        _ => None,
    }
    .ok_or_else(|| malformed(array.span.start, "an /Annots array"))
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// A classic xref table for `entries`, in subsections of consecutive numbers;
/// every entry is exactly 20 bytes, as the format requires.
fn xref_table(mut entries: Vec<(u32, u16, usize)>) -> String {
    entries.sort();
    let mut s = String::from("xref\n");
    let mut i = 0;
    while i < entries.len() {
        let mut j = i + 1;
        while j < entries.len() && entries[j].0 == entries[j - 1].0 + 1 {
            j += 1;
        }
        let _ = writeln!(s, "{} {}", entries[i].0, j - i);
        for (_, g, off) in &entries[i..j] {
            let _ = write!(s, "{off:010} {g:05} n\r\n");
        }
        i = j;
    }
    s
}

#[cfg(test)]
#[path = "pdf_tests.rs"]
mod tests;
